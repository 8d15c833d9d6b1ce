// The ARP cache over real mbufs, with time passed in (never the real clock): an empty
// cache knows nothing; the first packet held for an address asks for a request and later
// ones wait for it; an answer releases them in the order they were held; the per-address
// and total bounds drop the excess; unanswered addresses are asked again every
// retry_interval and given up after max_requests; answers expire after reachable_time and
// are refreshed once shortly before; learn creates entries only when told to; a changed MAC
// replaces the old one; a full table evicts a resolved entry but never one with packets
// waiting. Every test makes its own small pool and ends with all of its mbufs back in it.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/net/arp_cache.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/packet_pool.hh"
#include "sluice/net/wire/ipv4_address.hh"

using namespace sluice;
using namespace sluice::net;
using namespace std::chrono_literals;
using sluice::net::wire::ipv4_address;

// Failure messages print outcomes, addresses and MACs by name.
namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<arp_cache::hold_outcome> {
    void operator()(std::ostream& out, arp_cache::hold_outcome value) {
        switch (value) {
            case arp_cache::hold_outcome::held_send_request: out << "held_send_request"; return;
            case arp_cache::hold_outcome::held: out << "held"; return;
            case arp_cache::hold_outcome::dropped: out << "dropped"; return;
        }
        out << "hold_outcome(" << int(value) << ")";
    }
};
template <>
struct print_log_value<ipv4_address> {
    void operator()(std::ostream& out, ipv4_address value) { out << value.to_string(); }
};
template <>
struct print_log_value<ethernet_address> {
    void operator()(std::ostream& out, const ethernet_address& value) { out << value.to_string(); }
};
}  // namespace boost::test_tools::tt_detail

namespace {

using outcome = arp_cache::hold_outcome;
using addresses = std::vector<ipv4_address>;

// Neighbours in RFC 2544's benchmarking range, and locally administered MACs.
constexpr ipv4_address neighbour_a = ipv4_address::from_octets(198, 18, 0, 2);
constexpr ipv4_address neighbour_b = ipv4_address::from_octets(198, 18, 0, 3);
constexpr ipv4_address neighbour_c = ipv4_address::from_octets(198, 18, 0, 4);
constexpr ipv4_address neighbour_d = ipv4_address::from_octets(198, 18, 0, 5);
constexpr ethernet_address mac_1{{0x02, 0, 0, 0, 0, 0x01}};
constexpr ethernet_address mac_2{{0x02, 0, 0, 0, 0, 0x02}};
constexpr ethernet_address mac_3{{0x02, 0, 0, 0, 0, 0x03}};

// A time on a made-up timeline: seconds (or milliseconds) since an arbitrary zero.
clock::time_point at(std::chrono::nanoseconds since_zero) { return clock::time_point(since_zero); }

// A pool for one test; at the end every mbuf must be back.
struct checked_pool : packet_pool {
    checked_pool() : packet_pool(make()) {}
    ~checked_pool() { BOOST_CHECK_EQUAL(available(), capacity()); }

    static packet_pool make() {
        static unsigned serial = 0;
        auto made =
            packet_pool::create({.name = "arp_test_" + std::to_string(serial++), .count = 63, .cache_size = 0});
        BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? std::string() : made.message()));
        return std::move(made).value();
    }
};

struct arp_fixture {
    checked_pool pool;

    // A small IP packet whose first byte is `tag`, so the order of release shows.
    packet tagged(std::uint8_t tag) {
        std::vector<std::byte> bytes(28, std::byte{0});
        bytes[0] = std::byte{tag};
        auto made = packet::copy_of(bytes, pool);
        BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? std::string_view() : describe(made.error())));
        return std::move(made).value();
    }
    static std::vector<unsigned> tags_of(const std::vector<packet>& packets) {
        std::vector<unsigned> tags;
        for (const packet& p : packets) {
            std::byte first{};
            BOOST_REQUIRE_EQUAL(p.copy_out(0, {&first, 1}), 1u);
            tags.push_back(unsigned(first));
        }
        return tags;
    }
};

