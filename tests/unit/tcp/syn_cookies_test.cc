// SYN cookies (RFC 4987 3.6): the layout the header documents (period, MSS index, hash); a
// cookie comes back as the MSS it was made with, for every table entry, the largest entry not
// above the peer's; it is refused when the tuple, the peer's ISN or any cookie bit changes, and
// once two periods have begun since it was made; and the options packed into a TSval come back.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

#include "sluice/core/clock.hh"
#include "sluice/net/tcp/four_tuple.hh"
#include "sluice/net/tcp/keyed_hash.hh"
#include "sluice/net/tcp/seq.hh"
#include "sluice/net/tcp/syn_cookies.hh"

using sluice::clock;
using sluice::net::tcp::four_tuple;
using sluice::net::tcp::hash_key;
using sluice::net::tcp::seq;
using sluice::net::tcp::syn_cookie_options;
using sluice::net::tcp::syn_cookies;
using sluice::net::wire::ipv4_address;
using namespace std::chrono_literals;

namespace {

constexpr hash_key test_key{0x0123456789abcdefu, 0xfedcba9876543210u};
const four_tuple tuple{ipv4_address::from_octets(198, 18, 0, 1), 443, ipv4_address::from_octets(203, 0, 113, 9), 51515};
constexpr seq peer_isn(0xfffffff0u);  // near the wrap, as any ISN may be

clock::time_point at(std::chrono::nanoseconds since_zero) { return clock::time_point(since_zero); }
// A time inside period n (n * 64 s plus a little).
clock::time_point in_period(std::int64_t n) { return at(n * syn_cookies::period + 5s); }

}  // namespace

BOOST_AUTO_TEST_SUITE(syn_cookie_tests)

BOOST_AUTO_TEST_CASE(lays_out_period_mss_index_and_hash) {
    const syn_cookies cookies(test_key);
    const auto cookie = cookies.make(tuple, peer_isn, 1460, in_period(37));  // 37 mod 32 = 5
    BOOST_CHECK_EQUAL(cookie.isn.value >> 27, 5u);
    BOOST_CHECK_EQUAL((cookie.isn.value >> 24) & 0x7u, 5u);  // mss_table[5] = 1460
    BOOST_CHECK_EQUAL(syn_cookies::mss_table[5], 1460);
    BOOST_CHECK_EQUAL(cookie.mss, 1460);
}

BOOST_AUTO_TEST_CASE(round_trips_every_mss_table_entry) {
    const syn_cookies cookies(test_key);
    for (const std::uint16_t mss : syn_cookies::mss_table) {
        const auto cookie = cookies.make(tuple, peer_isn, mss, in_period(100));
        BOOST_CHECK_EQUAL(cookie.mss, mss);
        const auto checked = cookies.check(tuple, peer_isn, cookie.isn, in_period(100));
        BOOST_REQUIRE(checked.has_value());
        BOOST_CHECK_EQUAL(*checked, mss);
    }
}

BOOST_AUTO_TEST_CASE(picks_the_largest_entry_not_above_the_peer_mss) {
    const syn_cookies cookies(test_key);
    const auto& table = syn_cookies::mss_table;
    for (std::size_t i = 0; i < table.size(); ++i) {
        // Just below the next entry still picks this one; one below this one picks the previous.
        const std::uint16_t below_next = i + 1 < table.size() ? std::uint16_t(table[i + 1] - 1) : std::uint16_t(65535);
        BOOST_CHECK_EQUAL(cookies.make(tuple, peer_isn, below_next, in_period(1)).mss, table[i]);
        if (i > 0) BOOST_CHECK_EQUAL(cookies.make(tuple, peer_isn, std::uint16_t(table[i] - 1), in_period(1)).mss, table[i - 1]);
    }
    BOOST_CHECK_EQUAL(cookies.make(tuple, peer_isn, 1452, in_period(1)).mss, 1440);  // PPPoE
    BOOST_CHECK_EQUAL(cookies.make(tuple, peer_isn, 536, in_period(1)).mss, 536);   // no MSS option
    BOOST_CHECK_EQUAL(cookies.make(tuple, peer_isn, 10, in_period(1)).mss, table[0]);
}

BOOST_AUTO_TEST_CASE(refuses_a_changed_tuple_or_peer_isn) {
    const syn_cookies cookies(test_key);
    const auto cookie = cookies.make(tuple, peer_isn, 1460, in_period(9));
    BOOST_REQUIRE(cookies.check(tuple, peer_isn, cookie.isn, in_period(9)).has_value());
    four_tuple changed = tuple;
    changed.remote_port += 1;
    BOOST_CHECK(!cookies.check(changed, peer_isn, cookie.isn, in_period(9)).has_value());
    changed = tuple;
    changed.remote = ipv4_address::from_octets(203, 0, 113, 10);
    BOOST_CHECK(!cookies.check(changed, peer_isn, cookie.isn, in_period(9)).has_value());
    changed = tuple;
    changed.local_port = 444;
    BOOST_CHECK(!cookies.check(changed, peer_isn, cookie.isn, in_period(9)).has_value());
    BOOST_CHECK(!cookies.check(tuple, peer_isn + 1, cookie.isn, in_period(9)).has_value());
    BOOST_CHECK(!syn_cookies(hash_key{test_key.k0, test_key.k1 ^ 1}).check(tuple, peer_isn, cookie.isn, in_period(9)));
}

