// sluice::metrics::estimate_percentile: a percentile read from an hdr_histogram together
// with a distribution-free confidence interval for the true percentile, so that a report
// can say how far a p99.9 from this many samples may be trusted. Control path (report
// time), any thread that owns the histogram; nothing here keeps a reference to it.
#pragma once

#include <cstdint>

#include "sluice/metrics/hdr_histogram.hh"

namespace sluice::metrics {

// The interval rests on order statistics only: whatever the latency distribution, the
// number of samples at or below the true percentile xi_q is binomial(n, q), so ranks l and
// u exist with P(X_(l) <= xi_q <= X_(u)) >= confidence. lower and upper are the values at
// those ranks, widened to the bounds of their histogram buckets (and clamped to the exact
// min and max) so that the histogram's rounding never narrows the interval.
struct percentile_estimate {
    double percentile = 0;     // as asked, 0..100
    double confidence = 0;     // as asked
    uint64_t count = 0;        // samples in the histogram
    int64_t value = 0;         // value_at_percentile(percentile) clamped to the exact min
                               // and max (it reports a bucket's highest value, which may
                               // pass the largest sample), so lower <= value <= upper
    int64_t lower = 0;         // the true percentile is >= lower with the stated confidence...
    int64_t upper = 0;         // ...and <= upper
    uint64_t lower_rank = 0;   // 1-based order statistics behind lower/upper; 0 or count + 1
    uint64_t upper_rank = 0;   // when that side does not exist in the data
    double coverage = 0;       // the interval's exact confidence (>= confidence: ranks are whole)
    // False when n is too small for the interval to exist within the data (p99.999 of
    // 10,000 samples needs more than one sample above it): the missing side is then the
    // histogram's min or max, a bound on the data but not a confidence bound.
    bool enough_samples = false;
};

// percentile in 0..100 and confidence in (0, 1), each clamped into range. An empty
// histogram gives all zeros and enough_samples = false.
percentile_estimate estimate_percentile(const hdr_histogram& histogram, double percentile,
                                        double confidence = 0.95);

}  // namespace sluice::metrics
