// sim::wire's faults, one per test: loss, duplication, reordering, delay and jitter, MTU,
// rate limit, corruption, and the bounded queues. Statistical checks use a fixed seed
// and wide bounds; everything else is exact, in virtual time.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <vector>

#include "tests/sim/sim_support.hh"

using namespace sluice;
using namespace sluice::testing;
using namespace std::chrono_literals;

namespace {

// How many frames sent after each one were read before it (its lateness in places).
std::vector<std::size_t> overtaken_by(const std::vector<received>& got) {
    std::vector<std::size_t> counts;
    for (std::size_t i = 0; i < got.size(); ++i) {
        std::size_t later = 0;
        for (std::size_t j = 0; j < i; ++j) later += got[j].sequence() > got[i].sequence();
        counts.push_back(later);
    }
    return counts;
}

// A frame of two segments (`first` + `second` bytes) for the multi-segment paths.
rte_mbuf* chained_frame(rte_mempool* pool, std::uint32_t sequence, std::uint16_t first, std::uint16_t second) {
    rte_mbuf* head = make_frame(pool, mac_of(2), mac_of(1), sequence, first);
    rte_mbuf* tail = rte_pktmbuf_alloc(pool);
    BOOST_REQUIRE(tail);
    auto* data = reinterpret_cast<std::uint8_t*>(rte_pktmbuf_append(tail, second));
    for (std::uint16_t i = 0; i < second; ++i) data[i] = std::uint8_t(0xa0 + i);
    BOOST_REQUIRE_EQUAL(rte_pktmbuf_chain(head, tail), 0);
    return head;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_wire_faults)

BOOST_AUTO_TEST_CASE(loss_rate_is_close_to_the_configured_probability) {
    test_pool pool;
    sim::link_profile profile;
    profile.loss = 0.2;
    two_ports wire(pool.pool, profile, 7);
    std::vector<received> got;
    for (std::uint32_t batch = 0; batch < 10; ++batch) {
        wire.send_a_to_b(pool.pool, batch * 1000, 1000);
        drain(*wire.b, got);
    }
    const auto& faults = wire.a->faults();
    BOOST_CHECK_EQUAL(faults.sent, 10000u);
    BOOST_CHECK_EQUAL(faults.dropped_loss + got.size(), 10000u);
    // Expected 2000, standard deviation 40: these bounds are 7.5 of them.
    BOOST_CHECK_GT(faults.dropped_loss, 1700u);
    BOOST_CHECK_LT(faults.dropped_loss, 2300u);
}

BOOST_AUTO_TEST_CASE(duplicates_are_copies_and_both_arrive) {
    test_pool pool;
    sim::link_profile profile;
    profile.duplicate = 1.0;
    two_ports wire(pool.pool, profile);
    wire.send_a_to_b(pool.pool, 0, 16);
    rte_mbuf* frames[64];
    const std::uint16_t n = wire.b->rx_burst(0, frames, 64);
    BOOST_REQUIRE_EQUAL(n, 32);
    for (std::uint16_t i = 0; i < n; i += 2) {
        BOOST_CHECK_EQUAL(sequence_of(frames[i]), i / 2u);
        BOOST_CHECK_EQUAL(sequence_of(frames[i + 1]), i / 2u);
        BOOST_CHECK(frames[i] != frames[i + 1]);
        BOOST_CHECK(frames[i]->buf_addr != frames[i + 1]->buf_addr);  // its own bytes, not a shared buffer
        BOOST_CHECK_EQUAL(rte_mbuf_refcnt_read(frames[i]), 1);
        BOOST_CHECK_EQUAL(rte_mbuf_refcnt_read(frames[i + 1]), 1);
        BOOST_CHECK(bytes_of(frames[i]) == bytes_of(frames[i + 1]));
    }
    rte_pktmbuf_free_bulk(frames, n);
    BOOST_CHECK_EQUAL(wire.a->faults().duplicated, 16u);
    BOOST_CHECK_EQUAL(wire.a->faults().forwarded, 32u);
}

BOOST_AUTO_TEST_CASE(reordering_only_within_the_configured_window) {
    test_pool pool;
    sim::link_profile profile;
    profile.reorder = 0.3;
    profile.reorder_distance = 3;
    profile.reorder_max_hold = 50us;
    profile.delay = 5us;
    two_ports wire(pool.pool, profile, 11);
    std::vector<received> got;
    const std::uint32_t count = 2000;
    for (std::uint32_t i = 0; i < count; ++i) {
        run_until(*wire.wire, {wire.b}, got, i * 1us);
        wire.send_a_to_b(pool.pool, i, 1);
    }
    run_until_idle(*wire.wire, {wire.b}, got);  // the last held frames go when their hold runs out
    BOOST_REQUIRE_EQUAL(got.size(), count);
    std::vector<std::uint32_t> sequences;
    for (const auto& frame : got) sequences.push_back(frame.sequence());
    std::sort(sequences.begin(), sequences.end());
    BOOST_CHECK(std::adjacent_find(sequences.begin(), sequences.end()) == sequences.end());  // each once
    const auto overtaken = overtaken_by(got);
    std::map<std::size_t, std::size_t> histogram;
    for (std::size_t places : overtaken) ++histogram[places];
    BOOST_CHECK_LE(histogram.rbegin()->first, 3u);
    BOOST_CHECK_GT(histogram[1], 0u);
    BOOST_CHECK_GT(histogram[3], 0u);  // the whole window is used
    BOOST_CHECK_GT(wire.a->faults().reordered, 400u);
}

BOOST_AUTO_TEST_CASE(a_held_frame_goes_when_the_link_stays_quiet) {
    test_pool pool;
    sim::link_profile profile;
    profile.reorder = 1.0;
    profile.reorder_max_hold = 100us;
    two_ports wire(pool.pool, profile);
    wire.send_a_to_b(pool.pool, 0, 1);
    rte_mbuf* frame;
    BOOST_CHECK_EQUAL(wire.b->rx_burst(0, &frame, 1), 0);
    BOOST_REQUIRE(wire.wire->next_event().has_value());
    BOOST_CHECK_EQUAL(wire.wire->next_event()->count(), ns(100us));
    wire.wire->advance_to(100us);
    BOOST_REQUIRE_EQUAL(wire.b->rx_burst(0, &frame, 1), 1);
    rte_pktmbuf_free(frame);
}

BOOST_AUTO_TEST_CASE(delay_and_jitter_bound_delivery_times) {
    test_pool pool;
    sim::link_profile profile;
    profile.delay = 50us;
    profile.jitter = 20us;
    two_ports wire(pool.pool, profile, 3);
    std::vector<received> got;
    const std::uint32_t count = 1000;
    for (std::uint32_t i = 0; i < count; ++i) {
        run_until(*wire.wire, {wire.b}, got, i * 10us);  // each frame read at its delivery time
        wire.send_a_to_b(pool.pool, i, 1);
    }
    run_until_idle(*wire.wire, {wire.b}, got);
    BOOST_REQUIRE_EQUAL(got.size(), count);
    sim::nanoseconds least = 1s, most = 0s;
    for (const received& frame : got) {
        const sim::nanoseconds transit = frame.at - frame.sequence() * 10us;
        least = std::min(least, transit);
        most = std::max(most, transit);
    }
    BOOST_CHECK_GE(least.count(), ns(50us));
    BOOST_CHECK_LE(most.count(), ns(70us));
    BOOST_CHECK_LT(least.count(), ns(51us));  // the jitter spans its range
    BOOST_CHECK_GT(most.count(), ns(69us));
}

BOOST_AUTO_TEST_CASE(frames_above_mtu_are_dropped_and_counted) {
    test_pool pool;
    sim::link_profile profile;
    profile.mtu = 1500;
    two_ports wire(pool.pool, profile);
    rte_mbuf* frames[3] = {make_frame(pool.pool, mac_of(2), mac_of(1), 0, 1514),
                           make_frame(pool.pool, mac_of(2), mac_of(1), 1, 1515),
                           make_frame(pool.pool, mac_of(2), mac_of(1), 2, 64)};
    BOOST_REQUIRE_EQUAL(wire.a->tx_burst(0, frames, 3), 3);
    std::vector<received> got;
    drain(*wire.b, got);
    BOOST_REQUIRE_EQUAL(got.size(), 2u);
    BOOST_CHECK_EQUAL(got[0].bytes.size(), 1514u);
    BOOST_CHECK_EQUAL(got[1].sequence(), 2u);
    BOOST_CHECK_EQUAL(wire.a->faults().dropped_mtu, 1u);
}

BOOST_AUTO_TEST_CASE(rate_limit_spaces_frames_by_serialization_time) {
    test_pool pool;
    sim::link_profile profile;
    profile.rate_bps = 1'000'000'000;  // one bit per nanosecond
    profile.delay = 1us;
    two_ports wire(pool.pool, profile);
    wire.send_a_to_b(pool.pool, 0, 10, 1000);
    std::vector<received> got;
    run_until_idle(*wire.wire, {wire.b}, got);
    BOOST_REQUIRE_EQUAL(got.size(), 10u);
    const sim::nanoseconds per_frame((1000 + 24) * 8);
    for (std::uint32_t i = 0; i < 10; ++i) {
        BOOST_CHECK_EQUAL(got[i].sequence(), i);
        BOOST_CHECK_EQUAL(got[i].at.count(), ns(per_frame * (i + 1) + 1us));
    }
    // After the line went idle, a frame waits for nothing but its own serialization.
    wire.wire->advance_to(1ms);
    wire.send_a_to_b(pool.pool, 10, 1, 1000);
    got.clear();
    run_until_idle(*wire.wire, {wire.b}, got);
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_CHECK_EQUAL(got[0].at.count(), ns(1ms + per_frame + 1us));
}

BOOST_AUTO_TEST_CASE(rate_limited_link_tail_drops_past_its_queue) {
    test_pool pool;
    sim::link_profile profile;
    profile.rate_bps = 1'000'000'000;
    profile.rate_queue_frames = 4;
    two_ports wire(pool.pool, profile);
    wire.send_a_to_b(pool.pool, 0, 10);
    BOOST_CHECK_EQUAL(wire.a->faults().dropped_rate_queue, 6u);
    std::vector<received> got;
    run_until_idle(*wire.wire, {wire.b}, got);
    BOOST_REQUIRE_EQUAL(got.size(), 4u);
    for (std::uint32_t i = 0; i < 4; ++i) BOOST_CHECK_EQUAL(got[i].sequence(), i);  // the newest were dropped
    wire.send_a_to_b(pool.pool, 10, 4);  // the queue drained: room again
    BOOST_CHECK_EQUAL(wire.a->faults().dropped_rate_queue, 6u);
    run_until_idle(*wire.wire, {wire.b}, got);
    BOOST_CHECK_EQUAL(got.size(), 8u);
}

BOOST_AUTO_TEST_CASE(corruption_never_touches_the_senders_frame) {
    test_pool pool;
    sim::link_profile profile;
    profile.corrupt = 1.0;
    two_ports wire(pool.pool, profile, 5);
    std::vector<rte_mbuf*> kept;
    std::vector<std::vector<std::uint8_t>> original;
    for (std::uint32_t i = 0; i < 40; ++i) {
        // Half of them in two segments, so some flipped bits land in the second.
        rte_mbuf* frame =
            i % 2 ? chained_frame(pool.pool, i, 40, 60) : make_frame(pool.pool, mac_of(2), mac_of(1), i, 100);
        rte_pktmbuf_refcnt_update(frame, 1);  // the sender keeps a reference, as a retransmit queue would
        kept.push_back(frame);
        original.push_back(bytes_of(frame));
        rte_mbuf* out = frame;
        BOOST_REQUIRE_EQUAL(wire.a->tx_burst(0, &out, 1), 1);
    }
    rte_mbuf* frames[64];
    const std::uint16_t n = wire.b->rx_burst(0, frames, 64);
    BOOST_REQUIRE_EQUAL(n, 40);
    bool hit_second_segment = false;
    for (std::uint16_t i = 0; i < n; ++i) {
        BOOST_CHECK(frames[i] != kept[i]);
        BOOST_CHECK(bytes_of(kept[i]) == original[i]);
        const auto arrived = bytes_of(frames[i]);
        BOOST_REQUIRE_EQUAL(arrived.size(), original[i].size());
        int flipped = 0;
        for (std::size_t b = 0; b < arrived.size(); ++b) {
            const int bits = std::popcount(unsigned(arrived[b] ^ original[i][b]));
            flipped += bits;
            if (bits != 0 && b >= 40 && i % 2 == 1) hit_second_segment = true;
        }
        BOOST_CHECK_EQUAL(flipped, 1);
        BOOST_CHECK_EQUAL(rte_mbuf_refcnt_read(kept[i]), 1);  // the wire let go of its reference
    }
    BOOST_CHECK(hit_second_segment);
    rte_pktmbuf_free_bulk(frames, n);
    for (rte_mbuf* frame : kept) rte_pktmbuf_free(frame);
    BOOST_CHECK_EQUAL(wire.a->faults().corrupted, 40u);
}

BOOST_AUTO_TEST_CASE(bounded_queue_tail_drops) {
    test_pool pool;
    sim::link_profile profile;
    profile.delay = 1ms;
    two_ports wire(pool.pool, profile, 1, 8);
    wire.send_a_to_b(pool.pool, 0, 20);
    BOOST_CHECK_EQUAL(wire.b->in_flight(), 8u);
    BOOST_CHECK_EQUAL(wire.a->faults().dropped_in_flight_limit, 12u);
    std::vector<received> got;
    run_until_idle(*wire.wire, {wire.b}, got);
    BOOST_REQUIRE_EQUAL(got.size(), 8u);
    for (std::uint32_t i = 0; i < 8; ++i) BOOST_CHECK_EQUAL(got[i].sequence(), i);
    BOOST_CHECK_EQUAL(wire.b->in_flight(), 0u);
    wire.send_a_to_b(pool.pool, 20, 8);  // read frames free their places
    BOOST_CHECK_EQUAL(wire.a->faults().dropped_in_flight_limit, 12u);
    run_until_idle(*wire.wire, {wire.b}, got);
    BOOST_CHECK_EQUAL(got.size(), 16u);
}

BOOST_AUTO_TEST_CASE(copies_the_pool_cannot_supply_are_dropped_and_counted) {
    test_pool pool;
    sim::link_profile profile;
    profile.duplicate = 1.0;
    sim::wire_config config;
    config.pool = nullptr;  // no pool for copies: every duplicate fails
    config.profile = profile;
    sim::wire wire(config);
    sim::port& a = wire.add_port("a", mac_of(1));
    sim::port& b = wire.add_port("b", mac_of(2));
    rte_mbuf* frame = make_frame(pool.pool, mac_of(2), mac_of(1), 1);
    BOOST_REQUIRE_EQUAL(a.tx_burst(0, &frame, 1), 1);
    std::vector<received> got;
    drain(b, got);
    BOOST_CHECK_EQUAL(got.size(), 1u);
    BOOST_CHECK_EQUAL(a.faults().dropped_no_mbuf, 1u);
}

BOOST_AUTO_TEST_SUITE_END()
