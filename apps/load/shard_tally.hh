// sluice::load::shard_tally: everything one shard of sluice-load counts and measures. Each
// shard owns its own (no sharing on the data path); the report merges copies at the end,
// and the progress display takes each interval's histogram once an interval.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/metrics/hdr_histogram.hh"

namespace sluice::load {

// Latencies and lags in nanoseconds, 1 ns to 100 s at 3 significant digits (0.1 %).
metrics::hdr_histogram make_latency_histogram();

struct load_counts {
    std::uint64_t scheduled = 0;   // requests whose intended time came before the end
    std::uint64_t sent = 0;
    std::uint64_t completed = 0;   // answered, whatever the answer said
    std::uint64_t failed = 0;      // answered with an error (HTTP 4xx/5xx, RESP -ERR)
    std::uint64_t malformed = 0;   // bytes that were no answer of this workload
    std::uint64_t timeouts = 0;    // UDP: unanswered for --timeout
    std::uint64_t unanswered = 0;  // still waiting when the run ended
    std::uint64_t late_answers = 0;  // UDP: came after their request timed out
    std::uint64_t send_failures = 0;  // the stack refused a datagram (no route, no mbufs)
    std::uint64_t held_back = 0;   // due requests that waited for --depth (the server's pace)
    std::uint64_t unsent = 0;      // due before the end, never sent, not held: the generator's fault
    std::uint64_t connection_errors = 0;  // a connect failed, or a write or read failed
    std::uint64_t reconnects = 0;  // the server closed a connection (or reset it); another was opened
    std::uint64_t resent = 0;      // requests a closed connection owed, sent again on its successor

    std::uint64_t errors() const noexcept {
        return failed + malformed + timeouts + unanswered + send_failures + connection_errors;
    }
    void add(const load_counts& other) noexcept;
};

struct shard_tally {
    shard_tally();

    metrics::hdr_histogram latency;   // recorded requests, from intended send to answer
    metrics::hdr_histogram interval;  // the same, since the progress display last took it
    metrics::hdr_histogram lag;       // actual minus intended send time (open loop)
    metrics::hdr_histogram interval_lag;  // the same, since the interval log last took it
    load_counts counts;
    std::uint64_t interval_errors = 0;

    // Bounded samples for the honesty checks (metrics/sample_checks.hh): every k-th
    // latency in order, and gaps between consecutive sends of this shard.
    std::vector<double> latency_sample;
    std::vector<double> send_gaps;
    std::uint64_t latency_stride = 1;
    std::uint64_t gap_stride = 1;
    std::uint64_t latencies_seen = 0;
    std::uint64_t gaps_seen = 0;
    clock::time_point last_send{};

    static constexpr std::size_t max_sample = 100'000;

    void record_latency(clock::duration latency_ns);
    void record_send(clock::time_point now, clock::duration lag_ns, bool measured);
    void note_problem(std::string problem);
    std::vector<std::string> problems;  // the first few malformed answers, for the report
};

}  // namespace sluice::load
