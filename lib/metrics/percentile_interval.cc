// Order-statistic confidence intervals for percentiles (see percentile_interval.hh).
#include "sluice/metrics/percentile_interval.hh"

#include <algorithm>

#include <boost/math/distributions/binomial.hpp>

namespace sluice::metrics {

namespace {

namespace bm = boost::math;

// B = the number of samples at or below the true percentile, binomial(n, q). With
// k_lo = lower_rank - 1 and k_hi = upper_rank - 1: X_(lower) <= xi_q iff B > k_lo, and
// X_(upper) >= xi_q iff B <= k_hi, so the coverage is P(k_lo < B <= k_hi).
struct rank_pair {
    uint64_t lower = 0;
    uint64_t upper = 0;
    double coverage = 0;
};

// Equal tails: k_lo is the largest k with P(B <= k) <= tail, k_hi the smallest with
// P(B > k) <= tail; -1 and n are the "no such rank in the data" ends.
// Exact binomial at every n rather than a normal approximation: Boost inverts it through
// the incomplete beta function, accurate and well under a millisecond even at n = 10^15,
// and exactness matters most at the extreme percentiles where the normal one is worst.
rank_pair order_statistic_ranks(uint64_t count, double q, double tail) {
    const double n = static_cast<double>(count);
    if (q <= 0.0) return {0, 1, 1.0};              // B = 0: no sample lies below xi_0
    if (q >= 1.0) return {count, count + 1, 1.0};  // B = n: none lies above xi_1
    const bm::binomial_distribution<> b(n, q);
    // Boost rounds its discrete quantiles outwards (down in the lower tail, up in the
    // upper one), which is what we want; the loops only absorb round-off, a step or two.
    double k_lo = bm::quantile(b, tail);
    while (k_lo >= 0 && bm::cdf(b, k_lo) > tail) k_lo -= 1;
    while (k_lo + 1 < n && bm::cdf(b, k_lo + 1) <= tail) k_lo += 1;
    double k_hi = bm::quantile(bm::complement(b, tail));
    while (k_hi < n && bm::cdf(bm::complement(b, k_hi)) > tail) k_hi += 1;
    while (k_hi > 0 && bm::cdf(bm::complement(b, k_hi - 1)) <= tail) k_hi -= 1;

    const double below = k_lo < 0 ? 0.0 : bm::cdf(b, k_lo);
    const double above = k_hi >= n ? 0.0 : bm::cdf(bm::complement(b, k_hi));
    return {static_cast<uint64_t>(k_lo + 1), static_cast<uint64_t>(k_hi + 1),
            1.0 - below - above};
}

// The bucket holding the sample of 1-based rank `rank` in ascending order.
value_range bucket_at_rank(const hdr_histogram& histogram, uint64_t rank) {
    uint64_t seen = 0;
    for (const bucket& b : histogram.recorded_buckets()) {
        seen += b.count;
        if (seen >= rank) return b.range;
    }
    return {histogram.max(), histogram.max()};  // unreachable for rank <= count()
}

}  // namespace

percentile_estimate estimate_percentile(const hdr_histogram& histogram, double percentile,
                                        double confidence) {
    percentile_estimate e;
    e.percentile = percentile > 0.0 ? std::min(percentile, 100.0) : 0.0;  // NaN -> 0
    e.confidence = confidence > 0.0 ? std::min(confidence, 1.0) : 0.0;
    e.count = histogram.count();
    if (histogram.empty()) return e;

    e.value = std::clamp(histogram.value_at_percentile(e.percentile), histogram.min(),
                         histogram.max());
    const rank_pair ranks =
        order_statistic_ranks(e.count, e.percentile / 100.0, (1.0 - e.confidence) / 2.0);
    e.lower_rank = ranks.lower;
    e.upper_rank = ranks.upper;
    e.coverage = ranks.coverage;
    const bool has_lower = ranks.lower >= 1;
    const bool has_upper = ranks.upper <= e.count;
    e.enough_samples = has_lower && has_upper;
    // The bucket's far edges, so that rounding inside the histogram widens, never narrows.
    e.lower = has_lower ? std::max(bucket_at_rank(histogram, ranks.lower).lowest, histogram.min())
                        : histogram.min();
    e.upper = has_upper ? std::min(bucket_at_rank(histogram, ranks.upper).highest, histogram.max())
                        : histogram.max();
    return e;
}

}  // namespace sluice::metrics
