// The load generator's honesty checks (see sample_checks.hh). Each statistic is the
// textbook one; every distribution function comes from Boost.Math.
#include "sluice/metrics/sample_checks.hh"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>

namespace sluice::metrics {

namespace {

namespace bm = boost::math;

constexpr std::size_t min_series_length = 20;  // below this the normal approximations fail

std::vector<double> finite_values(std::span<const double> values) {
    std::vector<double> out;
    out.reserve(values.size());
    std::copy_if(values.begin(), values.end(), std::back_inserter(out),
                 [](double v) { return std::isfinite(v); });
    return out;
}

double two_sided_normal_p(double z) {
    const bm::normal_distribution<> standard;
    return std::min(1.0, 2.0 * bm::cdf(bm::complement(standard, std::fabs(z))));
}

double mean_of(const std::vector<double>& values) {
    double sum = 0;
    for (double v : values) sum += v;
    return sum / static_cast<double>(values.size());
}

// Nearest-rank quantile (as the histograms report them) of an ascending, non-empty vector.
double nearest_rank(const std::vector<double>& sorted, double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

double ratio(double second, double first) {
    if (first == 0.0) return second == 0.0 ? 1.0 : std::numeric_limits<double>::infinity();
    return second / first;
}

double median_of(std::vector<double> values) {  // a copy: nth_element reorders it
    const std::size_t mid = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + mid, values.end());
    const double upper = values[mid];
    if (values.size() % 2 == 1) return upper;
    return (upper + *std::max_element(values.begin(), values.begin() + mid)) / 2.0;
}

}  // namespace

exponential_fit fits_exponential(std::span<const double> inter_arrivals, double expected_mean) {
    const std::vector<double> gaps = finite_values(inter_arrivals);
    exponential_fit fit;
    fit.sample_size = gaps.size();
    const double n = static_cast<double>(gaps.size());
    // About 2 n^(2/5) equiprobable bins (a common rule of thumb: enough bins to see a bad
    // shape, few enough to fill them), and never fewer than 5 expected per bin.
    const std::size_t bins =
        std::min(static_cast<std::size_t>(std::lround(2.0 * std::pow(n, 0.4))), gaps.size() / 5);
    if (bins < 2 || !(expected_mean > 0.0)) return fit;
    fit.bins = bins;
    fit.enough_samples = true;

    // The exponential CDF maps the gaps onto (0, 1) uniformly when the fit holds; bin j
    // then holds [j / bins, (j + 1) / bins).
    std::vector<std::size_t> observed(bins, 0);
    const double k = static_cast<double>(bins);
    for (double gap : gaps) {
        const double u = -std::expm1(-gap / expected_mean);
        ++observed[static_cast<std::size_t>(std::clamp(std::floor(u * k), 0.0, k - 1.0))];
    }
    const double expected = n / k;
    for (std::size_t count : observed) {
        const double d = static_cast<double>(count) - expected;
        fit.chi_square += d * d / expected;
    }
    const bm::chi_squared_distribution<> chi_square(k - 1.0);  // the mean was given, not fitted
    fit.p_value = bm::cdf(bm::complement(chi_square, fit.chi_square));
    return fit;
}

constant_fit fits_constant(std::span<const double> inter_arrivals, double expected_gap,
                           double tolerance) {
    const std::vector<double> gaps = finite_values(inter_arrivals);
    constant_fit fit;
    fit.sample_size = gaps.size();
    if (gaps.empty()) return fit;
    const auto within = std::count_if(gaps.begin(), gaps.end(), [&](double gap) {
        return std::fabs(gap - expected_gap) <= tolerance;
    });
    fit.fraction_within = static_cast<double>(within) / static_cast<double>(gaps.size());

    const double mean = mean_of(gaps);
    double squares = 0;
    for (double gap : gaps) squares += (gap - mean) * (gap - mean);
    const double stddev =
        gaps.size() > 1 ? std::sqrt(squares / static_cast<double>(gaps.size() - 1)) : 0.0;
    fit.coefficient_of_variation =
        mean != 0.0 ? stddev / std::fabs(mean)
                    : (stddev == 0.0 ? 0.0 : std::numeric_limits<double>::infinity());
    return fit;
}

independence independent(std::span<const double> samples) {
    const std::vector<double> x = finite_values(samples);
    independence result;
    result.sample_size = x.size();
    if (x.size() < min_series_length) return result;
    result.enough_samples = true;
    const double n = static_cast<double>(x.size());

    const double mean = mean_of(x);
    double squares = 0;
    double lagged = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        squares += (x[i] - mean) * (x[i] - mean);
        if (i + 1 < x.size()) lagged += (x[i] - mean) * (x[i + 1] - mean);
    }
    if (squares == 0.0) return result;  // constant: nothing to correlate, p stays 1
    result.lag1_autocorrelation = lagged / squares;
    result.autocorrelation_p_value = two_sided_normal_p(result.lag1_autocorrelation * std::sqrt(n));

