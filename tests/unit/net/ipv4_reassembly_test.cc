// IPv4 reassembly over real mbufs: fragments in any order give back the exact bytes,
// chained from their own mbufs; exact duplicates are dropped alone; overlaps, conflicting
// ends, misaligned, empty and too-long fragments drop the datagram; timeouts count from
// the first fragment; max_bytes, max_datagrams and max_fragments hold, oldest evicted
// first; a chain past DPDK's segment limit is dropped; and after every drop the pool is
// full again. Ends with a seeded run of lost, duplicated and reordered fragments.
#include <boost/test/unit_test.hpp>

#include <rte_mbuf.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sluice/net/ipv4_reassembly.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/packet_pool.hh"

using namespace sluice;
using namespace sluice::net;
using namespace std::chrono_literals;

namespace {

using bytes = std::vector<std::byte>;

bytes pattern(std::size_t n, unsigned seed = 1) {
    bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = std::byte((i * 7 + seed * 31 + i / 251) & 0xff);
    return out;
}

bytes contents(const packet& p) {
    bytes out(p.length());
    BOOST_REQUIRE_EQUAL(p.copy_out(0, out), out.size());
    return out;
}

// DPDK's own consistency check of a chain (nb_segs and pkt_len agree with the segments).
std::string chain_problem(const packet& p) {
    if (p.mbuf() == nullptr) return {};
    const char* reason = nullptr;
    return rte_mbuf_check(p.mbuf(), 1, &reason) == 0 ? std::string() : std::string(reason);
}

std::vector<const rte_mbuf*> segments_of(const packet& p) {
    std::vector<const rte_mbuf*> out;
    for (const rte_mbuf* m = p.mbuf(); m != nullptr; m = m->next) out.push_back(m);
    return out;
}

packet must(buffer_result<packet> made) {
    BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : describe(made.error())));
    return std::move(made).value();
}

// A pool for one test; at the end every mbuf must be back.
struct checked_pool : packet_pool {
    explicit checked_pool(unsigned count = 127, std::uint16_t data_room = packet_pool_config{}.data_room)
        : packet_pool(make(count, data_room)) {}
    ~checked_pool() { BOOST_CHECK_EQUAL(available(), capacity()); }
    bool full() const { return available() == capacity(); }

    static packet_pool make(unsigned count, std::uint16_t data_room) {
        static unsigned serial = 0;
        auto made = packet_pool::create(
            {.name = "reasm_test_" + std::to_string(serial++), .count = count, .cache_size = 0, .data_room = data_room});
        BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? std::string() : made.message()));
        return std::move(made).value();
    }
};

// 198.18.0.1 -> 198.18.0.2 (RFC 2544's benchmarking range), UDP.
constexpr fragment_key key_a{.source = 0xc6120001, .destination = 0xc6120002, .identification = 7, .protocol = 17};
constexpr fragment_key key_b{.source = 0xc6120001, .destination = 0xc6120002, .identification = 8, .protocol = 17};

const clock::time_point t0 = clock::time_point{} + 1h;

// A pool (declared first, so it is checked last) and the reassembly under test.
struct rig {
    checked_pool pool;
    ipv4_reassembly reassembly;

    explicit rig(reassembly_limits limits = {}, unsigned mbufs = 127) : pool(mbufs), reassembly(limits) {}

    // Sends bytes [offset, offset + length) of `whole` as one fragment.
    std::optional<packet> send(const fragment_key& key, const bytes& whole, std::size_t offset, std::size_t length,
                               bool more, clock::time_point now = t0) {
        bytes piece(whole.begin() + std::ptrdiff_t(offset), whole.begin() + std::ptrdiff_t(offset + length));
        return reassembly.add(key, offset, more, must(packet::copy_of(piece, pool)), now);
    }
    // A fragment of `length` bytes whose contents do not matter.
    std::optional<packet> send(const fragment_key& key, std::size_t offset, std::size_t length, bool more,
                               clock::time_point now = t0) {
        return send(key, pattern(offset + length), offset, length, more, now);
    }
    bool empty() const { return reassembly.datagrams_held() == 0 && reassembly.bytes_held() == 0; }
};

