// Drop reasons and parse results: every reason has its own snake_case counter name, the
// counters count each reason apart and sum across shards, and a parse_result holds either
// a value or the reason it was refused for.
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <set>
#include <string_view>

#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/parse_result.hh"

using sluice::net::wire::drop_counters;
using sluice::net::wire::drop_reason;
using sluice::net::wire::drop_reason_count;
using sluice::net::wire::parse_result;

BOOST_AUTO_TEST_SUITE(wire_drop_reason)

BOOST_AUTO_TEST_CASE(every_reason_has_a_distinct_snake_case_name) {
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < drop_reason_count; ++i) {
        const std::string_view n = name(static_cast<drop_reason>(i));
        BOOST_TEST_REQUIRE(!n.empty(), "reason " << i);
        BOOST_TEST_REQUIRE(n != "unknown", "reason " << i << " has no name: add it to name()");
        for (char c : n) BOOST_TEST_REQUIRE(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'), n);
        names.insert(n);
    }
    BOOST_TEST(names.size() == drop_reason_count);
    BOOST_TEST(name(drop_reason::ipv4_bad_checksum) == "ipv4_bad_checksum");
    BOOST_TEST(name(drop_reason::count_) == "unknown");
}

BOOST_AUTO_TEST_CASE(counters_count_each_reason_apart_and_sum_across_shards) {
    drop_counters shard0;
    BOOST_TEST(shard0.total() == 0u);
    shard0.count(drop_reason::udp_bad_checksum);
    shard0.count(drop_reason::udp_bad_checksum);
    shard0.count(drop_reason::ethernet_truncated);
    BOOST_TEST(shard0[drop_reason::udp_bad_checksum] == 2u);
    BOOST_TEST(shard0[drop_reason::ethernet_truncated] == 1u);
    BOOST_TEST(shard0[drop_reason::ipv4_truncated] == 0u);
    BOOST_TEST(shard0.total() == 3u);

    drop_counters shard1;
    shard1.count(drop_reason::ipv4_truncated);
    shard0 += shard1;
    BOOST_TEST(shard0[drop_reason::ipv4_truncated] == 1u);
    BOOST_TEST(shard0.total() == 4u);
}

BOOST_AUTO_TEST_CASE(parse_result_holds_a_value_or_a_reason) {
    struct point {
        int x = 0;
        int y = 0;
    };
    parse_result<point> good(point{3, 4});
    BOOST_TEST(good.ok());
    BOOST_TEST(static_cast<bool>(good));
    BOOST_TEST(good->x == 3);
    BOOST_TEST((*good).y == 4);
    good->x = 5;
    BOOST_TEST(good.value().x == 5);

    const parse_result<point> bad(drop_reason::arp_truncated);
    BOOST_TEST(!bad.ok());
    BOOST_TEST(!static_cast<bool>(bad));
    BOOST_TEST((bad.error() == drop_reason::arp_truncated));
}

BOOST_AUTO_TEST_SUITE_END()