// Limits small enough to reach in a test; the times are the defaults unless a test says.
arp_limits small_limits() {
    arp_limits limits;
    limits.max_entries = 8;
    limits.max_waiting_per_address = 4;
    limits.max_waiting = 8;
    limits.reachable_time = 60s;
    limits.refresh_before = 5s;
    limits.retry_interval = 1s;
    limits.max_requests = 3;
    return limits;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(arp_cache_tests, arp_fixture)

BOOST_AUTO_TEST_CASE(an_empty_cache_knows_no_mac_and_asks_for_nothing) {
    arp_cache cache(small_limits());
    const auto found = cache.find(neighbour_a, at(1s));
    BOOST_CHECK(!found.mac);
    BOOST_CHECK(!found.send_refresh);
    BOOST_CHECK_EQUAL(cache.size(), 0u);
    BOOST_CHECK_EQUAL(cache.waiting(), 0u);
    BOOST_CHECK(cache.advance(at(100s)).empty());
}

BOOST_AUTO_TEST_CASE(the_first_packet_held_asks_for_a_request_and_later_ones_wait_for_it) {
    arp_cache cache(small_limits());
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(1), at(10s)), outcome::held_send_request);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(2), at(10s)), outcome::held);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(3), at(10s + 100ms)), outcome::held);
    // Another address has its own request.
    BOOST_CHECK_EQUAL(cache.hold(neighbour_b, tagged(4), at(10s + 200ms)), outcome::held_send_request);
    BOOST_CHECK_EQUAL(cache.waiting(), 4u);
    BOOST_CHECK_EQUAL(cache.counters().held, 4u);
    BOOST_CHECK_EQUAL(cache.size(), 2u);
    BOOST_CHECK_EQUAL(pool.in_use(), 4u);
    BOOST_CHECK(!cache.find(neighbour_a, at(10s + 300ms)).mac);  // still unresolved
}

BOOST_AUTO_TEST_CASE(an_answer_releases_the_held_packets_in_order_and_stops_the_retries) {
    arp_cache cache(small_limits());
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(1), at(10s)), outcome::held_send_request);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_b, tagged(9), at(10s)), outcome::held_send_request);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(2), at(10s)), outcome::held);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(3), at(10s)), outcome::held);

    // A reply to our request: the entry is there, so create=false merges it (RFC 826).
    std::vector<packet> released = cache.learn(neighbour_a, mac_1, at(10s + 500ms), false);
    BOOST_TEST(tags_of(released) == (std::vector<unsigned>{1, 2, 3}), boost::test_tools::per_element());
    BOOST_CHECK_EQUAL(cache.waiting(), 1u);  // neighbour_b's packet still waits
    BOOST_CHECK_EQUAL(cache.counters().learned, 1u);
    released.clear();
    BOOST_CHECK_EQUAL(pool.in_use(), 1u);

    const auto found = cache.find(neighbour_a, at(11s));
    BOOST_REQUIRE(found.mac);
    BOOST_CHECK_EQUAL(*found.mac, mac_1);
    BOOST_CHECK(!found.send_refresh);

    // Only the unanswered address is asked again.
    BOOST_CHECK(cache.advance(at(11s)) == addresses{neighbour_b});
    BOOST_CHECK(cache.advance(at(12s)) == addresses{neighbour_b});
    BOOST_CHECK(cache.advance(at(13s)).empty());  // neighbour_b given up
    BOOST_CHECK_EQUAL(cache.counters().unresolved, 1u);
    BOOST_REQUIRE(cache.find(neighbour_a, at(13s)).mac);
}

BOOST_AUTO_TEST_CASE(holds_at_most_max_waiting_per_address_and_drops_the_rest) {
    arp_limits limits = small_limits();
    limits.max_waiting_per_address = 2;
    arp_cache cache(limits);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(1), at(1s)), outcome::held_send_request);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(2), at(1s)), outcome::held);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(3), at(1s)), outcome::dropped);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(4), at(1s)), outcome::dropped);
    BOOST_CHECK_EQUAL(cache.counters().dropped_waiting, 2u);
    BOOST_CHECK_EQUAL(cache.counters().held, 2u);
    BOOST_CHECK_EQUAL(cache.waiting(), 2u);
    BOOST_CHECK_EQUAL(pool.in_use(), 2u);  // the dropped packets are freed already
    // Another address is not affected by neighbour_a's bound.
    BOOST_CHECK_EQUAL(cache.hold(neighbour_b, tagged(5), at(1s)), outcome::held_send_request);

    const std::vector<packet> released = cache.learn(neighbour_a, mac_1, at(2s), false);
    BOOST_TEST(tags_of(released) == (std::vector<unsigned>{1, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(holds_at_most_max_waiting_in_all_and_takes_more_once_an_answer_frees_room) {
    arp_limits limits = small_limits();
    limits.max_waiting = 3;
    arp_cache cache(limits);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(1), at(1s)), outcome::held_send_request);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(2), at(1s)), outcome::held);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_b, tagged(3), at(1s)), outcome::held_send_request);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_c, tagged(4), at(1s)), outcome::dropped);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(5), at(1s)), outcome::dropped);
    BOOST_CHECK_EQUAL(cache.counters().dropped_waiting, 2u);
    BOOST_CHECK_EQUAL(cache.waiting(), 3u);
    BOOST_CHECK_EQUAL(pool.in_use(), 3u);

    BOOST_CHECK_EQUAL(cache.learn(neighbour_a, mac_1, at(1s + 100ms), false).size(), 2u);
    BOOST_CHECK_EQUAL(cache.waiting(), 1u);
    // neighbour_c was never asked for, so its first held packet asks now.
    BOOST_CHECK_EQUAL(cache.hold(neighbour_c, tagged(6), at(1s + 200ms)), outcome::held_send_request);
    BOOST_CHECK_EQUAL(cache.waiting(), 2u);
}