struct piece {
    std::size_t offset, length;
    bool more;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(ipv4_reassembly_tests)

// --- reassembly -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reassembles_fragments_arriving_in_any_order) {
    rig r;
    const bytes whole = pattern(3000);
    const std::array<piece, 4> pieces{{{0, 1000, true}, {1000, 1000, true}, {2000, 400, true}, {2400, 600, false}}};
    std::array<std::size_t, 4> order{0, 1, 2, 3};
    unsigned orders = 0;
    do {
        std::optional<packet> result;
        for (std::size_t i = 0; i < order.size(); ++i) {
            const piece& p = pieces[order[i]];
            result = r.send(key_a, whole, p.offset, p.length, p.more);
            BOOST_REQUIRE_EQUAL(result.has_value(), i + 1 == order.size());
        }
        BOOST_TEST((contents(*result) == whole));
        BOOST_TEST(chain_problem(*result).empty(), chain_problem(*result));
        BOOST_TEST(r.empty());
        result.reset();
        BOOST_TEST(r.pool.full());
        ++orders;
    } while (std::next_permutation(order.begin(), order.end()));
    BOOST_TEST(orders == 24u);
    BOOST_TEST(r.reassembly.counters().datagrams_completed == 24u);
    BOOST_TEST(r.reassembly.counters().fragments == 96u);
}

BOOST_AUTO_TEST_CASE(completed_datagram_is_chained_from_the_fragments_own_mbufs) {
    rig r;
    const bytes whole = pattern(7000, 3);
    // The later fragments span two mbufs each, as a jumbo frame received in pieces would.
    packet first = must(packet::copy_of(bytes(whole.begin(), whole.begin() + 1000), r.pool));
    packet middle = must(packet::copy_of(bytes(whole.begin() + 1000, whole.begin() + 4000), r.pool));
    packet last = must(packet::copy_of(bytes(whole.begin() + 4000, whole.end()), r.pool));
    BOOST_REQUIRE_EQUAL(middle.segments(), 2u);
    BOOST_REQUIRE_EQUAL(last.segments(), 2u);
    std::vector<const rte_mbuf*> expected = segments_of(first);
    for (const packet* p : {&middle, &last}) {
        for (const rte_mbuf* m : segments_of(*p)) expected.push_back(m);
    }

    BOOST_TEST(!r.reassembly.add(key_a, 4000, false, std::move(last), t0));
    BOOST_TEST(!r.reassembly.add(key_a, 0, true, std::move(first), t0));
    std::optional<packet> result = r.reassembly.add(key_a, 1000, true, std::move(middle), t0);
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST((segments_of(*result) == expected));  // the same mbufs, in offset order: no copy
    BOOST_TEST(result->length() == 7000u);
    BOOST_TEST((contents(*result) == whole));
    BOOST_TEST(chain_problem(*result).empty(), chain_problem(*result));
}

BOOST_AUTO_TEST_CASE(whole_datagram_passes_through_untouched) {
    rig r;
    packet p = must(packet::copy_of(pattern(300), r.pool));
    const rte_mbuf* head = p.mbuf();
    std::optional<packet> result = r.reassembly.add(key_a, 0, false, std::move(p), t0);
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(result->mbuf() == head);
    BOOST_TEST(r.empty());
    BOOST_TEST(!r.reassembly.next_deadline());
}

