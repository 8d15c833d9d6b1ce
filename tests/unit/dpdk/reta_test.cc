// The RETA a port writes into a device: every entry of net::redirection_table, packed
// into ethdev's groups of 64 with exactly those entries masked in; and a device without
// a table (net_ring) keeps none, which the port reports as rss_table_size 0.
#include <boost/test/unit_test.hpp>

#include <bit>

#include "sluice/dpdk/reta.hh"

using namespace sluice;

BOOST_AUTO_TEST_SUITE(dpdk_reta)

BOOST_AUTO_TEST_CASE(groups_carry_every_entry_of_the_table_with_only_those_masked) {
    for (const auto& [queues, size] : {std::pair{3u, std::size_t{128}}, std::pair{4u, std::size_t{512}},
                                       std::pair{2u, std::size_t{16}}, std::pair{5u, std::size_t{64}}}) {
        auto table = net::redirection_table::create(queues, size);
        BOOST_REQUIRE(table);
        const auto groups = dpdk::reta_update_groups(*table);
        BOOST_TEST(groups.size() == (size + 63) / 64);
        std::size_t masked = 0;
        for (std::size_t g = 0; g < groups.size(); ++g) {
            masked += std::size_t(std::popcount(groups[g].mask));
            for (std::size_t slot = 0; slot < RTE_ETH_RETA_GROUP_SIZE; ++slot) {
                const std::size_t entry = g * RTE_ETH_RETA_GROUP_SIZE + slot;
                const bool set = (groups[g].mask >> slot) & 1;
                BOOST_TEST(set == (entry < size), "entry " << entry << " of " << size);
                if (set) BOOST_TEST(groups[g].reta[slot] == table->queue_for(std::uint32_t(entry)));
            }
        }
        BOOST_TEST(masked == size);
    }
}

BOOST_AUTO_TEST_CASE(a_device_without_a_table_is_refused_with_the_reason) {
    auto none = dpdk::program_reta(0, 2, 0);
    BOOST_REQUIRE(!none);
    BOOST_TEST(none.message().find("no redirection table") != std::string::npos, none.message());
    auto odd = dpdk::program_reta(0, 2, 100);  // not a power of two: refused before DPDK sees it
    BOOST_REQUIRE(!odd);
    BOOST_TEST(odd.message().find("power of two") != std::string::npos, odd.message());
}

BOOST_AUTO_TEST_SUITE_END()
