// sluice::load::run_report: what a sluice-load run found, with its honesty checks — achieved
// versus offered rate, the generator's schedule lag, whether the arrivals fit their
// distribution, whether latencies are independent and the run stationary — as text for
// the terminal and as the JSON summary (docs/benchmarks.md, "sluice-load").
#pragma once

#include <string>
#include <vector>

#include "apps/load/load_settings.hh"
#include "apps/load/shard_tally.hh"
#include "sluice/metrics/percentile_interval.hh"
#include "sluice/metrics/sample_checks.hh"

namespace sluice::load {

// The percentiles reported, in percent (p50 ... p99.999).
inline constexpr double reported_percentiles[] = {50, 90, 95, 99, 99.9, 99.99, 99.999};

class run_report {
public:
    // `tallies`: every shard's, merged here.
    run_report(const load_settings& settings, unsigned shards, const std::vector<const shard_tally*>& tallies);

    bool valid() const noexcept { return invalid_reason_.empty(); }
    const std::string& invalid_reason() const noexcept { return invalid_reason_; }
    const load_counts& counts() const noexcept { return counts_; }
    const metrics::hdr_histogram& latency() const noexcept { return latency_; }

    std::string text() const;  // several lines, each "sluice-load: ..."
    std::string json() const;  // the summary.json document

private:
    void check_arrivals();
    void decide_validity();

    const load_settings& settings_;
    unsigned shards_;
    metrics::hdr_histogram latency_;
    metrics::hdr_histogram lag_;
    load_counts counts_;
    std::vector<std::string> problems_;
    std::vector<metrics::percentile_estimate> estimates_;
    double seconds_ = 0;
    // Arrival checks: open loop only (closed-loop gaps follow the server).
    bool arrivals_checked_ = false;
    metrics::exponential_fit poisson_fit_;
    metrics::constant_fit constant_fit_;
    metrics::independence independence_;
    metrics::stationarity stationarity_;
    std::string invalid_reason_;
    std::vector<double> gaps_;
};

}  // namespace sluice::load