BOOST_AUTO_TEST_CASE(keys_differing_in_any_field_are_different_datagrams) {
    rig r;
    std::vector<fragment_key> keys(5, key_a);
    keys[1].source ^= 1;
    keys[2].destination ^= 1;
    keys[3].identification ^= 1;
    keys[4].protocol = 6;
    std::vector<bytes> wholes;
    for (unsigned i = 0; i < keys.size(); ++i) wholes.push_back(pattern(80, i + 10));
    for (unsigned i = 0; i < keys.size(); ++i) BOOST_TEST(!r.send(keys[i], wholes[i], 0, 40, true));
    BOOST_TEST(r.reassembly.datagrams_held() == keys.size());
    for (unsigned i = 0; i < keys.size(); ++i) {
        std::optional<packet> result = r.send(keys[i], wholes[i], 40, 40, false);
        BOOST_REQUIRE(result.has_value());
        BOOST_TEST((contents(*result) == wholes[i]), "key " << i);
    }
    BOOST_TEST(r.empty());
}

BOOST_AUTO_TEST_CASE(reassembles_the_largest_datagram_ipv4_allows) {
    rig r;
    const bytes whole = pattern(ipv4_reassembly::max_payload, 5);
    std::optional<packet> result;
    for (std::size_t offset = 0; offset < whole.size(); offset += 1480) {
        const std::size_t length = std::min<std::size_t>(1480, whole.size() - offset);
        BOOST_REQUIRE(!result);
        result = r.send(key_a, whole, offset, length, offset + length < whole.size());
    }
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(result->length() == 65515u);
    BOOST_TEST((contents(*result) == whole));
}

// --- duplicates and overlaps (RFC 5722 section 4, RFC 1858 section 4) --------------------

BOOST_AUTO_TEST_CASE(duplicate_fragment_does_not_kill_datagram) {
    rig r;
    const bytes whole = pattern(20), forged = pattern(20, 9);
    BOOST_TEST(!r.send(key_a, whole, 16, 4, false));
    BOOST_TEST(!r.send(key_a, forged, 16, 4, false));  // duplicate of the last fragment
    BOOST_TEST(!r.send(key_a, whole, 0, 8, true));
    const unsigned held = r.pool.in_use();
    BOOST_TEST(!r.send(key_a, forged, 0, 8, true));  // duplicate of the first
    BOOST_TEST(r.pool.in_use() == held);             // freed at once
    BOOST_TEST(r.reassembly.bytes_held() == 12u);
    std::optional<packet> result = r.send(key_a, whole, 8, 8, true);
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST((contents(*result) == whole));  // the copies held first are the ones delivered
    BOOST_TEST(r.reassembly.counters().duplicates == 2u);
    BOOST_TEST(r.reassembly.counters().overlapping == 0u);
}

BOOST_AUTO_TEST_CASE(drops_datagram_with_overlapping_fragments) {
    // Held first, then one that overlaps it: from behind, from in front, inside, around.
    const std::array<std::array<piece, 2>, 5> cases{{
        {{{0, 16, true}, {8, 16, true}}},
        {{{8, 16, true}, {0, 16, true}}},
        {{{0, 24, true}, {8, 8, true}}},
        {{{8, 8, true}, {0, 24, true}}},
        {{{0, 16, true}, {0, 24, true}}},  // same start, longer
    }};
    rig r;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        BOOST_TEST(!r.send(key_a, 32, 8, false));  // the last fragment, so the datagram is big
        BOOST_TEST(!r.send(key_a, cases[i][0].offset, cases[i][0].length, cases[i][0].more));
        BOOST_TEST(r.reassembly.datagrams_held() == 1u);
        BOOST_TEST(!r.send(key_a, cases[i][1].offset, cases[i][1].length, cases[i][1].more));
        BOOST_TEST(r.empty(), "case " << i);
        BOOST_TEST(r.pool.full(), "case " << i);
        BOOST_TEST(r.reassembly.counters().overlapping == i + 1);
    }
    // Nothing is remembered: a later fragment of the dropped datagram starts a new one.
    BOOST_TEST(!r.send(key_a, 0, 8, true));
    BOOST_TEST(r.reassembly.datagrams_held() == 1u);
}

