// Checks per-shard counters: a registry hands out stable named counters, snapshots them,
// and snapshots from several shards add up name by name.
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency already defines it
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <vector>

#include "sluice/metrics/counters.hh"

namespace metrics = sluice::metrics;

BOOST_AUTO_TEST_SUITE(counters)

BOOST_AUTO_TEST_CASE(registry_returns_the_same_counter_for_a_name) {
    metrics::counter_registry registry;
    metrics::counter& rx = registry.get("rx_packets");
    ++rx;
    rx += 4;
    registry.get("rx_packets").add();
    BOOST_TEST(&registry.get("rx_packets") == &rx);
    BOOST_TEST(rx.value() == 6u);
    BOOST_TEST(registry.size() == 1u);
    BOOST_TEST(registry.find("tx_packets") == nullptr);
}

BOOST_AUTO_TEST_CASE(counters_keep_their_address_as_the_registry_grows_and_moves) {
    metrics::counter_registry registry;
    metrics::counter& first = registry.get("first");
    for (int i = 0; i < 1000; ++i) registry.get("c" + std::to_string(i));
    first.add(3);
    metrics::counter_registry moved = std::move(registry);
    BOOST_TEST(moved.find("first") == &first);
    BOOST_TEST(moved.find("first")->value() == 3u);
}

BOOST_AUTO_TEST_CASE(snapshot_reads_every_counter_by_name) {
    metrics::counter_registry registry;
    registry.get("drops").add(2);
    registry.get("rx").add(10);
    registry.get("idle");
    const metrics::counter_snapshot snap = registry.snapshot();
    BOOST_TEST(snap.size() == 3u);
    BOOST_TEST(snap.at("drops") == 2u);
    BOOST_TEST(snap.at("rx") == 10u);
    BOOST_TEST(snap.at("idle") == 0u);

    registry.reset_all();
    BOOST_TEST(registry.snapshot().at("rx") == 0u);
    BOOST_TEST(snap.at("rx") == 10u);  // a snapshot is a copy
}

BOOST_AUTO_TEST_CASE(sum_adds_shards_name_by_name) {
    metrics::counter_registry shard0, shard1;
    shard0.get("rx").add(5);
    shard0.get("drops").add(1);
    shard1.get("rx").add(7);
    shard1.get("tx").add(3);
    const std::vector<metrics::counter_snapshot> snaps = {shard0.snapshot(), shard1.snapshot()};
    const metrics::counter_snapshot total = metrics::sum(snaps);
    BOOST_TEST(total.size() == 3u);
    BOOST_TEST(total.at("rx") == 12u);
    BOOST_TEST(total.at("drops") == 1u);
    BOOST_TEST(total.at("tx") == 3u);
    BOOST_TEST(metrics::sum({}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
