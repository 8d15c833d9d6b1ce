// Sequence numbers compare modulo 2^32 (RFC 9293 3.4): order, distance and window tests
// hold across the wrap from 2^32 - 1 to 0.
#include <boost/test/unit_test.hpp>

#include "sluice/net/tcp/seq.hh"

using sluice::net::tcp::in_window;
using sluice::net::tcp::seq;
using sluice::net::tcp::seq_max;
using sluice::net::tcp::seq_min;

BOOST_AUTO_TEST_SUITE(sequence_numbers)

BOOST_AUTO_TEST_CASE(orders_numbers_across_the_wrap) {
    const seq before_wrap(0xfffffff0u);
    const seq after_wrap(0x10u);
    BOOST_CHECK(before_wrap < after_wrap);
    BOOST_CHECK(after_wrap > before_wrap);
    BOOST_CHECK(before_wrap <= after_wrap);
    BOOST_CHECK(!(after_wrap <= before_wrap));
    BOOST_CHECK_EQUAL(after_wrap - before_wrap, 0x20);
    BOOST_CHECK_EQUAL(before_wrap - after_wrap, -0x20);
    BOOST_CHECK(before_wrap + 0x20u == after_wrap);
    BOOST_CHECK(after_wrap - 0x20u == before_wrap);
}

BOOST_AUTO_TEST_CASE(max_and_min_follow_sequence_order_not_integer_order) {
    const seq low(0xffffff00u);
    const seq high(5);
    BOOST_CHECK(seq_max(low, high) == high);
    BOOST_CHECK(seq_min(low, high) == low);
}

BOOST_AUTO_TEST_CASE(window_test_takes_the_first_number_and_not_the_end) {
    const seq first(0xfffffffeu);
    BOOST_CHECK(in_window(first, first, 4));
    BOOST_CHECK(in_window(seq(1), first, 4));
    BOOST_CHECK(!in_window(seq(2), first, 4));
    BOOST_CHECK(!in_window(first - 1u, first, 4));
    BOOST_CHECK(!in_window(first, first, 0));  // an empty window holds nothing
}

BOOST_AUTO_TEST_SUITE_END()