BOOST_AUTO_TEST_CASE(refuses_any_single_changed_cookie_bit) {
    const syn_cookies cookies(test_key);
    const auto cookie = cookies.make(tuple, peer_isn, 1460, in_period(9));
    for (unsigned bit = 0; bit < 32; ++bit) {
        const seq altered(cookie.isn.value ^ (1u << bit));
        BOOST_CHECK_MESSAGE(!cookies.check(tuple, peer_isn, altered, in_period(9)).has_value(), "bit " << bit);
    }
}

BOOST_AUTO_TEST_CASE(accepts_in_the_next_period_and_refuses_after_two) {
    const syn_cookies cookies(test_key);
    const auto cookie = cookies.make(tuple, peer_isn, 8960, at(64s * 10 + 63s));  // last second of period 10
    BOOST_CHECK_EQUAL(cookies.check(tuple, peer_isn, cookie.isn, at(64s * 10 + 63s)).value_or(0), 8960);
    BOOST_CHECK_EQUAL(cookies.check(tuple, peer_isn, cookie.isn, at(64s * 11)).value_or(0), 8960);
    BOOST_CHECK_EQUAL(cookies.check(tuple, peer_isn, cookie.isn, at(64s * 12 - 1ns)).value_or(0), 8960);
    BOOST_CHECK(!cookies.check(tuple, peer_isn, cookie.isn, at(64s * 12)).has_value());
    BOOST_CHECK(!cookies.check(tuple, peer_isn, cookie.isn, in_period(20)).has_value());
    // A cookie from the future (a counter ahead of now's) is refused too.
    BOOST_CHECK(!cookies.check(tuple, peer_isn, cookie.isn, in_period(9)).has_value());
}

BOOST_AUTO_TEST_CASE(refuses_a_cookie_32_periods_old_whose_counter_matches_again) {
    const syn_cookies cookies(test_key);
    const auto cookie = cookies.make(tuple, peer_isn, 1460, in_period(3));
    BOOST_CHECK(!cookies.check(tuple, peer_isn, cookie.isn, in_period(3 + 32)).has_value());
    BOOST_CHECK(!cookies.check(tuple, peer_isn, cookie.isn, in_period(4 + 32)).has_value());
}

BOOST_AUTO_TEST_CASE(accepts_across_the_counter_wrap_from_31_to_0) {
    const syn_cookies cookies(test_key);
    const auto cookie = cookies.make(tuple, peer_isn, 1220, in_period(63));  // counter 31
    BOOST_CHECK_EQUAL(cookie.isn.value >> 27, 31u);
    BOOST_CHECK_EQUAL(cookies.check(tuple, peer_isn, cookie.isn, in_period(64)).value_or(0), 1220);  // counter 0
    BOOST_CHECK(!cookies.check(tuple, peer_isn, cookie.isn, in_period(65)).has_value());
}

BOOST_AUTO_TEST_CASE(round_trips_every_option_combination_through_the_timestamp) {
    for (const std::uint32_t clock_value : {0u, 5u, 63u, 64u, 1000u, 0x12345678u, 0xffffffffu}) {
        for (int scale = -1; scale <= 14; ++scale) {
            for (const bool sack : {false, true}) {
                syn_cookie_options options;
                if (scale >= 0) options.window_scale = std::uint8_t(scale);
                options.sack_permitted = sack;
                const std::uint32_t encoded = syn_cookies::encode_options(clock_value, options);
                BOOST_CHECK(syn_cookies::decode_options(encoded) == options);
                // Never ahead of the clock, and less than 64 behind it (mod 2^32).
                BOOST_CHECK_LT(std::uint32_t(clock_value - encoded), 64u);
                BOOST_CHECK_EQUAL(encoded & 0x20u, 0u);  // the spare bit stays clear
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(packs_window_scale_in_bits_0_to_3_and_sack_in_bit_4) {
    BOOST_CHECK_EQUAL(syn_cookies::encode_options(0xabcdef7fu, {std::uint8_t(7), true}), 0xabcdef57u);
    BOOST_CHECK_EQUAL(syn_cookies::encode_options(0xabcdef7fu, {std::nullopt, false}), 0xabcdef4fu);
    // Bits above the clock's low bits: moved back 64 rather than ahead.
    BOOST_CHECK_EQUAL(syn_cookies::encode_options(0x1000u, {std::uint8_t(2), true}), 0x1000u - 64 + 0x12u);
    // RFC 7323 2.3: a shift above 14 is 14.
    BOOST_CHECK(syn_cookies::decode_options(syn_cookies::encode_options(0xfffu, {std::uint8_t(20), false})) ==
                (syn_cookie_options{std::uint8_t(14), false}));
}

BOOST_AUTO_TEST_SUITE_END()
