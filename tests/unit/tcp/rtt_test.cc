// The RFC 6298 retransmission timeout: the initial RTO before any sample, SRTT and RTTVAR
// from the first and later samples to the nanosecond, the granularity term, the minimum
// and maximum clamps (and the per-socket minimum), exponential back-off capped at the
// maximum, and a fresh sample collapsing a backed-off RTO.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "sluice/core/clock.hh"
#include "sluice/net/tcp/rtt.hh"

using sluice::clock;
using sluice::net::tcp::rto_settings;
using sluice::net::tcp::rtt_estimator;
using namespace std::chrono_literals;

namespace {

rto_settings without_minimum() {
    rto_settings settings;
    settings.minimum = 0ns;
    return settings;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rtt)

BOOST_AUTO_TEST_CASE(uses_the_initial_rto_before_any_sample) {
    rtt_estimator estimator;
    BOOST_CHECK(!estimator.has_sample());
    BOOST_CHECK(estimator.smoothed() == 0ns);
    BOOST_CHECK(estimator.variation() == 0ns);
    BOOST_CHECK(estimator.rto() == 1s);  // RFC 6298 (2.1)

    rto_settings settings;
    settings.initial = 3s;
    BOOST_CHECK(rtt_estimator(settings).rto() == 3s);
}

BOOST_AUTO_TEST_CASE(first_sample_sets_srtt_to_r_and_rttvar_to_half_of_it) {
    rtt_estimator estimator;
    estimator.on_sample(100ms);
    BOOST_CHECK(estimator.has_sample());
    BOOST_CHECK(estimator.smoothed() == 100ms);
    BOOST_CHECK(estimator.variation() == 50ms);
    BOOST_CHECK(estimator.rto() == 100ms + 4 * 50ms);  // RFC 6298 (2.2)
}

BOOST_AUTO_TEST_CASE(later_samples_update_rttvar_from_the_old_srtt_then_srtt) {
    rtt_estimator estimator;
    estimator.on_sample(100ms);

    // RTTVAR = 3/4 * 50 ms + 1/4 * |100 - 140| ms; SRTT = 7/8 * 100 ms + 1/8 * 140 ms.
    estimator.on_sample(140ms);
    BOOST_CHECK_EQUAL(estimator.variation().count(), 47'500'000);
    BOOST_CHECK_EQUAL(estimator.smoothed().count(), 105'000'000);
    BOOST_CHECK_EQUAL(estimator.rto().count(), 105'000'000 + 4 * 47'500'000);

    // RTTVAR = 3/4 * 47.5 ms + 1/4 * |105 - 60| ms; SRTT = 7/8 * 105 ms + 1/8 * 60 ms.
    estimator.on_sample(60ms);
    BOOST_CHECK_EQUAL(estimator.variation().count(), 46'875'000);
    BOOST_CHECK_EQUAL(estimator.smoothed().count(), 99'375'000);
    BOOST_CHECK_EQUAL(estimator.rto().count(), 99'375'000 + 4 * 46'875'000);
}

BOOST_AUTO_TEST_CASE(truncates_to_whole_nanoseconds) {
    rtt_estimator estimator(without_minimum());
    estimator.on_sample(3ns);
    BOOST_CHECK_EQUAL(estimator.smoothed().count(), 3);
    BOOST_CHECK_EQUAL(estimator.variation().count(), 1);  // 3 / 2
    estimator.on_sample(10ns);
    BOOST_CHECK_EQUAL(estimator.variation().count(), (3 * 1 + 7) / 4);  // 2
    BOOST_CHECK_EQUAL(estimator.smoothed().count(), (7 * 3 + 10) / 8);  // 3
}

BOOST_AUTO_TEST_CASE(granularity_is_the_least_variance_term_on_a_steady_path) {
    rtt_estimator estimator(without_minimum());
    for (int i = 0; i < 100; ++i) estimator.on_sample(50us);
    BOOST_CHECK(estimator.smoothed() == 50us);
    // 25 us * (3/4)^100 truncates to nothing; G = 1 us stands in for 4 * RTTVAR.
    BOOST_CHECK(estimator.variation() == 0ns);
    BOOST_CHECK(estimator.rto() == 51us);

    rto_settings coarse = without_minimum();
    coarse.granularity = 1ms;
    rtt_estimator coarse_estimator(coarse);
    coarse_estimator.on_sample(400us);  // 4 * RTTVAR = 800 us < G
    BOOST_CHECK(coarse_estimator.rto() == 1400us);
}

BOOST_AUTO_TEST_CASE(clamps_the_rto_to_the_minimum) {
    rtt_estimator estimator;
    estimator.on_sample(1ms);  // SRTT + 4 RTTVAR = 3 ms
    BOOST_CHECK(estimator.rto() == 10ms);
    BOOST_CHECK(estimator.settings().minimum == 10ms);
}

BOOST_AUTO_TEST_CASE(set_minimum_moves_the_floor_both_ways) {
    rtt_estimator estimator;
    estimator.on_sample(1ms);
    estimator.set_minimum(1ms);
    BOOST_CHECK(estimator.settings().minimum == 1ms);
    BOOST_CHECK(estimator.rto() == 3ms);
    estimator.set_minimum(1s);  // RFC 6298 (2.4)'s own value
    BOOST_CHECK(estimator.rto() == 1s);
}

BOOST_AUTO_TEST_CASE(clamps_the_rto_to_the_maximum) {
    rtt_estimator estimator;
    estimator.on_sample(30s);  // 30 s + 4 * 15 s
    BOOST_CHECK(estimator.rto() == 60s);

    rto_settings crossed;  // a minimum above the maximum: the maximum wins
    crossed.minimum = 90s;
    BOOST_CHECK(rtt_estimator(crossed).rto() == 60s);
}

BOOST_AUTO_TEST_CASE(doubles_rto_on_each_backoff_up_to_the_maximum) {
    rtt_estimator estimator;
    estimator.on_sample(100ms);  // RTO 300 ms
    auto expected = 300ms;
    for (unsigned n = 1; n <= 7; ++n) {
        estimator.back_off();
        expected *= 2;
        BOOST_CHECK_EQUAL(estimator.back_offs(), n);
        BOOST_CHECK(estimator.rto() == expected);
    }
    BOOST_CHECK(estimator.rto() == 38400ms);
    estimator.back_off();  // 76.8 s would pass the ceiling
    BOOST_CHECK(estimator.rto() == 60s);
    for (int i = 0; i < 1000; ++i) estimator.back_off();  // no overflow however many
    BOOST_CHECK_EQUAL(estimator.back_offs(), 1008u);
    BOOST_CHECK(estimator.rto() == 60s);
}

BOOST_AUTO_TEST_CASE(backs_off_from_the_initial_rto_without_a_sample) {
    rtt_estimator estimator;
    for (auto expected : {2s, 4s, 8s, 16s, 32s, 60s, 60s}) {
        estimator.back_off();
        BOOST_CHECK(estimator.rto() == expected);
    }
}

BOOST_AUTO_TEST_CASE(a_fresh_sample_clears_the_back_off) {
    rtt_estimator estimator;
    estimator.on_sample(100ms);
    for (int i = 0; i < 3; ++i) estimator.back_off();
    BOOST_CHECK(estimator.rto() == 2400ms);
    estimator.on_sample(100ms);  // RTTVAR = 3/4 * 50 ms, SRTT unchanged
    BOOST_CHECK_EQUAL(estimator.back_offs(), 0u);
    BOOST_CHECK(estimator.rto() == 100ms + 4 * 37500us);
}

BOOST_AUTO_TEST_CASE(reset_back_off_returns_to_the_base_rto) {
    rtt_estimator estimator;
    estimator.on_sample(100ms);
    estimator.back_off();
    estimator.back_off();
    BOOST_CHECK(estimator.rto() == 1200ms);
    estimator.reset_back_off();
    BOOST_CHECK_EQUAL(estimator.back_offs(), 0u);
    BOOST_CHECK(estimator.rto() == 300ms);
    BOOST_CHECK(estimator.smoothed() == 100ms);  // the estimate itself is kept
}

BOOST_AUTO_TEST_CASE(a_negative_sample_counts_as_zero) {
    rtt_estimator estimator;
    estimator.on_sample(-5ms);
    BOOST_CHECK(estimator.has_sample());
    BOOST_CHECK(estimator.smoothed() == 0ns);
    BOOST_CHECK(estimator.variation() == 0ns);
    BOOST_CHECK(estimator.rto() == 10ms);  // G, then the minimum
}

BOOST_AUTO_TEST_SUITE_END()
