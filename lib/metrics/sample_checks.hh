// sluice::metrics sample checks: the honesty checks a load generator prints beside its
// results. Did the arrivals follow the schedule it claims (Poisson or constant rate)? Are
// the latencies independent of each other, and did they stay the same from the first half
// of the run to the second? Control path (report time), any thread; pure functions.
//
// Inputs are bounded by the caller: pass a sample of at most about 100,000 values; every
// check takes O(n log n) time at most and O(n) memory. How to thin matters:
//   fits_exponential, fits_constant: any subset of the gaps (every k-th gap is still a
//     gap; but not the gap between every k-th arrival, which is a sum of k gaps);
//   independent: a contiguous window (every k-th value tests lag k, not lag 1);
//   stationary: every k-th value over the whole run, so the halves span the run.
// Non-finite values are left out; sample_size says how many values were used.
#pragma once

#include <cstddef>
#include <span>

namespace sluice::metrics {

// The significance level the checks use unless told otherwise: a check of a correct
// series fails about once in a hundred runs.
inline constexpr double default_alpha = 0.01;

// Chi-square goodness of fit of inter-arrival times against an exponential distribution
// with the given mean (Poisson arrivals). k equiprobable bins, k about 2 n^(2/5) with at
// least 5 expected per bin; k - 1 degrees of freedom since the mean is given, not
// estimated. Needs n >= 10 (two bins) and expected_mean > 0; otherwise enough_samples is
// false and nothing was tested.
struct exponential_fit {
    double chi_square = 0;
    std::size_t bins = 0;
    double p_value = 1;
    std::size_t sample_size = 0;
    bool enough_samples = false;
    bool passed(double alpha = default_alpha) const noexcept {
        return enough_samples && p_value >= alpha;
    }
};
exponential_fit fits_exponential(std::span<const double> inter_arrivals, double expected_mean);

// For a constant-rate schedule: the fraction of gaps within `tolerance` (absolute, the
// gaps' unit) of expected_gap, and the gaps' coefficient of variation (stddev / mean).
// No p-value: a schedule either holds its gaps or not; passed when at least 99 % of them
// are within tolerance.
struct constant_fit {
    double fraction_within = 0;
    double coefficient_of_variation = 0;
    std::size_t sample_size = 0;
    bool passed(double required_fraction = 0.99) const noexcept {
        return sample_size > 0 && fraction_within >= required_fraction;
    }
};
constant_fit fits_constant(std::span<const double> inter_arrivals, double expected_gap,
                           double tolerance);

// Two tests of independence of consecutive values, both two-sided with the normal
// approximation. Lag-1 autocorrelation r1: under independence r1 * sqrt(n) is about
// N(0, 1). Wald-Wolfowitz runs above/below the median (values equal to it left out):
// too few runs means clustering, too many means alternation. A constant series carries
// no evidence of dependence (p = 1). Needs n >= 20.
struct independence {
    double lag1_autocorrelation = 0;
    double autocorrelation_p_value = 1;
    std::size_t runs = 0;
    double expected_runs = 0;
    double runs_p_value = 1;
    std::size_t sample_size = 0;
    bool enough_samples = false;
    // With 100,000 values both tests call a dependence "significant" that changes no
    // interval (r1 of 0.01): a series also passes when r1 is below 0.05 and the runs
    // are within 2 % of their expected count.
    bool passed(double alpha = default_alpha) const noexcept {
        const bool weak = lag1_autocorrelation < 0.05 && lag1_autocorrelation > -0.05 && expected_runs > 0 &&
                          double(runs) > 0.98 * expected_runs && double(runs) < 1.02 * expected_runs;
        return enough_samples && ((autocorrelation_p_value >= alpha && runs_p_value >= alpha) || weak);
    }
};
independence independent(std::span<const double> samples);

// First half of the series against the second: Mann-Whitney U (normal approximation,
// corrected for ties), and the ratios second / first of the halves' medians and p99s
// (nearest rank), which a report shows beside the p-value. Needs n >= 20.
struct stationarity {
    double mann_whitney_z = 0;  // > 0: the second half tends to be larger
    double p_value = 1;
    double median_ratio = 1;
    double p99_ratio = 1;
    std::size_t sample_size = 0;
    bool enough_samples = false;
    // With 100,000 values the test calls a 1 % shift "significant" though no report would
    // change: a series also passes when the second half's p99 is within 10 % of the first's.
    bool passed(double alpha = default_alpha) const noexcept {
        return enough_samples && (p_value >= alpha || (p99_ratio > 0.9 && p99_ratio < 1.1));
    }
};
stationarity stationary(std::span<const double> samples);

}  // namespace sluice::metrics
