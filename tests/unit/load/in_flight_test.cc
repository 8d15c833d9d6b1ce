// The in-flight ring: stream answers take the oldest; datagram answers find their entry by
// sequence number, once; answered entries leave from the front only.
#include <boost/test/unit_test.hpp>

#include "apps/load/in_flight.hh"

using namespace sluice;
using load::in_flight;

namespace {
clock::time_point at(int microseconds) { return clock::time_point{} + std::chrono::microseconds(microseconds); }
}

BOOST_AUTO_TEST_SUITE(in_flight_ring)

BOOST_AUTO_TEST_CASE(stream_answers_come_back_oldest_first) {
    in_flight ring(4);
    for (int i = 0; i < 3; ++i) ring.push(at(i));
    BOOST_TEST(ring.size() == 3u);
    BOOST_TEST((ring.oldest().intended == at(0)));
    ring.pop_oldest();
    BOOST_TEST((ring.oldest().intended == at(1)));
    BOOST_TEST(ring.oldest().sequence == 1u);
}

BOOST_AUTO_TEST_CASE(is_full_at_the_depth_or_its_capacity) {
    in_flight ring(3);  // rounded up to 4 slots
    for (int i = 0; i < 2; ++i) ring.push(at(i));
    BOOST_TEST(ring.full(2));
    BOOST_TEST(!ring.full(100));
    ring.push(at(2));
    ring.push(at(3));
    BOOST_TEST(ring.full(100));
}

BOOST_AUTO_TEST_CASE(a_datagram_answer_finds_its_entry_once) {
    in_flight ring(8);
    for (int i = 0; i < 5; ++i) ring.push(at(i * 10));
    const auto* third = ring.answer(2);
    BOOST_REQUIRE(third != nullptr);
    BOOST_TEST((third->intended == at(20)));
    BOOST_TEST(ring.answer(2) == nullptr);  // a duplicate
    BOOST_TEST(ring.answer(5) == nullptr);  // never sent
    BOOST_TEST(ring.size() == 5u);          // the answered entry waits behind 0 and 1
    ring.answer(0);
    ring.drop_answered();
    BOOST_TEST(ring.oldest().sequence == 1u);
    ring.answer(1);
    ring.drop_answered();
    BOOST_TEST(ring.oldest().sequence == 3u);  // 2 was answered already
}

BOOST_AUTO_TEST_CASE(an_entry_popped_as_lost_is_not_answered_later) {
    in_flight ring(4);
    ring.push(at(0));
    ring.push(at(1));
    ring.pop_oldest();                       // timed out
    BOOST_TEST(ring.answer(0) == nullptr);   // a late answer
    BOOST_TEST(ring.answer(1) != nullptr);
}

BOOST_AUTO_TEST_CASE(sequences_keep_counting_across_wraps) {
    in_flight ring(2);
    for (int i = 0; i < 10; ++i) {
        ring.push(at(i));
        BOOST_TEST(ring.answer(std::uint64_t(i)) != nullptr);
        ring.drop_answered();
        BOOST_TEST(ring.empty());
    }
    BOOST_TEST(ring.next_sequence() == 10u);
}

BOOST_AUTO_TEST_SUITE_END()