    // Runs above/below the median; a value equal to it belongs to neither side.
    const double median = median_of(x);
    double above = 0;
    double below = 0;
    int previous_side = 0;
    for (double v : x) {
        const int side = v > median ? 1 : (v < median ? -1 : 0);
        if (side == 0) continue;
        (side > 0 ? above : below) += 1;
        if (side != previous_side) ++result.runs;
        previous_side = side;
    }
    const double total = above + below;
    if (above == 0 || below == 0) return result;
    result.expected_runs = 2.0 * above * below / total + 1.0;
    const double variance = 2.0 * above * below * (2.0 * above * below - total) /
                            (total * total * (total - 1.0));
    if (variance > 0.0) {
        const double excess = static_cast<double>(result.runs) - result.expected_runs;
        result.runs_p_value = two_sided_normal_p(excess / std::sqrt(variance));
    }
    return result;
}

stationarity stationary(std::span<const double> samples) {
    const std::vector<double> x = finite_values(samples);
    stationarity result;
    result.sample_size = x.size();
    if (x.size() < min_series_length) return result;
    result.enough_samples = true;

    const auto half = static_cast<std::ptrdiff_t>(x.size() / 2);
    std::vector<double> first(x.begin(), x.begin() + half);
    std::vector<double> second(x.begin() + half, x.end());
    std::sort(first.begin(), first.end());
    std::sort(second.begin(), second.end());
    result.median_ratio = ratio(nearest_rank(second, 0.5), nearest_rank(first, 0.5));
    result.p99_ratio = ratio(nearest_rank(second, 0.99), nearest_rank(first, 0.99));

    // Rank sum of the second half, walking both sorted halves in step; a run of equal
    // values (from either half) shares the mean of the ranks it spans.
    double rank_sum = 0;
    double tie_term = 0;  // sum of t^3 - t over runs of t equal values
    double next_rank = 1;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < first.size() || j < second.size()) {
        const double v = j == second.size() || (i < first.size() && first[i] < second[j])
                             ? first[i]
                             : second[j];
        double in_first = 0;
        double in_second = 0;
        for (; i < first.size() && first[i] == v; ++i) in_first += 1;
        for (; j < second.size() && second[j] == v; ++j) in_second += 1;
        const double t = in_first + in_second;
        rank_sum += in_second * (next_rank + (t - 1.0) / 2.0);
        tie_term += t * t * t - t;
        next_rank += t;
    }
    const double n1 = static_cast<double>(first.size());
    const double n2 = static_cast<double>(second.size());
    const double total = n1 + n2;
    const double u = rank_sum - n2 * (n2 + 1.0) / 2.0;
    const double mean = n1 * n2 / 2.0;
    const double variance = n1 * n2 / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
    if (variance <= 0.0) return result;  // every value equal: nothing moved, p stays 1
    // Continuity correction: U moves in steps of one (of a half with ties).
    const double distance = std::max(0.0, std::fabs(u - mean) - 0.5);
    result.mann_whitney_z = std::copysign(distance, u - mean) / std::sqrt(variance);
    result.p_value = two_sided_normal_p(result.mann_whitney_z);
    return result;
}

}  // namespace sluice::metrics
