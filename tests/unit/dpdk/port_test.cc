// dpdk::port on vdevs: one queue pair per pool, frames through a net_ring port's queues,
// counters that count them, and one-line errors for a missing port or too many queues.
#include <boost/test/unit_test.hpp>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstring>
#include <string>
#include <vector>

#include "sluice/dpdk/port.hh"

using namespace sluice;

namespace {

// A small mbuf pool per test, freed at the end (after checking nothing leaked).
struct test_pools {
    std::vector<rte_mempool*> pools;
    explicit test_pools(unsigned count) {
        static int serial = 0;
        for (unsigned i = 0; i < count; ++i) {
            const std::string name = "port_test_" + std::to_string(serial++);
            rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), 2047, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
            BOOST_REQUIRE_MESSAGE(pool, "mempool " << name);
            pools.push_back(pool);
        }
    }
    ~test_pools() {
        for (rte_mempool* pool : pools) rte_mempool_free(pool);
    }
};

dpdk::port_config small_rings() {
    dpdk::port_config config;
    config.rx_descriptors = 256;
    config.tx_descriptors = 256;
    return config;
}

rte_mbuf* frame_with(rte_mempool* pool, std::uint8_t tag, std::uint16_t length) {
    rte_mbuf* frame = rte_pktmbuf_alloc(pool);
    BOOST_REQUIRE(frame);
    char* data = rte_pktmbuf_append(frame, length);
    BOOST_REQUIRE(data);
    std::memset(data, tag, length);
    return frame;
}

}  // namespace


BOOST_AUTO_TEST_SUITE(dpdk_port)

BOOST_AUTO_TEST_CASE(frames_sent_on_a_net_ring_queue_come_back_on_the_same_queue) {
    test_pools pools(2);
    auto opened = dpdk::port::open("net_ring0", small_rings(), pools.pools);
    BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.message()));
    dpdk::port& ring = **opened;
    BOOST_CHECK_EQUAL(ring.queue_count(), 2u);
    BOOST_CHECK(ring.link().up);
    // net_ring has no RSS, hence no redirection table to program.
    BOOST_CHECK(!ring.offloads().rss);
    BOOST_CHECK_EQUAL(ring.offloads().rss_table_size, 0u);
    for (unsigned q = 0; q < 2; ++q) {
        rte_mbuf* out[4];
        for (int i = 0; i < 4; ++i) out[i] = frame_with(pools.pools[q], std::uint8_t(q * 10 + i), 64);
        BOOST_REQUIRE_EQUAL(ring.tx_burst(q, out, 4), 4);
        rte_mbuf* in[8];
        const std::uint16_t received = ring.rx_burst(q, in, 8);
        BOOST_REQUIRE_EQUAL(received, 4);
        for (int i = 0; i < received; ++i) {
            BOOST_CHECK_EQUAL(rte_pktmbuf_pkt_len(in[i]), 64u);
            BOOST_CHECK_EQUAL(*rte_pktmbuf_mtod(in[i], std::uint8_t*), std::uint8_t(q * 10 + i));  // in order
            rte_pktmbuf_free(in[i]);
        }
    }
    const auto counts = ring.counters();
    BOOST_REQUIRE_EQUAL(counts.size(), 2u);
    for (const auto& queue : counts) {
        BOOST_CHECK_EQUAL(queue.tx_packets, 4u);
        BOOST_CHECK_EQUAL(queue.rx_packets, 4u);
    }
    BOOST_CHECK(!ring.extended_stats().empty());
    for (rte_mempool* pool : pools.pools) BOOST_CHECK_EQUAL(rte_mempool_in_use_count(pool), 0u);
}

BOOST_AUTO_TEST_CASE(a_missing_port_is_one_line_listing_the_ports_found) {
    test_pools pools(1);
    auto opened = dpdk::port::open("net_nosuch9", small_rings(), pools.pools);
    BOOST_REQUIRE(!opened.ok());
    BOOST_CHECK_EQUAL(opened.message().find('\n'), std::string::npos);
    BOOST_CHECK_NE(opened.message().find("net_ring0"), std::string::npos);
    BOOST_CHECK_NE(opened.message().find("--vdev"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(more_queues_than_the_device_allows_is_one_line_naming_the_limit) {
    unsigned limit = 0;
    {
        test_pools one(1);
        auto opened = dpdk::port::open("net_ring1", small_rings(), one.pools);
        BOOST_REQUIRE(opened.ok());
        limit = (*opened)->max_queues();
    }
    test_pools too_many(limit + 1);
    auto refused = dpdk::port::open("net_ring1", small_rings(), too_many.pools);
    BOOST_REQUIRE(!refused.ok());
    BOOST_CHECK_EQUAL(refused.message().find('\n'), std::string::npos);
    BOOST_CHECK_NE(refused.message().find("at most " + std::to_string(limit)), std::string::npos);
}

BOOST_AUTO_TEST_CASE(lists_the_ports_eal_found_in_order) {
    const auto names = dpdk::port::available();
    BOOST_REQUIRE_GE(names.size(), 3u);
    BOOST_CHECK_EQUAL(names[0], "net_ring0");
    BOOST_CHECK_EQUAL(names[1], "net_ring1");
    BOOST_CHECK_EQUAL(names[2], "net_null0");
}

BOOST_AUTO_TEST_SUITE_END()