BOOST_AUTO_TEST_CASE(asks_again_every_retry_interval_and_gives_up_after_max_requests) {
    arp_cache cache(small_limits());  // retry_interval 1 s, max_requests 3
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(1), at(10s)), outcome::held_send_request);  // request 1
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(2), at(10s + 300ms)), outcome::held);

    BOOST_CHECK(cache.advance(at(10s + 500ms)).empty());
    BOOST_CHECK(cache.advance(at(10s + 999ms)).empty());
    BOOST_CHECK(cache.advance(at(11s)) == addresses{neighbour_a});  // request 2
    BOOST_CHECK(cache.advance(at(11s + 500ms)).empty());
    BOOST_CHECK(cache.advance(at(12s)) == addresses{neighbour_a});  // request 3
    BOOST_CHECK(cache.advance(at(12s + 999ms)).empty());
    BOOST_CHECK_EQUAL(cache.counters().unresolved, 0u);
    BOOST_CHECK_EQUAL(cache.waiting(), 2u);

    // A retry_interval after the last request: no answer, give up and free what waited.
    BOOST_CHECK(cache.advance(at(13s)).empty());
    BOOST_CHECK_EQUAL(cache.counters().unresolved, 1u);
    BOOST_CHECK_EQUAL(cache.counters().dropped_waiting, 2u);
    BOOST_CHECK_EQUAL(cache.waiting(), 0u);
    BOOST_CHECK_EQUAL(cache.size(), 0u);
    BOOST_CHECK_EQUAL(pool.in_use(), 0u);

    // The next packet for it starts from scratch.
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(3), at(20s)), outcome::held_send_request);
}

BOOST_AUTO_TEST_CASE(an_answer_expires_after_reachable_time) {
    arp_cache cache(small_limits());  // reachable_time 60 s
    BOOST_CHECK(cache.learn(neighbour_a, mac_1, at(100s), true).empty());
    const auto before = cache.find(neighbour_a, at(160s - 1ns));
    BOOST_REQUIRE(before.mac);
    BOOST_CHECK_EQUAL(*before.mac, mac_1);

    BOOST_CHECK(!cache.find(neighbour_a, at(160s)).mac);
    BOOST_CHECK(cache.advance(at(160s)).empty());  // nothing asks for it again
    BOOST_CHECK_EQUAL(cache.counters().expired, 1u);
    BOOST_CHECK_EQUAL(cache.size(), 0u);
    BOOST_CHECK(!cache.find(neighbour_a, at(161s)).mac);
}

BOOST_AUTO_TEST_CASE(a_packet_for_an_expired_answer_asks_again_from_scratch) {
    arp_cache cache(small_limits());
    BOOST_CHECK(cache.learn(neighbour_a, mac_1, at(100s), true).empty());
    BOOST_CHECK(!cache.find(neighbour_a, at(170s)).mac);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(1), at(170s)), outcome::held_send_request);
    BOOST_CHECK_EQUAL(cache.counters().expired, 1u);
    // It is now an unresolved address like any other: retried, not counted expired again.
    BOOST_CHECK(cache.advance(at(171s)) == addresses{neighbour_a});
    BOOST_CHECK_EQUAL(cache.counters().expired, 1u);
    const std::vector<packet> released = cache.learn(neighbour_a, mac_2, at(171s + 500ms), false);
    BOOST_TEST(tags_of(released) == (std::vector<unsigned>{1}), boost::test_tools::per_element());
    const auto found = cache.find(neighbour_a, at(172s));
    BOOST_REQUIRE(found.mac);
    BOOST_CHECK_EQUAL(*found.mac, mac_2);
}

