// Checks sluice::metrics::estimate_percentile: over many seeded draws from an exponential
// distribution, whose percentiles are known exactly, the interval covers the true
// percentile at least as often as its confidence promises; it narrows as samples grow;
// it says when there are too few samples; it brackets the reported value.
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency already defines it
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <random>

#include <boost/math/distributions/binomial.hpp>

#include "sluice/metrics/hdr_histogram.hh"
#include "sluice/metrics/percentile_interval.hh"

namespace metrics = sluice::metrics;
using histogram = metrics::hdr_histogram;

namespace {

constexpr double mean_latency = 20'000;  // large, so that whole numbers barely matter

// The recorded values are floor(X), X exponential: their q-quantile is floor(xi_q(X)).
int64_t true_percentile(double percentile) {
    return static_cast<int64_t>(std::floor(-mean_latency * std::log1p(-percentile / 100.0)));
}

histogram exponential_histogram(std::size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> latency(1.0 / mean_latency);
    histogram h(1, 100'000'000, 3);
    for (std::size_t i = 0; i < n; ++i) h.record(static_cast<int64_t>(latency(rng)));
    return h;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(percentile_interval)

BOOST_AUTO_TEST_CASE(interval_covers_the_true_percentile_in_at_least_95_percent_of_trials) {
    constexpr int trials = 400;
    // A 95 % interval covers in Binomial(400, >= 0.95) trials; below this bound a correct
    // interval lands once in a thousand seeds, and a 90 % one almost always.
    const auto least = static_cast<int>(
        boost::math::quantile(boost::math::binomial_distribution<>(trials, 0.95), 0.001));
    for (double percentile : {50.0, 99.0, 99.9}) {
        int covered = 0;
        for (int trial = 0; trial < trials; ++trial) {
            const histogram h = exponential_histogram(5'000, 1000 + static_cast<uint64_t>(trial));
            const metrics::percentile_estimate e = metrics::estimate_percentile(h, percentile);
            BOOST_TEST_REQUIRE(e.enough_samples);
            BOOST_TEST_REQUIRE(e.coverage >= 0.95);
            const int64_t truth = true_percentile(percentile);
            covered += e.lower <= truth && truth <= e.upper;
        }
        BOOST_TEST_INFO("p" << percentile << ": covered " << covered << " of " << trials);
        BOOST_TEST(covered >= least);
    }
}

BOOST_AUTO_TEST_CASE(interval_narrows_as_samples_grow) {
    // The width shrinks as 1 / sqrt(n): a hundred times the samples, a tenth the width.
    const auto width = [](std::size_t n) {
        const metrics::percentile_estimate e =
            metrics::estimate_percentile(exponential_histogram(n, 7), 99.0);
        BOOST_TEST_REQUIRE(e.enough_samples);
        return static_cast<double>(e.upper - e.lower);
    };
    const double small = width(2'000);
    const double medium = width(20'000);
    const double large = width(200'000);
    BOOST_TEST(medium < small / 2);
    BOOST_TEST(large < medium / 2);
    BOOST_TEST(large < small / 5);
    BOOST_TEST(large > 0);
}

BOOST_AUTO_TEST_CASE(reports_not_enough_samples_for_p99999_of_ten_thousand) {
    const histogram h = exponential_histogram(10'000, 11);
    // p99.999 needs its upper rank beyond the 10,000th sample: only the max bounds it.
    const metrics::percentile_estimate rare = metrics::estimate_percentile(h, 99.999);
    BOOST_TEST(!rare.enough_samples);
    BOOST_TEST(rare.upper_rank == h.count() + 1);
    BOOST_TEST(rare.upper == h.max());
    BOOST_TEST(rare.lower_rank >= 1u);
    BOOST_TEST(rare.lower <= rare.value);
    BOOST_TEST(rare.value <= rare.upper);
    // p99 of the same samples has about a hundred samples above it: enough.
    const metrics::percentile_estimate common = metrics::estimate_percentile(h, 99.0);
    BOOST_TEST(common.enough_samples);
    BOOST_TEST(common.upper < h.max());
    BOOST_TEST(common.lower > h.min());
}

BOOST_AUTO_TEST_CASE(ranks_follow_the_binomial_for_a_median_of_ten) {
    // Binomial(10, 0.5): P(B <= 1) = 11/1024 <= 0.025 < P(B <= 2) and P(B > 8) = 11/1024,
    // so the 95 % interval for the median of ten is [X_(2), X_(9)] with coverage
    // 1 - 22/1024.
    histogram h(1, 1'000, 3);
    for (int64_t v = 1; v <= 10; ++v) h.record(v * 10);
    const metrics::percentile_estimate e = metrics::estimate_percentile(h, 50.0);
    BOOST_TEST(e.enough_samples);
    BOOST_TEST(e.lower_rank == 2u);
    BOOST_TEST(e.upper_rank == 9u);
    BOOST_TEST(e.lower == 20);
    BOOST_TEST(e.upper == 90);
    BOOST_TEST(e.value == 50);
    BOOST_TEST(e.coverage == 1.0 - 22.0 / 1024.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(widens_to_the_bucket_edges_but_never_past_min_or_max) {
    // 10^6 lands in a bucket 512 wide (3 digits): the interval must not claim more
    // precision than that, yet no sample lies outside [min, max].
    histogram h(1, 100'000'000, 3);
    for (int i = 0; i < 100; ++i) h.record(1'000'000 + i);
    const metrics::percentile_estimate e = metrics::estimate_percentile(h, 50.0);
    BOOST_TEST(e.lower == h.min());
    BOOST_TEST(e.upper == h.max());
    BOOST_TEST(e.value <= e.upper);
    BOOST_TEST(e.value >= e.lower);
}

BOOST_AUTO_TEST_CASE(an_empty_histogram_has_no_interval) {
    const histogram h(1, 1'000, 3);
    const metrics::percentile_estimate e = metrics::estimate_percentile(h, 99.0);
    BOOST_TEST(!e.enough_samples);
    BOOST_TEST(e.count == 0u);
    BOOST_TEST(e.value == 0);
}

BOOST_AUTO_TEST_CASE(a_higher_confidence_gives_a_wider_interval) {
    const histogram h = exponential_histogram(20'000, 13);
    const metrics::percentile_estimate at_90 = metrics::estimate_percentile(h, 99.0, 0.90);
    const metrics::percentile_estimate at_99 = metrics::estimate_percentile(h, 99.0, 0.99);
    BOOST_TEST(at_99.lower_rank < at_90.lower_rank);
    BOOST_TEST(at_99.upper_rank > at_90.upper_rank);
    BOOST_TEST(at_90.coverage >= 0.90);
    BOOST_TEST(at_99.coverage >= 0.99);
}

BOOST_AUTO_TEST_SUITE_END()
