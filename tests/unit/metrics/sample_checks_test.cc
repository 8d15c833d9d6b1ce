// Checks the load generator's honesty checks (sluice/metrics/sample_checks.hh) on seeded
// series whose truth is known: Poisson arrivals fit the exponential and other gaps do
// not; constant schedules hold their gaps; noise is independent and an AR(1) series is
// not; a series that steps up halfway is not stationary; and on correct series each test
// rejects at about the rate alpha says.
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency already defines it
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include <boost/math/distributions/binomial.hpp>

#include "sluice/metrics/sample_checks.hh"

namespace metrics = sluice::metrics;

namespace {

std::vector<double> exponential_gaps(std::size_t n, double mean, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> gap(1.0 / mean);
    std::vector<double> out(n);
    for (double& v : out) v = gap(rng);
    return out;
}

std::vector<double> uniform_values(std::size_t n, double low, double high, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> value(low, high);
    std::vector<double> out(n);
    for (double& v : out) v = value(rng);
    return out;
}

std::vector<double> normal_noise(std::size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<double> out(n);
    for (double& v : out) v = noise(rng);
    return out;
}

// x_i = phi * x_(i-1) + noise: each value remembers the one before.
std::vector<double> ar1_series(std::size_t n, double phi, uint64_t seed) {
    std::vector<double> out = normal_noise(n, seed);
    for (std::size_t i = 1; i < n; ++i) out[i] += phi * out[i - 1];
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sample_checks)

BOOST_AUTO_TEST_CASE(poisson_arrivals_pass_the_exponential_fit) {
    const metrics::exponential_fit fit =
        metrics::fits_exponential(exponential_gaps(20'000, 1000, 1), 1000);
    BOOST_TEST(fit.enough_samples);
    BOOST_TEST(fit.sample_size == 20'000u);
    BOOST_TEST(fit.bins == 105u);  // 2 * 20000^(2/5) = 105.1
    BOOST_TEST(fit.passed());
}

BOOST_AUTO_TEST_CASE(gaps_with_a_ten_percent_longer_mean_fail_the_exponential_fit) {
    BOOST_TEST(!metrics::fits_exponential(exponential_gaps(20'000, 1100, 2), 1000).passed());
}

BOOST_AUTO_TEST_CASE(constant_gaps_fail_the_exponential_fit) {
    const std::vector<double> gaps(20'000, 1000.0);
    const metrics::exponential_fit fit = metrics::fits_exponential(gaps, 1000);
    BOOST_TEST(fit.enough_samples);
    BOOST_TEST(!fit.passed());
}

BOOST_AUTO_TEST_CASE(uniform_gaps_fail_the_exponential_fit) {
    // Same mean, wrong shape.
    BOOST_TEST(!metrics::fits_exponential(uniform_values(20'000, 0, 2000, 3), 1000).passed());
}

BOOST_AUTO_TEST_CASE(too_few_gaps_are_not_tested) {
    const metrics::exponential_fit fit =
        metrics::fits_exponential(exponential_gaps(9, 1000, 4), 1000);
    BOOST_TEST(!fit.enough_samples);
    BOOST_TEST(!fit.passed());
}

BOOST_AUTO_TEST_CASE(jittered_constant_gaps_pass_the_constant_fit) {
    const metrics::constant_fit fit =
        metrics::fits_constant(uniform_values(10'000, 990, 1010, 5), 1000, 50);
    BOOST_TEST(fit.fraction_within == 1.0);
    BOOST_TEST(fit.coefficient_of_variation < 0.01);
    BOOST_TEST(fit.passed());
}

BOOST_AUTO_TEST_CASE(two_percent_stalled_gaps_fail_the_constant_fit) {
    std::vector<double> gaps = uniform_values(10'000, 990, 1010, 6);
    for (std::size_t i = 0; i < gaps.size(); i += 50) gaps[i] = 3000;  // a stall every 50th
    const metrics::constant_fit fit = metrics::fits_constant(gaps, 1000, 50);
    BOOST_TEST(fit.fraction_within == 0.98);
    BOOST_TEST(!fit.passed());
    BOOST_TEST(fit.passed(0.95));
}

BOOST_AUTO_TEST_CASE(poisson_gaps_fail_the_constant_fit) {
    const metrics::constant_fit fit =
        metrics::fits_constant(exponential_gaps(10'000, 1000, 7), 1000, 50);
    BOOST_TEST(!fit.passed());
    BOOST_TEST(fit.coefficient_of_variation > 0.9);  // an exponential's is 1
}

BOOST_AUTO_TEST_CASE(independent_noise_passes) {
    const metrics::independence result = metrics::independent(normal_noise(10'000, 8));
    BOOST_TEST(result.enough_samples);
    BOOST_TEST(result.passed());
    BOOST_TEST(std::abs(static_cast<double>(result.runs) - result.expected_runs) < 200);
}

BOOST_AUTO_TEST_CASE(an_ar1_series_with_strong_correlation_fails_independence) {
    const metrics::independence result = metrics::independent(ar1_series(10'000, 0.8, 9));
    BOOST_TEST(result.lag1_autocorrelation > 0.7);
    BOOST_TEST(result.autocorrelation_p_value < metrics::default_alpha);
    BOOST_TEST(result.runs_p_value < metrics::default_alpha);  // long runs on each side
    BOOST_TEST(!result.passed());
}

BOOST_AUTO_TEST_CASE(an_alternating_series_fails_independence_with_too_many_runs) {
    std::vector<double> x = normal_noise(1'000, 10);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.1 * x[i] + (i % 2 == 0 ? 1.0 : -1.0);
    const metrics::independence result = metrics::independent(x);
    BOOST_TEST(result.lag1_autocorrelation < -0.9);
    BOOST_TEST(static_cast<double>(result.runs) > result.expected_runs);
    BOOST_TEST(result.runs_p_value < metrics::default_alpha);
    BOOST_TEST(!result.passed());
}

BOOST_AUTO_TEST_CASE(a_constant_series_shows_no_dependence) {
    const metrics::independence result = metrics::independent(std::vector<double>(100, 5.0));
    BOOST_TEST(result.enough_samples);
    BOOST_TEST(result.passed());
}

BOOST_AUTO_TEST_CASE(a_series_that_steps_up_halfway_is_not_stationary) {
    std::vector<double> x = exponential_gaps(10'000, 100, 11);
    const std::vector<double> later = exponential_gaps(5'000, 130, 12);
    std::copy(later.begin(), later.end(), x.begin() + 5'000);
    const metrics::stationarity result = metrics::stationary(x);
    BOOST_TEST(result.mann_whitney_z > 0);  // the second half is the larger
    BOOST_TEST(result.p_value < metrics::default_alpha);
    BOOST_TEST(result.p99_ratio > 1.1);
    BOOST_TEST(result.median_ratio > 1.1);
    BOOST_TEST(!result.passed());
}

BOOST_AUTO_TEST_CASE(a_stationary_series_passes) {
    const metrics::stationarity result = metrics::stationary(exponential_gaps(10'000, 100, 13));
    BOOST_TEST(result.enough_samples);
    BOOST_TEST(result.p_value >= metrics::default_alpha);
    BOOST_TEST(result.passed());
}

BOOST_AUTO_TEST_CASE(a_significant_but_small_shift_passes_when_the_p99s_agree) {
    // 100,000 values: a 3 % shift of the mean is "significant", yet no tail moved by 10 %.
    std::vector<double> x = exponential_gaps(100'000, 100, 14);
    const std::vector<double> later = exponential_gaps(50'000, 103, 15);
    std::copy(later.begin(), later.end(), x.begin() + 50'000);
    const metrics::stationarity result = metrics::stationary(x);
    BOOST_TEST(result.p_value < metrics::default_alpha);
    BOOST_TEST(result.p99_ratio < 1.1);
    BOOST_TEST(result.passed());
}

BOOST_AUTO_TEST_CASE(complete_separation_gives_the_textbook_mann_whitney_z) {
    // Halves 1..10 and 11..20: U = 100 against a mean of 50 and a variance of
    // 10 * 10 * 21 / 12 = 175; with the continuity correction z = 49.5 / sqrt(175).
    std::vector<double> x(20);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i + 1);
    const metrics::stationarity result = metrics::stationary(x);
    BOOST_TEST(result.mann_whitney_z == 49.5 / std::sqrt(175.0),
               boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(false_alarm_rate_at_alpha_001_is_near_one_percent) {
    // 2,000 correct series of 1,000 values: each test's rejections are Binomial(2000, 0.01)
    // (mean 20) and must fall in its central 99.9 %, about 8..35. A test that ignored the
    // ties of a two-valued series (uncorrected variance) would reject about 6.
    constexpr int series = 2'000;
    const boost::math::binomial_distribution<> rejections(series, metrics::default_alpha);
    const double least = boost::math::quantile(rejections, 0.0005);
    const double most = boost::math::quantile(boost::math::complement(rejections, 0.0005));
    int exponential = 0, autocorrelation = 0, runs = 0, shift = 0, shift_with_ties = 0;
    for (int s = 0; s < series; ++s) {
        const auto seed = 100'000 + static_cast<uint64_t>(s) * 4;
        const std::vector<double> gaps = exponential_gaps(1'000, 1000, seed);
        exponential += !metrics::fits_exponential(gaps, 1000).passed();
        const std::vector<double> noise = normal_noise(1'000, seed + 1);
        const metrics::independence ind = metrics::independent(noise);
        autocorrelation += ind.autocorrelation_p_value < metrics::default_alpha;
        runs += ind.runs_p_value < metrics::default_alpha;
        const std::vector<double> level = normal_noise(1'000, seed + 2);
        shift += metrics::stationary(level).p_value < metrics::default_alpha;
        std::vector<double> coin = uniform_values(1'000, 0, 1, seed + 3);
        for (double& v : coin) v = v < 0.5 ? 0.0 : 1.0;
        shift_with_ties += metrics::stationary(coin).p_value < metrics::default_alpha;
    }
    for (const auto& [name, count] : {std::pair{"exponential fit", exponential},
                                      std::pair{"lag-1 autocorrelation", autocorrelation},
                                      std::pair{"runs", runs}, std::pair{"Mann-Whitney", shift},
                                      std::pair{"Mann-Whitney with ties", shift_with_ties}}) {
        BOOST_TEST_INFO(name << " rejected " << count << " of " << series);
        BOOST_TEST(count >= least);
        BOOST_TEST_INFO(name << " rejected " << count << " of " << series);
        BOOST_TEST(count <= most);
    }
}

BOOST_AUTO_TEST_SUITE_END()