BOOST_AUTO_TEST_CASE(same_bytes_with_a_different_more_fragments_flag_is_no_duplicate) {
    rig r;
    BOOST_TEST(!r.send(key_a, 0, 8, true));
    BOOST_TEST(!r.send(key_a, 8, 8, true));
    BOOST_TEST(!r.send(key_a, 8, 8, false));  // says the datagram ends where the held one said it goes on
    BOOST_TEST(r.empty());
    BOOST_TEST(r.reassembly.counters().overlapping == 1u);
    BOOST_TEST(r.reassembly.counters().duplicates == 0u);
}

BOOST_AUTO_TEST_CASE(drops_datagram_with_two_different_last_fragments) {
    rig r;
    BOOST_TEST(!r.send(key_a, 16, 4, false));
    BOOST_TEST(!r.send(key_a, 24, 4, false));
    BOOST_TEST(r.empty());
    BOOST_TEST(r.pool.full());
    BOOST_TEST(!r.send(key_a, 16, 4, false));
    BOOST_TEST(!r.send(key_a, 16, 8, false));  // same start, another end
    BOOST_TEST(r.empty());
    BOOST_TEST(r.reassembly.counters().duplicate_last == 2u);
}

BOOST_AUTO_TEST_CASE(drops_datagram_with_bytes_past_its_last_fragment) {
    rig r;
    BOOST_TEST(!r.send(key_a, 8, 4, false));
    BOOST_TEST(!r.send(key_a, 16, 8, true));  // past the end the last fragment set
    BOOST_TEST(r.empty());
    BOOST_TEST(!r.send(key_a, 16, 8, true));
    BOOST_TEST(!r.send(key_a, 0, 8, false));  // a last fragment ending before bytes held
    BOOST_TEST(r.empty());
    BOOST_TEST(r.pool.full());
    BOOST_TEST(r.reassembly.counters().past_end == 2u);
}

// --- malformed fragments ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rejects_datagram_longer_than_ipv4_allows) {
    rig r;
    BOOST_TEST(!r.send(key_a, 65512, 3, false));  // ends at 65515: allowed
    BOOST_TEST(r.reassembly.datagrams_held() == 1u);
    BOOST_TEST(!r.send(key_a, 0, 8, true));
    BOOST_TEST(!r.send(key_a, 65512, 4, false));  // ends at 65516: the datagram goes
    BOOST_TEST(r.empty());
    BOOST_TEST(r.pool.full());
    BOOST_TEST(!r.send(key_b, 65528, 8, true));  // the largest offset the field can hold
    BOOST_TEST(!r.send(key_b, 70000, 8, false));
    BOOST_TEST(r.empty());
    BOOST_TEST(r.reassembly.counters().too_long == 3u);
}

BOOST_AUTO_TEST_CASE(drops_datagram_with_misaligned_fragment) {
    rig r;
    BOOST_TEST(!r.send(key_a, 0, 16, true));
    BOOST_TEST(!r.send(key_a, 16, 12, true));  // not the last, and not a multiple of 8
    BOOST_TEST(r.empty());
    BOOST_TEST(!r.send(key_a, 0, 16, true));
    BOOST_TEST(!r.send(key_a, 20, 4, false));  // offset not a multiple of 8
    BOOST_TEST(r.empty());
    BOOST_TEST(r.pool.full());
    BOOST_TEST(r.reassembly.counters().misaligned == 2u);
    BOOST_TEST(!r.send(key_a, 16, 12, false));  // a last fragment may end anywhere
    BOOST_TEST(r.reassembly.datagrams_held() == 1u);
}

BOOST_AUTO_TEST_CASE(drops_datagram_with_empty_fragment) {
    rig r;
    BOOST_TEST(!r.send(key_a, 0, 16, true));
    BOOST_TEST(!r.reassembly.add(key_a, 16, false, must(packet::allocate(r.pool)), t0));
    BOOST_TEST(!r.reassembly.add(key_b, 0, true, packet(), t0));  // no mbuf at all
    BOOST_TEST(r.empty());
    BOOST_TEST(r.pool.full());
    BOOST_TEST(r.reassembly.counters().empty == 2u);
}

