// sim::wire without faults, and its determinism: where frames go (by destination MAC,
// to which queue), when they may be read (virtual time, order), what is counted, that
// one seed replays one trace, and that every mbuf goes back to the pool.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tests/sim/sim_support.hh"

using namespace sluice;
using namespace sluice::testing;
using namespace std::chrono_literals;

namespace {

// Every fault at once, both ways, with traffic both ways, interleaved in time.
std::uint64_t trace_hash(std::uint64_t seed) {
    test_pool pool;
    sim::link_profile profile;
    profile.loss = 0.05;
    profile.duplicate = 0.05;
    profile.corrupt = 0.05;
    profile.reorder = 0.1;
    profile.delay = 20us;
    profile.jitter = 5us;
    profile.rate_bps = 1'000'000'000;
    two_ports wire(pool.pool, profile, seed);
    std::vector<received> trace;
    for (std::uint32_t round = 0; round < 200; ++round) {
        wire.send_a_to_b(pool.pool, round * 4, 3, std::uint16_t(64 + round));
        rte_mbuf* reply = make_frame(pool.pool, mac_of(1), mac_of(2), 100000 + round, 100);
        BOOST_REQUIRE_EQUAL(wire.b->tx_burst(0, &reply, 1), 1);
        wire.wire->advance_by(3us);
        drain(*wire.a, trace);
        drain(*wire.b, trace);
    }
    run_until_idle(*wire.wire, {wire.a, wire.b}, trace);
    BOOST_REQUIRE_GT(trace.size(), 500u);
    // FNV-1a over (port, time, bytes) of every frame in the order it was read.
    std::uint64_t hash = 0xcbf29ce484222325ull;
    auto mix = [&hash](std::uint64_t value) {
        for (int i = 0; i < 8; ++i) hash = (hash ^ ((value >> (8 * i)) & 0xff)) * 0x100000001b3ull;
    };
    for (const received& frame : trace) {
        mix(frame.port == wire.a ? 1 : 2);
        mix(std::uint64_t(frame.at.count()));
        for (std::uint8_t byte : frame.bytes) mix(byte);
    }
    return hash;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_wire)

BOOST_AUTO_TEST_CASE(unicast_goes_only_to_the_port_with_the_destination_mac) {
    test_pool pool;
    sim::wire_config config;
    config.pool = pool.pool;
    sim::wire wire(config);
    sim::port& a = wire.add_port("a", mac_of(1));
    sim::port& b = wire.add_port("b", mac_of(2));
    sim::port& c = wire.add_port("c", mac_of(3));
    rte_mbuf* frame = make_frame(pool.pool, mac_of(3), mac_of(1), 7);
    BOOST_REQUIRE_EQUAL(a.tx_burst(0, &frame, 1), 1);
    std::vector<received> at_b, at_c;
    drain(b, at_b);
    drain(c, at_c);
    BOOST_CHECK(at_b.empty());
    BOOST_REQUIRE_EQUAL(at_c.size(), 1u);
    BOOST_CHECK_EQUAL(at_c[0].sequence(), 7u);
    BOOST_CHECK_EQUAL(a.faults().forwarded, 1u);
}

BOOST_AUTO_TEST_CASE(broadcast_reaches_every_other_port_as_its_own_copy) {
    test_pool pool;
    sim::wire_config config;
    config.pool = pool.pool;
    sim::wire wire(config);
    sim::port& a = wire.add_port("a", mac_of(1));
    sim::port& b = wire.add_port("b", mac_of(2));
    sim::port& c = wire.add_port("c", mac_of(3));
    rte_mbuf* frame = make_frame(pool.pool, broadcast_mac, mac_of(1), 9);
    BOOST_REQUIRE_EQUAL(a.tx_burst(0, &frame, 1), 1);
    rte_mbuf* at_a[2];
    BOOST_CHECK_EQUAL(a.rx_burst(0, at_a, 2), 0);  // never back to the sender
    rte_mbuf* at_b[2];
    rte_mbuf* at_c[2];
    BOOST_REQUIRE_EQUAL(b.rx_burst(0, at_b, 2), 1);
    BOOST_REQUIRE_EQUAL(c.rx_burst(0, at_c, 2), 1);
    BOOST_CHECK(at_b[0] != at_c[0]);
    BOOST_CHECK(at_b[0]->buf_addr != at_c[0]->buf_addr);  // a copy, not a shared buffer
    BOOST_CHECK(bytes_of(at_b[0]) == bytes_of(at_c[0]));
    rte_pktmbuf_free(at_b[0]);
    rte_pktmbuf_free(at_c[0]);
}

BOOST_AUTO_TEST_CASE(unknown_unicast_and_runts_are_dropped_and_counted) {
    test_pool pool;
    two_ports wire(pool.pool, {});
    rte_mbuf* frames[3] = {make_frame(pool.pool, mac_of(9), mac_of(1), 1),
                           make_frame(pool.pool, mac_of(1), mac_of(1), 2),
                           make_frame(pool.pool, mac_of(2), mac_of(1), 3, 13)};
    BOOST_REQUIRE_EQUAL(wire.a->tx_burst(0, frames, 3), 3);
    std::vector<received> got;
    run_until_idle(*wire.wire, {wire.a, wire.b}, got);
    BOOST_CHECK(got.empty());
    BOOST_CHECK_EQUAL(wire.a->faults().dropped_unknown_unicast, 2u);  // no other port has it; not the sender itself
    BOOST_CHECK_EQUAL(wire.a->faults().dropped_runt, 1u);
    const auto stats = wire.a->extended_stats();
    const auto runt =
        std::find_if(stats.begin(), stats.end(), [](const auto& s) { return s.first == "sim_dropped_runt"; });
    BOOST_REQUIRE(runt != stats.end());
    BOOST_CHECK_EQUAL(runt->second, 1u);
}

BOOST_AUTO_TEST_CASE(frames_wait_until_their_delivery_time) {
    test_pool pool;
    sim::link_profile profile;
    profile.delay = 10us;
    two_ports wire(pool.pool, profile);
    wire.send_a_to_b(pool.pool, 0, 1);
    rte_mbuf* frame;
    BOOST_CHECK_EQUAL(wire.b->rx_burst(0, &frame, 1), 0);
    BOOST_REQUIRE(wire.wire->next_event().has_value());
    BOOST_CHECK_EQUAL(wire.wire->next_event()->count(), ns(10us));
    wire.wire->advance_to(10us - 1ns);
    BOOST_CHECK_EQUAL(wire.b->rx_burst(0, &frame, 1), 0);
    wire.wire->advance_to(10us);
    BOOST_REQUIRE_EQUAL(wire.b->rx_burst(0, &frame, 1), 1);
    rte_pktmbuf_free(frame);
    BOOST_CHECK(!wire.wire->next_event().has_value());
    wire.wire->advance_to(5us);  // time never goes back
    BOOST_CHECK_EQUAL(wire.wire->now().count(), ns(10us));
}

BOOST_AUTO_TEST_CASE(ties_in_delivery_time_leave_in_send_order) {
    test_pool pool;
    two_ports wire(pool.pool, {});
    wire.send_a_to_b(pool.pool, 0, 100);
    std::vector<received> got;
    drain(*wire.b, got);
    BOOST_REQUIRE_EQUAL(got.size(), 100u);
    for (std::uint32_t i = 0; i < 100; ++i) BOOST_CHECK_EQUAL(got[i].sequence(), i);
}

BOOST_AUTO_TEST_CASE(queue_selector_chooses_the_receive_queue) {
    test_pool pool;
    sim::wire_config config;
    config.pool = pool.pool;
    sim::wire wire(config);
    sim::port& a = wire.add_port("a", mac_of(1));
    sim::port& b = wire.add_port("b", mac_of(2), 4);
    BOOST_CHECK_EQUAL(b.queue_count(), 4u);
    b.set_queue_selector([](const rte_mbuf* frame) { return unsigned(sequence_of(frame)) + 4; });  // wraps modulo 4
    for (std::uint32_t i = 0; i < 8; ++i) {
        rte_mbuf* frame = make_frame(pool.pool, mac_of(2), mac_of(1), i);
        BOOST_REQUIRE_EQUAL(a.tx_burst(0, &frame, 1), 1);
    }
    std::vector<received> got;
    drain(b, got);
    BOOST_REQUIRE_EQUAL(got.size(), 8u);
    for (const received& frame : got) BOOST_CHECK_EQUAL(frame.queue, frame.sequence() % 4);
    const auto counts = b.counters();
    BOOST_REQUIRE_EQUAL(counts.size(), 4u);
    for (const auto& queue : counts) {
        BOOST_CHECK_EQUAL(queue.rx_packets, 2u);
        BOOST_CHECK_EQUAL(queue.rx_bytes, 128u);
    }
    BOOST_CHECK_EQUAL(a.counters()[0].tx_packets, 8u);
    BOOST_CHECK_EQUAL(a.counters()[0].tx_bytes, 8u * 64);
}

BOOST_AUTO_TEST_CASE(a_queue_the_port_does_not_have_moves_nothing) {
    test_pool pool;
    two_ports wire(pool.pool, {});
    rte_mbuf* frame = make_frame(pool.pool, mac_of(2), mac_of(1), 1);
    BOOST_CHECK_EQUAL(wire.a->tx_burst(1, &frame, 1), 0);  // still the caller's
    BOOST_CHECK_EQUAL(wire.b->rx_burst(1, &frame, 1), 0);
    rte_pktmbuf_free(frame);
}

BOOST_AUTO_TEST_CASE(same_seed_gives_the_same_trace) {
    const std::uint64_t first = trace_hash(42);
    const std::uint64_t second = trace_hash(42);
    BOOST_CHECK_EQUAL(first, second);
}

BOOST_AUTO_TEST_CASE(different_seeds_differ) {
    BOOST_CHECK_NE(trace_hash(1), trace_hash(2));
}

BOOST_AUTO_TEST_CASE(pool_is_back_to_full_after_every_test) {
    // Frames left everywhere when the wire goes: waiting to be read, held back for
    // reordering, in flight; plus duplicated and corrupted copies. test_pool checks the
    // pool is full at the end of this and every other test.
    test_pool pool;
    {
        sim::link_profile profile;
        profile.duplicate = 0.5;
        profile.corrupt = 0.5;
        profile.reorder = 0.5;
        profile.reorder_max_hold = 1s;
        profile.delay = 1ms;
        profile.jitter = 1ms;
        two_ports wire(pool.pool, profile);
        wire.send_a_to_b(pool.pool, 0, 500);
        wire.wire->advance_by(1500us);
        BOOST_CHECK_GT(wire.wire->in_flight(), 0u);
        BOOST_CHECK_GT(wire.a->faults().reordered, 0u);
        BOOST_CHECK_LT(rte_mempool_avail_count(pool.pool), pool_size);
    }
    BOOST_CHECK_EQUAL(rte_mempool_avail_count(pool.pool), pool_size);
}

BOOST_AUTO_TEST_SUITE_END()
