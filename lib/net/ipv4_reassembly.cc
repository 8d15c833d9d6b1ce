// ipv4_reassembly: the rules of IPv4 reassembly, each with its source, over a table of
// partial datagrams made once at construction. Read RFC 791 section 3.2 (the procedure),
// RFC 815 (holes; here a sorted list of fragments that never overlap stands in for them)
// and RFC 1858 with RFC 5722 (why an overlap drops the datagram) before editing.
#include "sluice/net/ipv4_reassembly.hh"

#include <algorithm>
#include <bit>
#include <iterator>
#include <utility>

namespace sluice::net {

ipv4_reassembly::ipv4_reassembly(reassembly_limits limits) : limits_(limits) {
    static_assert(sizeof(held_fragment) == 16, "the header promises 16 bytes per fragment");
    limits_.max_datagrams = std::max<std::size_t>(limits_.max_datagrams, 1);
    limits_.max_fragments = std::max<std::size_t>(limits_.max_fragments, 1);
    // Everything add() will ever need, reserved now: the data path never allocates.
    slots_.resize(limits_.max_datagrams);
    free_slots_.reserve(limits_.max_datagrams);
    for (std::size_t i = limits_.max_datagrams; i-- > 0;) {
        slots_[i].fragments.reserve(limits_.max_fragments);
        free_slots_.push_back(slot_index(i));
    }
    // At most half full, so a bucket's chain is short when keys hash well. A hostile
    // sender choosing colliding keys gets one chain of at most max_datagrams: no worse
    // than a linear search, and bounded.
    buckets_.assign(std::bit_ceil(2 * limits_.max_datagrams), no_slot);
}

ipv4_reassembly::~ipv4_reassembly() = default;  // the slots' packets free their mbufs

std::optional<packet> ipv4_reassembly::add(const fragment_key& key, std::size_t offset, bool more_fragments,
                                           packet&& payload, clock::time_point now) {
    ++counters_.fragments;
    // Ours from here: every path that neither holds nor returns it frees it on return.
    packet fragment = std::move(payload);
    // Stale datagrams go first, so a fragment whose datagram timed out before expire()
    // was called starts afresh, and the memory they held is free for this one.
    expire(now);
    const std::size_t length = fragment.length();
    slot_index slot = find(key);

    // A fragment that cannot be part of a good datagram takes its datagram down with it:
    // the bytes it claims to carry will never be there (RFC 1858 section 4, RFC 5722).
    auto refuse = [&](std::uint64_t& reason) -> std::optional<packet> {
        if (slot != no_slot) {
            drop(slot, reason);
        } else {
            ++reason;
        }
        return std::nullopt;
    };

    // Carries nothing, and cannot take part in the overlap checks; Linux's ip_fragment.c
    // discards the datagram too (end == offset).
    if (length == 0) return refuse(counters_.empty);
    // RFC 791 section 3.1: Fragment Offset counts 8-octet units, so every fragment but
    // the last carries a multiple of 8 bytes. Linux trims the excess; we drop, as the
    // sender is broken or hostile.
    if (offset % 8 != 0 || (more_fragments && length % 8 != 0)) return refuse(counters_.misaligned);
    // RFC 791 section 3.1: Total Length is 16 bits and includes a header of at least 20
    // bytes. Past that end is the "ping of death" (offset 65528 plus a payload).
    if (offset > max_payload || length > max_payload - offset) return refuse(counters_.too_long);
    // Bigger than all the memory allowed: it can never be held, so its datagram is lost.
    if (length > limits_.max_bytes) return refuse(counters_.over_memory);
    const auto begin = std::uint16_t(offset);
    const auto end = std::uint16_t(offset + length);

    if (slot == no_slot) {
        // RFC 791 section 3.2: offset 0 with More Fragments clear is a whole datagram. The
        // stack passes only fragments, but nothing held can disagree with this one.
        if (offset == 0 && !more_fragments) {
            ++counters_.datagrams_completed;
            return fragment;
        }
        // Oldest first (see make_room_for_bytes), then a slot for the new datagram.
        make_room_for_bytes(length, no_slot);
        if (datagrams_held_ == limits_.max_datagrams) drop(oldest_, counters_.over_memory);
        slot = create(key);
        slots_[slot].fragments.push_back({begin, end, more_fragments, std::move(fragment)});
    } else {
        partial_datagram& datagram = slots_[slot];
        std::vector<held_fragment>& held = datagram.fragments;
        const std::size_t held_end = held.back().end;  // sorted, never overlapping: the highest end
        if (!more_fragments) {
            // RFC 791 section 3.2: the last fragment sets the datagram's length. A second
            // one that says otherwise, or bytes already held past it, mean a corrupt or
            // forged datagram (Linux's ip_fragment.c discards it too).
            if (datagram.last_seen && datagram.end != end) return refuse(counters_.duplicate_last);
            if (end < held_end) return refuse(counters_.past_end);
        } else if (datagram.last_seen && end > datagram.end) {
            return refuse(counters_.past_end);
        }

        // The first held fragment that begins at or after this one.
        auto at = std::lower_bound(held.begin(), held.end(), begin,
                                   [](const held_fragment& piece, std::uint16_t value) { return piece.begin < value; });
        if (at != held.end() && at->begin == begin && at->end == end) {
            // RFC 5722 section 4: an implementation MAY drop an exact duplicate alone, as
            // networks do duplicate fragments; the copy held first is the one delivered, so
            // a forged duplicate changes nothing. Same bytes with a different More
            // Fragments flag is no duplicate: it contradicts the datagram's end.
            if (at->more_fragments != more_fragments) return refuse(counters_.overlapping);
            ++counters_.duplicates;
            return std::nullopt;
        }
        // RFC 5722 section 4 (for IPv6; the same attacks work on IPv4, RFC 1858 section 4
        // and RFC 3128): overlapping fragments drop the whole datagram, so no filter and
        // host can ever disagree on which bytes won. Nothing is remembered of the dropped
        // datagram (Linux keeps nothing either): its later fragments start a new one that
        // completes only from fragments that agree, or times out.
        if ((at != held.end() && at->begin < end) || (at != held.begin() && std::prev(at)->end > begin)) {
            return refuse(counters_.overlapping);
        }
        if (held.size() >= limits_.max_fragments) return refuse(counters_.too_many_fragments);
        // Evicting other datagrams leaves this one's list, and `at`, as they are.
        make_room_for_bytes(length, slot);
        if (bytes_held_ + length > limits_.max_bytes) return refuse(counters_.over_memory);
        held.insert(at, {begin, end, more_fragments, std::move(fragment)});
    }

    partial_datagram& datagram = slots_[slot];
    datagram.bytes += length;
    bytes_held_ += length;
    if (!more_fragments) {
        datagram.last_seen = true;
        datagram.end = end;
    }
    return try_complete(slot);
}

std::optional<packet> ipv4_reassembly::try_complete(slot_index slot) {
    partial_datagram& datagram = slots_[slot];
    // The fragments never overlap and all lie in [0, end), so when their lengths add up to
    // end they cover every byte exactly once (RFC 791 section 3.2: no holes left).
    if (!datagram.last_seen || datagram.bytes != datagram.end) return std::nullopt;
    packet whole = std::move(datagram.fragments.front().payload);
    for (std::size_t i = 1; i < datagram.fragments.size(); ++i) {
        // Zero copy: the fragments' own mbufs, linked in offset order. chain() refuses a
        // chain past DPDK's segment limit (and, impossibly here, past 4 GiB), leaving both
        // packets as they were: `whole` frees its part on return, drop() the rest.
        if (!whole.chain(std::move(datagram.fragments[i].payload))) {
            drop(slot, counters_.too_many_segments);
            return std::nullopt;
        }
    }
    release(slot);
    ++counters_.datagrams_completed;
    return whole;
}

void ipv4_reassembly::expire(clock::time_point now) {
    latest_now_ = std::max(latest_now_, now);
    // Every datagram gets the same timeout from a clock that never goes back, so the age
    // list is in deadline order too: the stale ones are at its front.
    while (oldest_ != no_slot && slots_[oldest_].deadline <= latest_now_) drop(oldest_, counters_.timed_out);
}

std::optional<clock::time_point> ipv4_reassembly::next_deadline() const {
    if (oldest_ == no_slot) return std::nullopt;
    return slots_[oldest_].deadline;
}

// --- the table --------------------------------------------------------------------------

std::size_t ipv4_reassembly::bucket_of(const fragment_key& key) const noexcept {
    // Identification changes most between datagrams of one pair of hosts: multiply it in
    // separately, then fold the high bits down into the ones the mask keeps.
    std::uint64_t mixed = ((std::uint64_t(key.source) << 32) | key.destination) * 0x9e3779b97f4a7c15ull;
    mixed ^= ((std::uint64_t(key.identification) << 8) | key.protocol) * 0xc2b2ae3d27d4eb4full;
    mixed ^= mixed >> 32;
    mixed ^= mixed >> 16;
    return std::size_t(mixed) & (buckets_.size() - 1);
}

ipv4_reassembly::slot_index ipv4_reassembly::find(const fragment_key& key) const noexcept {
    slot_index slot = buckets_[bucket_of(key)];
    while (slot != no_slot && !(slots_[slot].key == key)) slot = slots_[slot].next_in_bucket;
    return slot;
}

ipv4_reassembly::slot_index ipv4_reassembly::create(const fragment_key& key) {
    const slot_index slot = free_slots_.back();
    free_slots_.pop_back();
    partial_datagram& datagram = slots_[slot];
    datagram.key = key;
    // The timeout runs from the first fragment (RFC 791 section 3.2, "timer"); later ones
    // do not extend it, so a trickle of fragments cannot pin memory.
    const clock::duration room = clock::time_point::max() - latest_now_;
    datagram.deadline = latest_now_ + std::min(limits_.timeout, room);
    datagram.bytes = 0;
    datagram.end = 0;
    datagram.last_seen = false;

    datagram.older = newest_;
    datagram.newer = no_slot;
    if (newest_ != no_slot) {
        slots_[newest_].newer = slot;
    } else {
        oldest_ = slot;
    }
    newest_ = slot;

    slot_index& bucket = buckets_[bucket_of(key)];
    datagram.next_in_bucket = bucket;
    bucket = slot;
    ++datagrams_held_;
    return slot;
}

void ipv4_reassembly::release(slot_index slot) noexcept {
    partial_datagram& datagram = slots_[slot];
    slot_index* link = &buckets_[bucket_of(datagram.key)];
    while (*link != slot) link = &slots_[*link].next_in_bucket;
    *link = datagram.next_in_bucket;

    if (datagram.older != no_slot) {
        slots_[datagram.older].newer = datagram.newer;
    } else {
        oldest_ = datagram.newer;
    }
    if (datagram.newer != no_slot) {
        slots_[datagram.newer].older = datagram.older;
    } else {
        newest_ = datagram.older;
    }
    datagram.older = datagram.newer = datagram.next_in_bucket = no_slot;

    bytes_held_ -= datagram.bytes;
    --datagrams_held_;
    datagram.fragments.clear();  // frees every mbuf now; the capacity stays for reuse
    free_slots_.push_back(slot);
}

void ipv4_reassembly::drop(slot_index slot, std::uint64_t& reason) noexcept {
    release(slot);
    ++reason;
}

// Eviction policy: when a fragment would pass max_bytes or max_datagrams, the oldest
// partial datagrams go first. The fragments of one datagram arrive back to back, so the
// oldest partial datagram is the one most likely to have lost a fragment and never
// complete; new traffic beats stale. Refusing new fragments instead (as Linux does past
// ipfrag_high_thresh) would let a burst of loss or a flood of lone fragments shut out
// every datagram for the whole timeout. The datagram being added to is kept; add()
// drops it only if it alone would still pass the limit.
void ipv4_reassembly::make_room_for_bytes(std::size_t bytes, slot_index keep) noexcept {
    slot_index candidate = oldest_;
    while (candidate != no_slot && bytes_held_ + bytes > limits_.max_bytes) {
        const slot_index newer = slots_[candidate].newer;
        if (candidate != keep) drop(candidate, counters_.over_memory);
        candidate = newer;
    }
}

}  // namespace sluice::net