// --- time -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(expires_incomplete_datagram_after_timeout) {
    rig r;
    BOOST_TEST(!r.reassembly.next_deadline());
    BOOST_TEST(!r.send(key_a, 0, 8, true, t0));
    BOOST_TEST(!r.send(key_a, 16, 8, false, t0 + 20s));  // later fragments do not extend it
    BOOST_TEST((r.reassembly.next_deadline() == t0 + 30s));
    r.reassembly.expire(t0 + 30s - 1ns);
    BOOST_TEST(r.reassembly.datagrams_held() == 1u);
    r.reassembly.expire(t0 + 30s);
    BOOST_TEST(r.empty());
    BOOST_TEST(r.pool.full());
    BOOST_TEST(!r.reassembly.next_deadline());
    BOOST_TEST(r.reassembly.counters().timed_out == 1u);
}

BOOST_AUTO_TEST_CASE(fragment_after_timeout_starts_afresh_before_expire_is_called) {
    rig r;
    const bytes whole = pattern(16);
    BOOST_TEST(!r.send(key_a, whole, 0, 8, true, t0));
    BOOST_TEST(!r.send(key_a, whole, 8, 8, false, t0 + 30s));  // would complete, but too late
    BOOST_TEST(r.reassembly.counters().timed_out == 1u);
    BOOST_TEST(r.reassembly.datagrams_held() == 1u);
    BOOST_TEST((r.reassembly.next_deadline() == t0 + 60s));
    std::optional<packet> result = r.send(key_a, whole, 0, 8, true, t0 + 31s);
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST((contents(*result) == whole));
}

BOOST_AUTO_TEST_CASE(next_deadline_follows_the_oldest_datagram) {
    rig r({.timeout = 5s});
    BOOST_TEST(!r.send(key_a, 0, 8, true, t0));
    BOOST_TEST(!r.send(key_b, 0, 8, true, t0 + 1s));
    BOOST_TEST((r.reassembly.next_deadline() == t0 + 5s));
    BOOST_TEST(r.send(key_a, 8, 8, false, t0 + 2s).has_value());
    BOOST_TEST((r.reassembly.next_deadline() == t0 + 6s));
    // A clock read that goes back is taken as the latest time seen.
    BOOST_TEST(!r.send(key_a, 0, 8, true, t0));
    BOOST_TEST(r.reassembly.datagrams_held() == 2u);
    r.reassembly.expire(t0 + 6s);
    BOOST_TEST((r.reassembly.next_deadline() == t0 + 7s));
}

// --- limits -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(never_holds_more_than_max_bytes) {
    rig r({.max_bytes = 4096});
    // Fifty datagrams of three 1024-byte fragments, each missing its last.
    for (std::uint16_t id = 0; id < 50; ++id) {
        const fragment_key key{.source = 1, .destination = 2, .identification = id, .protocol = 17};
        BOOST_TEST(!r.send(key, 0, 1024, true));
        BOOST_TEST(r.reassembly.bytes_held() <= 4096u);
        BOOST_TEST(!r.send(key, 1024, 1024, true));
        BOOST_TEST(r.reassembly.bytes_held() <= 4096u);
    }
    // The newest two are the ones kept.
    BOOST_TEST(r.reassembly.bytes_held() == 4096u);
    BOOST_TEST(r.reassembly.counters().over_memory == 48u);
    BOOST_TEST(r.pool.in_use() == 4u);
    // Completing the newest evicts the one before it to make room.
    const fragment_key newest{.source = 1, .destination = 2, .identification = 49, .protocol = 17};
    std::optional<packet> result = r.send(newest, pattern(3000), 2048, 952, false);
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(result->length() == 3000u);
    BOOST_TEST(r.empty());
    BOOST_TEST(r.reassembly.counters().over_memory == 49u);
}