BOOST_AUTO_TEST_CASE(an_answer_in_use_asks_for_one_refresh_within_refresh_before_of_expiry) {
    arp_cache cache(small_limits());  // reachable_time 60 s, refresh_before 5 s
    BOOST_CHECK(cache.learn(neighbour_a, mac_1, at(0s), true).empty());
    BOOST_CHECK(!cache.find(neighbour_a, at(55s - 1ns)).send_refresh);

    const auto due = cache.find(neighbour_a, at(55s));
    BOOST_REQUIRE(due.mac);
    BOOST_CHECK_EQUAL(*due.mac, mac_1);  // still used while the refresh is out
    BOOST_CHECK(due.send_refresh);
    const auto again = cache.find(neighbour_a, at(56s));
    BOOST_CHECK(again.mac);
    BOOST_CHECK(!again.send_refresh);  // once per lifetime
    BOOST_CHECK(!cache.find(neighbour_a, at(59s)).send_refresh);

    // The answer starts a new lifetime, with a refresh of its own.
    BOOST_CHECK(cache.learn(neighbour_a, mac_1, at(57s), false).empty());
    BOOST_CHECK(!cache.find(neighbour_a, at(112s - 1ns)).send_refresh);
    const auto next = cache.find(neighbour_a, at(112s));
    BOOST_CHECK(next.mac);
    BOOST_CHECK(next.send_refresh);
    BOOST_CHECK_EQUAL(cache.counters().learned, 1u);  // the same MAC is not learned twice
    BOOST_CHECK_EQUAL(cache.counters().expired, 0u);
}

BOOST_AUTO_TEST_CASE(an_unanswered_refresh_lets_the_answer_expire) {
    arp_cache cache(small_limits());
    BOOST_CHECK(cache.learn(neighbour_a, mac_1, at(0s), true).empty());
    BOOST_CHECK(cache.find(neighbour_a, at(58s)).send_refresh);
    BOOST_CHECK(cache.advance(at(59s)).empty());  // a refresh is not retried by advance
    BOOST_CHECK(!cache.find(neighbour_a, at(60s)).mac);
    BOOST_CHECK(cache.advance(at(60s)).empty());
    BOOST_CHECK_EQUAL(cache.counters().expired, 1u);
}

BOOST_AUTO_TEST_CASE(learn_creates_an_entry_only_when_told_to) {
    arp_cache cache(small_limits());
    // Overheard, not for us, not in the table: ignored (RFC 826 "merge_flag" false).
    BOOST_CHECK(cache.learn(neighbour_a, mac_1, at(1s), false).empty());
    BOOST_CHECK_EQUAL(cache.size(), 0u);
    BOOST_CHECK(!cache.find(neighbour_a, at(1s)).mac);
    BOOST_CHECK_EQUAL(cache.counters().learned, 0u);

    // We were the target: added.
    BOOST_CHECK(cache.learn(neighbour_a, mac_1, at(2s), true).empty());
    BOOST_CHECK_EQUAL(cache.size(), 1u);
    const auto found = cache.find(neighbour_a, at(2s));
    BOOST_REQUIRE(found.mac);
    BOOST_CHECK_EQUAL(*found.mac, mac_1);
    BOOST_CHECK_EQUAL(cache.counters().learned, 1u);

    // Overheard again once it is in the table: merged, and the lifetime starts over.
    BOOST_CHECK(cache.learn(neighbour_a, mac_1, at(50s), false).empty());
    BOOST_CHECK(cache.find(neighbour_a, at(100s)).mac);
    BOOST_CHECK_EQUAL(cache.counters().learned, 1u);
}

