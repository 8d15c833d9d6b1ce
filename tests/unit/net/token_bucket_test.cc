// The token bucket with time passed in (never the real clock): the whole burst is there at
// the start; tokens come back at `rate` a second, fractions carried over; no more than
// `burst` is ever saved up, however long it rests; and a time earlier than one already
// seen adds nothing and does not move the refill's starting point back.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "sluice/core/clock.hh"
#include "sluice/net/token_bucket.hh"

using sluice::clock;
using sluice::net::token_bucket;
using namespace std::chrono_literals;

namespace {

clock::time_point at(std::chrono::nanoseconds since_zero) { return clock::time_point(since_zero); }

// Takes tokens at `now` until refused; how many it got.
unsigned drain(token_bucket& bucket, clock::time_point now) {
    unsigned taken = 0;
    while (bucket.try_take(now)) {
        ++taken;
        BOOST_REQUIRE_LE(taken, 1'000'000u);
    }
    return taken;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(token_bucket_tests)

BOOST_AUTO_TEST_CASE(offers_the_whole_burst_at_the_start) {
    token_bucket bucket(10, 5);
    BOOST_CHECK_EQUAL(drain(bucket, at(100s)), 5u);
    BOOST_CHECK(!bucket.try_take(at(100s)));
}

BOOST_AUTO_TEST_CASE(refills_one_token_every_second_divided_by_the_rate) {
    token_bucket bucket(10, 5);  // a token every 100 ms
    BOOST_CHECK_EQUAL(drain(bucket, at(100s)), 5u);
    BOOST_CHECK(!bucket.try_take(at(100s + 99ms)));
    BOOST_CHECK(bucket.try_take(at(100s + 100ms)));
    BOOST_CHECK(!bucket.try_take(at(100s + 100ms)));
    BOOST_CHECK_EQUAL(drain(bucket, at(100s + 350ms)), 2u);
    // The half token left over at 350 ms counts towards the next one.
    BOOST_CHECK(bucket.try_take(at(100s + 400ms)));
    BOOST_CHECK(!bucket.try_take(at(100s + 400ms)));
}

BOOST_AUTO_TEST_CASE(refills_at_the_rate_over_many_small_steps) {
    token_bucket bucket(1000, 1);  // a token every millisecond
    BOOST_CHECK(bucket.try_take(at(1s)));
    unsigned taken = 0;
    for (auto t = 1s + 250us; t <= 2s; t += 250us) taken += bucket.try_take(at(t)) ? 1 : 0;
    BOOST_CHECK_EQUAL(taken, 1000u);  // one a millisecond for a second, no more, no fewer
}

BOOST_AUTO_TEST_CASE(never_saves_more_than_the_burst) {
    token_bucket bucket(10, 5);
    BOOST_CHECK_EQUAL(drain(bucket, at(1s)), 5u);
    BOOST_CHECK_EQUAL(drain(bucket, at(1s + 400ms)), 4u);  // below the cap: all of it
    BOOST_CHECK_EQUAL(drain(bucket, at(1s + 10s)), 5u);
    BOOST_CHECK_EQUAL(drain(bucket, at(1s + 24h)), 5u);
    BOOST_CHECK_EQUAL(drain(bucket, at(1s + 24h * 365 * 100)), 5u);  // a century: no overflow
}

BOOST_AUTO_TEST_CASE(time_going_backwards_adds_no_tokens) {
    token_bucket bucket(10, 5);
    BOOST_CHECK_EQUAL(drain(bucket, at(100s)), 5u);
    BOOST_CHECK(!bucket.try_take(at(50s)));
    BOOST_CHECK(!bucket.try_take(at(0s)));
    // Back at the latest time seen: still nothing, so the earlier times did not become the
    // start of the refill.
    BOOST_CHECK(!bucket.try_take(at(100s)));
    BOOST_CHECK(!bucket.try_take(at(100s + 99ms)));
    BOOST_CHECK(bucket.try_take(at(100s + 100ms)));
}

BOOST_AUTO_TEST_CASE(a_rate_of_zero_never_refills) {
    token_bucket bucket(0, 3);
    BOOST_CHECK_EQUAL(drain(bucket, at(1s)), 3u);
    BOOST_CHECK(!bucket.try_take(at(1000s)));
}

BOOST_AUTO_TEST_CASE(a_large_rate_and_burst_refill_without_overflow) {
    token_bucket bucket(4'000'000'000u, 4'000'000'000u);
    BOOST_CHECK(bucket.try_take(at(1s)));
    BOOST_CHECK(bucket.try_take(at(1000s)));  // full again; the product would overflow 64 bits
}

BOOST_AUTO_TEST_SUITE_END()