BOOST_AUTO_TEST_CASE(drops_datagram_that_alone_would_pass_max_bytes) {
    rig r({.max_bytes = 2048});
    BOOST_TEST(!r.send(key_a, 0, 2056, true));  // can never be held
    BOOST_TEST(r.empty());
    BOOST_TEST(!r.send(key_a, 0, 1024, true));
    BOOST_TEST(!r.send(key_a, 1024, 1024, true));
    BOOST_TEST(!r.send(key_a, 2048, 8, false));  // its own bytes would pass the limit
    BOOST_TEST(r.empty());
    BOOST_TEST(r.pool.full());
    BOOST_TEST(r.reassembly.counters().over_memory == 2u);
}

BOOST_AUTO_TEST_CASE(evicts_oldest_datagram_when_table_is_full) {
    rig r({.max_datagrams = 3});
    auto key = [](std::uint16_t id) {
        return fragment_key{.source = 1, .destination = 2, .identification = id, .protocol = 17};
    };
    const bytes whole = pattern(16);
    for (std::uint16_t id = 1; id <= 4; ++id) BOOST_TEST(!r.send(key(id), whole, 0, 8, true, t0 + id * 1s));
    BOOST_TEST(r.reassembly.datagrams_held() == 3u);
    BOOST_TEST(r.reassembly.counters().over_memory == 1u);
    BOOST_TEST((r.reassembly.next_deadline() == t0 + 2s + 30s));  // 1 went, 2 is now the oldest
    BOOST_TEST(r.send(key(2), whole, 8, 8, false, t0 + 5s).has_value());
    BOOST_TEST(r.send(key(4), whole, 8, 8, false, t0 + 5s).has_value());
    BOOST_TEST(!r.send(key(1), whole, 8, 8, false, t0 + 5s));  // starts afresh: its start is gone
    BOOST_TEST(r.reassembly.datagrams_held() == 2u);
}

BOOST_AUTO_TEST_CASE(drops_datagram_with_too_many_fragments) {
    rig r({.max_fragments = 4});
    for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(!r.send(key_a, i * 8, 8, true));
    BOOST_TEST(!r.send(key_a, 0, 8, true));  // a duplicate at the limit is only a duplicate
    BOOST_TEST(r.reassembly.datagrams_held() == 1u);
    BOOST_TEST(!r.send(key_a, 32, 8, false));
    BOOST_TEST(r.empty());
    BOOST_TEST(r.pool.full());
    BOOST_TEST(r.reassembly.counters().too_many_fragments == 1u);
    BOOST_TEST(r.reassembly.counters().duplicates == 1u);
}