BOOST_AUTO_TEST_CASE(a_changed_mac_replaces_the_old_one) {
    arp_cache cache(small_limits());
    BOOST_CHECK(cache.learn(neighbour_a, mac_1, at(1s), true).empty());
    BOOST_CHECK(cache.learn(neighbour_a, mac_2, at(2s), false).empty());
    const auto found = cache.find(neighbour_a, at(3s));
    BOOST_REQUIRE(found.mac);
    BOOST_CHECK_EQUAL(*found.mac, mac_2);
    BOOST_CHECK_EQUAL(cache.counters().learned, 2u);
    BOOST_CHECK_EQUAL(cache.size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_full_table_evicts_the_answer_nearest_expiry) {
    arp_limits limits = small_limits();
    limits.max_entries = 3;
    arp_cache cache(limits);
    BOOST_CHECK(cache.learn(neighbour_b, mac_2, at(10s), true).empty());  // expires first
    BOOST_CHECK(cache.learn(neighbour_c, mac_3, at(20s), true).empty());
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(1), at(5s)), outcome::held_send_request);
    BOOST_CHECK_EQUAL(cache.size(), 3u);

    BOOST_CHECK(cache.learn(neighbour_d, mac_1, at(30s), true).empty());
    BOOST_CHECK_EQUAL(cache.size(), 3u);
    BOOST_CHECK(!cache.find(neighbour_b, at(30s)).mac);
    BOOST_CHECK(cache.find(neighbour_c, at(30s)).mac);
    BOOST_CHECK(cache.find(neighbour_d, at(30s)).mac);
    BOOST_CHECK_EQUAL(cache.waiting(), 1u);
    BOOST_CHECK_EQUAL(cache.counters().table_full, 0u);
}

BOOST_AUTO_TEST_CASE(a_full_table_never_evicts_an_address_with_packets_waiting) {
    arp_limits limits = small_limits();
    limits.max_entries = 2;
    arp_cache cache(limits);
    BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(1), at(1s)), outcome::held_send_request);
    BOOST_CHECK(cache.learn(neighbour_b, mac_2, at(1s), true).empty());  // the only resolved one

    // neighbour_c takes neighbour_b's place, not neighbour_a's.
    BOOST_CHECK_EQUAL(cache.hold(neighbour_c, tagged(2), at(2s)), outcome::held_send_request);
    BOOST_CHECK(!cache.find(neighbour_b, at(2s)).mac);
    BOOST_CHECK_EQUAL(cache.waiting(), 2u);

    // Now every entry has packets waiting: nothing can go, so the newcomer finds no room.
    BOOST_CHECK_EQUAL(cache.hold(neighbour_d, tagged(3), at(3s)), outcome::dropped);
    BOOST_CHECK_EQUAL(cache.counters().table_full, 1u);
    BOOST_CHECK_EQUAL(cache.counters().dropped_waiting, 1u);
    BOOST_CHECK(cache.learn(neighbour_d, mac_1, at(3s), true).empty());
    BOOST_CHECK_EQUAL(cache.counters().table_full, 2u);
    BOOST_CHECK(!cache.find(neighbour_d, at(3s)).mac);
    BOOST_CHECK_EQUAL(cache.size(), 2u);
    BOOST_CHECK_EQUAL(pool.in_use(), 2u);

    // The held packets are still released by their answers, in order.
    const std::vector<packet> for_a = cache.learn(neighbour_a, mac_1, at(4s), false);
    BOOST_TEST(tags_of(for_a) == (std::vector<unsigned>{1}), boost::test_tools::per_element());
    const std::vector<packet> for_c = cache.learn(neighbour_c, mac_3, at(4s), false);
    BOOST_TEST(tags_of(for_c) == (std::vector<unsigned>{2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_answer_that_expires_with_packets_held_on_it_frees_and_counts_them) {
    // hold() does not require find() first: a packet held for a resolved address waits on
    // it, and must not be lost from waiting() when the answer ages out.
    arp_cache cache(small_limits());
    BOOST_CHECK(cache.learn(neighbour_a, mac_1, at(0s), true).empty());
    BOOST_CHECK_NE(cache.hold(neighbour_a, tagged(1), at(1s)), outcome::dropped);
    BOOST_CHECK_EQUAL(cache.waiting(), 1u);
    (void)cache.advance(at(60s));
    BOOST_CHECK_EQUAL(cache.waiting(), 0u);
    BOOST_CHECK_EQUAL(cache.counters().dropped_waiting, 1u);
    BOOST_CHECK_EQUAL(pool.in_use(), 0u);
}

BOOST_AUTO_TEST_CASE(destroying_the_cache_frees_every_held_packet) {
    {
        arp_cache cache(small_limits());
        BOOST_CHECK_EQUAL(cache.hold(neighbour_a, tagged(1), at(1s)), outcome::held_send_request);
        BOOST_CHECK_EQUAL(cache.hold(neighbour_b, tagged(2), at(1s)), outcome::held_send_request);
        BOOST_CHECK_EQUAL(pool.in_use(), 2u);
    }
    BOOST_CHECK_EQUAL(pool.in_use(), 0u);
}

BOOST_AUTO_TEST_SUITE_END()
