// sluice::net::arp_cache: one shard's IPv4-to-MAC neighbour table (RFC 826), with expiry,
// refresh, retries and a bounded queue of packets waiting for an answer. Sans-I/O: time
// comes in as an argument and the caller sends what the cache asks for. Owned and used by
// one shard's stack; docs/architecture.md says how an update reaches the other shards.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/wire/ethernet_address.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net {

struct arp_limits {
    std::size_t max_entries = 1024;
    std::size_t max_waiting_per_address = 16;  // packets held for one unresolved address
    std::size_t max_waiting = 256;             // packets held for all of them
    clock::duration reachable_time = std::chrono::seconds(60);  // an answer is trusted this long
    clock::duration refresh_before = std::chrono::seconds(5);   // re-ask this long before expiry, if in use
    clock::duration retry_interval = std::chrono::seconds(1);
    unsigned max_requests = 3;  // unanswered requests before the held packets are dropped
};

struct arp_counters {
    std::uint64_t learned = 0;          // entries created or changed by an ARP packet
    std::uint64_t expired = 0;          // resolved entries that aged out unrefreshed
    std::uint64_t unresolved = 0;       // addresses given up after max_requests
    std::uint64_t held = 0;             // packets that waited for an answer
    std::uint64_t dropped_waiting = 0;  // held packets dropped: queue full or no answer
    std::uint64_t table_full = 0;       // an address that found no room in the table
};

class arp_cache {
public:
    explicit arp_cache(arp_limits limits = {}) : limits_(limits) {}

    struct lookup {
        std::optional<ethernet_address> mac;  // set when the address is resolved
        bool send_refresh = false;            // still valid, but ask again now (it is in use)
    };
    // Transmit path: the MAC for `next_hop`, if known and not expired.
    lookup find(wire::ipv4_address next_hop, clock::time_point now);

    enum class hold_outcome {
        held_send_request,  // first packet for this address: send an ARP request now
        held,               // a request is already out
        dropped,            // the per-address or total bound was reached, or the table is full
    };
    // Keeps an IP packet (no Ethernet header yet) until `next_hop` resolves.
    hold_outcome hold(wire::ipv4_address next_hop, packet&& ip_packet, clock::time_point now);

    // ARP input (RFC 826, "Packet Reception"): updates an entry for `address` if there is
    // one; creates it when `create` (we were the target, or another shard learned it).
    // Returns the packets that were waiting for it, in the order they were held.
    std::vector<packet> learn(wire::ipv4_address address, ethernet_address mac, clock::time_point now, bool create);

    // Housekeeping, every ~100 ms: returns the addresses to send a request for now
    // (retries), drops the packets of addresses that stayed unanswered, forgets entries
    // that expired.
    std::vector<wire::ipv4_address> advance(clock::time_point now);

    const arp_counters& counters() const noexcept { return counters_; }
    std::size_t size() const noexcept { return entries_.size(); }
    std::size_t waiting() const noexcept { return waiting_; }

private:
    struct entry {
        std::optional<ethernet_address> mac;
        clock::time_point expires_at{};    // resolved: when the answer goes stale
        clock::time_point next_request{};  // unresolved: when to ask again
        unsigned requests = 0;             // unresolved: requests sent so far
        bool refresh_sent = false;
        std::vector<packet> waiting;
    };
    entry* make_room_and_insert(wire::ipv4_address address, clock::time_point now);
    void drop_waiting(entry& e);

    arp_limits limits_;
    std::unordered_map<std::uint32_t, entry> entries_;
    std::size_t waiting_ = 0;
    arp_counters counters_;
};

}  // namespace sluice::net