BOOST_AUTO_TEST_CASE(drops_datagram_whose_chain_would_pass_the_segment_limit) {
    // Two fragments of 8 bytes each trailing tens of thousands of empty segments: together
    // more than the 65535 segments an mbuf chain may have.
    checked_pool data(15);
    checked_pool empty_segments(70'001, 0);
    {
        ipv4_reassembly reassembly;
        auto padded = [&](std::size_t extra) {
            packet p = must(packet::copy_of(pattern(8), data));
            rte_mbuf* last = p.mbuf();
            for (std::size_t i = 0; i < extra; ++i) {
                rte_mbuf* m = rte_pktmbuf_alloc(empty_segments.mempool());
                BOOST_REQUIRE(m != nullptr);
                last->next = m;
                last = m;
            }
            p.mbuf()->nb_segs = std::uint16_t(1 + extra);
            return p;
        };
        BOOST_TEST(!reassembly.add(key_a, 0, true, padded(40'000), t0));
        BOOST_TEST(!reassembly.add(key_a, 8, false, padded(30'000), t0));
        BOOST_TEST(reassembly.counters().too_many_segments == 1u);
        BOOST_TEST(reassembly.datagrams_held() == 0u);
        BOOST_TEST(data.full());
        BOOST_TEST(empty_segments.full());
    }
}

// --- memory -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(pool_is_full_again_after_every_drop) {
    rig r({.max_bytes = 4096, .max_datagrams = 4, .max_fragments = 8, .timeout = 10s});
    // Three fragments held, 2416 bytes in four mbufs, gaps at [8, 2048) and [4448, 5000);
    // then what drops them.
    auto hold_three = [&](const fragment_key& key) {
        BOOST_TEST(!r.send(key, 0, 8, true));
        BOOST_TEST(!r.send(key, 2048, 2400, true));
        BOOST_TEST(!r.send(key, 5000, 8, false));
        BOOST_TEST(r.pool.in_use() >= 4u);
    };
    struct dropper {
        const char* name;
        std::function<void()> drop;
    };
    const std::vector<dropper> droppers{
        {"overlap", [&] { (void)r.send(key_a, 2040, 16, true); }},
        {"other last", [&] { (void)r.send(key_a, 5000, 16, false); }},
        {"past end", [&] { (void)r.send(key_a, 5008, 8, true); }},
        {"misaligned", [&] { (void)r.send(key_a, 8, 12, true); }},
        {"empty", [&] { (void)r.reassembly.add(key_a, 8, true, packet(), t0); }},
        {"too long", [&] { (void)r.send(key_a, 65528, 8, false); }},
        {"over max_bytes", [&] { (void)r.send(key_a, 8, 2040, true); }},
        {"too many fragments",
         [&] {
             for (std::size_t offset = 8; offset <= 48; offset += 8) (void)r.send(key_a, offset, 8, true);
         }},
        {"expire", [&] { r.reassembly.expire(t0 + 10s); }},
    };
    for (const dropper& d : droppers) {
        hold_three(key_a);
        d.drop();
        BOOST_TEST(r.empty(), d.name);
        BOOST_TEST(r.pool.full(), d.name);
        r.reassembly = ipv4_reassembly(r.reassembly.limits());  // fresh clock for the next one
    }
    // Eviction for a new datagram when the table is full frees the evicted one's mbufs.
    r.reassembly = ipv4_reassembly({.max_datagrams = 4});
    for (std::uint16_t id = 0; id < 5; ++id) {
        hold_three({.source = 1, .destination = 2, .identification = id, .protocol = 17});
    }
    BOOST_TEST(r.reassembly.datagrams_held() == 4u);
    BOOST_TEST(r.pool.in_use() == 4 * 4u);
    // And the destructor frees whatever is still held.
    r.reassembly = ipv4_reassembly();
    BOOST_TEST(r.pool.full());
}

// --- a seeded run -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(random_fragments_lost_duplicated_and_reordered_reassemble_exactly) {
    const reassembly_limits limits{.max_bytes = 2 << 20, .max_datagrams = 64, .max_fragments = 64, .timeout = 2s};
    rig r(limits, 8191);
    std::mt19937 rng(20240612);  // fixed: a failure replays
    auto between = [&](std::size_t low, std::size_t high) { return low + std::size_t(rng() % (high - low + 1)); };
    auto chance = [&](unsigned percent) { return rng() % 100 < percent; };

    struct datagram {
        fragment_key key;
        bytes payload;
        bool every_piece_arrived = true;
        unsigned completions = 0;
    };
    struct copy {
        std::size_t datagram;
        piece cut;
    };
    std::vector<datagram> sent;
    clock::time_point now = t0;
    unsigned events = 0;

    // Pieces of at most 1480 bytes (an Ethernet MTU's worth), each but the last a multiple
    // of 8 and at least 1/48 of the datagram, so no datagram has more than 49.
    auto cut_up = [&](std::size_t length) {
        const std::size_t smallest = std::min<std::size_t>(1480, std::max<std::size_t>(8, (length / 48 + 7) / 8 * 8));
        std::vector<piece> pieces;
        std::size_t offset = 0;
        for (;;) {
            std::size_t size = 8 * between(smallest / 8, 1480 / 8);
            if (offset + size >= length) {
                if (offset == 0) {  // at least two pieces
                    size = (length - 1) / 8 * 8;
                    pieces.push_back({0, size, true});
                    offset = size;
                }
                pieces.push_back({offset, length - offset, false});
                return pieces;
            }
            pieces.push_back({offset, size, true});
            offset += size;
        }
    };

    while (sent.size() < 3000) {
        // A batch of datagrams whose fragments interleave, then a pause now and then that
        // lets the stale ones time out.
        std::vector<copy> wire;
        const std::size_t batch = between(1, 8);
        for (std::size_t b = 0; b < batch; ++b) {
            const std::size_t index = sent.size();
            const std::size_t length = chance(2) ? between(9, ipv4_reassembly::max_payload) : between(9, 12000);
            datagram d{.key = {.source = 0xc6120001,
                               .destination = 0xc6120002 + std::uint32_t(index >> 16),
                               .identification = std::uint16_t(index),
                               .protocol = 17},
                       .payload = bytes(length)};
            for (std::byte& value : d.payload) value = std::byte(rng());
            for (const piece& p : cut_up(length)) {
                const unsigned copies = chance(10) ? 2 : 1;
                unsigned arrived = 0;
                for (unsigned c = 0; c < copies; ++c) {
                    if (chance(4)) continue;  // lost
                    wire.push_back({index, p});
                    ++arrived;
                }
                d.every_piece_arrived = d.every_piece_arrived && arrived != 0;
            }
            sent.push_back(std::move(d));
        }
        std::shuffle(wire.begin(), wire.end(), rng);

        for (const copy& c : wire) {
            now += std::chrono::microseconds(between(0, 1000));
            datagram& d = sent[c.datagram];
            std::optional<packet> result = r.send(d.key, d.payload, c.cut.offset, c.cut.length, c.cut.more, now);
            ++events;
            if (result) {
                ++d.completions;
                BOOST_REQUIRE_MESSAGE(contents(*result) == d.payload, "datagram " << c.datagram);
                BOOST_REQUIRE_MESSAGE(chain_problem(*result).empty(), chain_problem(*result));
            }
            BOOST_REQUIRE(r.reassembly.bytes_held() <= limits.max_bytes);
            BOOST_REQUIRE(r.reassembly.datagrams_held() <= limits.max_datagrams);
            if (events % 37 == 0) {
                r.reassembly.expire(now);
                if (auto deadline = r.reassembly.next_deadline()) BOOST_REQUIRE(*deadline > now);
            }
        }
        if (chance(5)) now += std::chrono::milliseconds(between(500, 3000));
    }

    unsigned complete = 0, incomplete = 0;
    for (std::size_t i = 0; i < sent.size(); ++i) {
        // Whole exactly when every piece arrived: a batch spans well under the timeout and
        // far fewer datagrams than max_datagrams, so only stale ones were evicted.
        BOOST_REQUIRE_MESSAGE((sent[i].completions != 0) == sent[i].every_piece_arrived, "datagram " << i);
        (sent[i].every_piece_arrived ? complete : incomplete) += 1;
    }
    const reassembly_counters& counters = r.reassembly.counters();
    BOOST_TEST(counters.fragments == events);
    r.reassembly.expire(now + limits.timeout);
    BOOST_TEST(r.empty());
    BOOST_TEST(r.pool.full());

    BOOST_TEST_MESSAGE("datagrams " << sent.size() << ": " << complete << " complete, " << incomplete
                                    << " incomplete; fragments " << counters.fragments << ", duplicates "
                                    << counters.duplicates << ", timed out " << counters.timed_out << ", evicted "
                                    << counters.over_memory);
    BOOST_TEST(complete > 1000u);
    BOOST_TEST(incomplete > 100u);
    BOOST_TEST(counters.duplicates > 100u);
    BOOST_TEST(counters.timed_out > 10u);
    BOOST_TEST(counters.over_memory > 10u);
    // Nothing else was wrong with these fragments.
    BOOST_TEST(counters.overlapping + counters.duplicate_last + counters.past_end + counters.misaligned +
                   counters.too_long + counters.too_many_fragments + counters.too_many_segments + counters.empty ==
               0u);
}

BOOST_AUTO_TEST_SUITE_END()
