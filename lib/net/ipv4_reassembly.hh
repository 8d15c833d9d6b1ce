// sluice::net::ipv4_reassembly: puts fragmented IPv4 datagrams back together (RFC 791
// section 3.2), sans-I/O: the shard's stack hands in each fragment's payload and the time,
// and gets back a whole datagram's payload chained from the fragments' own mbufs. One per
// shard, used only on that shard; it owns the fragments it holds and frees them on drop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/net/packet.hh"

namespace sluice::net {

// RFC 791 section 3.2: fragments belong to one datagram when source, destination,
// protocol and identification all match.
struct fragment_key {
    std::uint32_t source = 0;  // host byte order
    std::uint32_t destination = 0;
    std::uint16_t identification = 0;
    std::uint8_t protocol = 0;
    friend bool operator==(const fragment_key&, const fragment_key&) = default;
};

struct reassembly_limits {
    std::size_t max_bytes = 4 << 20;  // payload bytes held across all partial datagrams (per shard)
    std::size_t max_datagrams = 256;  // partial datagrams at once (0 is taken as 1)
    std::size_t max_fragments = 64;   // fragments per datagram (0 is taken as 1)
    // From the first fragment (Linux's ipfrag_time; RFC 791 suggests 15 s minimum).
    clock::duration timeout = std::chrono::seconds(30);
};

// Each drop counter counts events: a datagram dropped with every fragment it held, or a
// fragment refused before any datagram for its key was held.
struct reassembly_counters {
    std::uint64_t fragments = 0;            // every call to add()
    std::uint64_t datagrams_completed = 0;  // payloads add() returned
    std::uint64_t timed_out = 0;            // not complete within the timeout
    std::uint64_t overlapping = 0;          // fragments that overlap without being exact duplicates
    std::uint64_t duplicates = 0;           // exact duplicates dropped alone; their datagram lives on
    std::uint64_t over_memory = 0;          // evicted (or refused) to stay within max_bytes or max_datagrams
    std::uint64_t too_many_fragments = 0;   // more than max_fragments in one datagram
    std::uint64_t too_long = 0;             // payload would pass 65535 - 20 bytes
    std::uint64_t duplicate_last = 0;       // two last fragments with different ends
    std::uint64_t past_end = 0;             // bytes past the end the last fragment set
    std::uint64_t misaligned = 0;           // an offset, or a non-last fragment's length, not a multiple of 8
    std::uint64_t empty = 0;                // a fragment with no payload bytes
    std::uint64_t too_many_segments = 0;    // packet::chain refused the whole chain (too many mbufs)
};

// Memory: the constructor reserves everything the limits allow (max_datagrams slots with
// room for max_fragments fragments each, 16 bytes per fragment, plus a hash index), so
// add() never allocates. The mbufs themselves stay in their pool's accounting.
class ipv4_reassembly {
public:
    // The largest payload a datagram may have: Total Length is 16 bits and counts the
    // header, which is at least 20 bytes (RFC 791 section 3.1).
    static constexpr std::size_t max_payload = 65535 - 20;

    explicit ipv4_reassembly(reassembly_limits limits = {});
    ipv4_reassembly(const ipv4_reassembly&) = delete;
    ipv4_reassembly& operator=(const ipv4_reassembly&) = delete;
    // Moving hands the held fragments over; a moved-from reassembly may only be destroyed
    // or assigned to. Assigning frees what the target held.
    ipv4_reassembly(ipv4_reassembly&&) noexcept = default;
    ipv4_reassembly& operator=(ipv4_reassembly&&) noexcept = default;
    ~ipv4_reassembly();  // frees every fragment still held: run it on the owning shard

    // `payload` is the fragment's IP payload only (header and Ethernet padding already
    // trimmed); `offset` in bytes (the Fragment Offset field times 8). Returns the whole
    // datagram's payload, chained from the fragments' own mbufs without copying, once every
    // byte from 0 to the end of the last fragment (more_fragments == false) has arrived;
    // nothing otherwise. The fragment is always taken: held, returned inside the datagram,
    // or freed. `now` comes from the shard's monotonic clock (an earlier time than one
    // already seen is taken as the latest seen).
    [[nodiscard]] std::optional<packet> add(const fragment_key& key, std::size_t offset, bool more_fragments,
                                            packet&& payload, clock::time_point now);
    // Drops datagrams whose timeout passed (counted in timed_out).
    void expire(clock::time_point now);
    // The earliest expiry, for the shard's timer; nothing while no datagram is held.
    std::optional<clock::time_point> next_deadline() const;

    std::size_t bytes_held() const noexcept { return bytes_held_; }
    std::size_t datagrams_held() const noexcept { return datagrams_held_; }
    const reassembly_counters& counters() const noexcept { return counters_; }
    const reassembly_limits& limits() const noexcept { return limits_; }

private:
    using slot_index = std::uint32_t;
    static constexpr slot_index no_slot = ~slot_index(0);

    // Offsets and ends fit 16 bits: add() refuses anything ending past max_payload first.
    struct held_fragment {
        std::uint16_t begin;
        std::uint16_t end;
        bool more_fragments;
        packet payload;
    };

    // One partial datagram. Slots are made once and reused; `fragments` keeps its capacity.
    struct partial_datagram {
        fragment_key key;
        clock::time_point deadline;
        std::size_t bytes = 0;            // payload bytes held, the sum of the fragments' lengths
        std::size_t end = 0;              // set by the last fragment; valid when last_seen
        bool last_seen = false;
        std::vector<held_fragment> fragments;  // sorted by begin, never overlapping
        slot_index older = no_slot;            // age list: creation order, which is deadline order
        slot_index newer = no_slot;
        slot_index next_in_bucket = no_slot;   // hash index chain
    };

    slot_index find(const fragment_key& key) const noexcept;
    std::size_t bucket_of(const fragment_key& key) const noexcept;
    slot_index create(const fragment_key& key);
    std::optional<packet> try_complete(slot_index slot);
    // Unlinks and frees a datagram (every mbuf it held goes back to its pool now).
    void release(slot_index slot) noexcept;
    void drop(slot_index slot, std::uint64_t& reason) noexcept;
    // Evicts the oldest datagrams other than `keep` until `bytes` more fit in max_bytes.
    void make_room_for_bytes(std::size_t bytes, slot_index keep) noexcept;

    reassembly_limits limits_;
    std::vector<partial_datagram> slots_;
    std::vector<slot_index> free_slots_;
    std::vector<slot_index> buckets_;  // a power of two, at least twice max_datagrams
    slot_index oldest_ = no_slot;
    slot_index newest_ = no_slot;
    std::size_t bytes_held_ = 0;
    std::size_t datagrams_held_ = 0;
    clock::time_point latest_now_{};
    reassembly_counters counters_;
};

}  // namespace sluice::net
