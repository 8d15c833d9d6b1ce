#include "apps/load/shard_tally.hh"

namespace sluice::load {

metrics::hdr_histogram make_latency_histogram() { return metrics::hdr_histogram(1, 100'000'000'000, 3); }

void load_counts::add(const load_counts& other) noexcept {
    scheduled += other.scheduled;
    sent += other.sent;
    completed += other.completed;
    failed += other.failed;
    malformed += other.malformed;
    timeouts += other.timeouts;
    unanswered += other.unanswered;
    late_answers += other.late_answers;
    send_failures += other.send_failures;
    held_back += other.held_back;
    unsent += other.unsent;
    reconnects += other.reconnects;
    resent += other.resent;
    connection_errors += other.connection_errors;
}

shard_tally::shard_tally()
    : latency(make_latency_histogram()),
      interval(make_latency_histogram()),
      lag(make_latency_histogram()),
      interval_lag(make_latency_histogram()) {
    latency_sample.reserve(max_sample);
    send_gaps.reserve(max_sample);
}

void shard_tally::record_latency(clock::duration latency_ns) {
    latency.record(latency_ns.count());
    interval.record(latency_ns.count());
    if (latencies_seen++ % latency_stride == 0 && latency_sample.size() < max_sample) {
        latency_sample.push_back(double(latency_ns.count()));
    }
}

void shard_tally::record_send(clock::time_point now, clock::duration lag_ns, bool measured) {
    if (measured) {
        lag.record(lag_ns.count());
        interval_lag.record(lag_ns.count());
    }
    // Every k-th gap (not the gap between every k-th send: that is a sum of k gaps).
    if (last_send != clock::time_point{} && measured && gaps_seen++ % gap_stride == 0 &&
        send_gaps.size() < max_sample) {
        send_gaps.push_back(double((now - last_send).count()));
    }
    last_send = now;
}

void shard_tally::note_problem(std::string problem) {
    if (problems.size() < 5) problems.push_back(std::move(problem));
}

}  // namespace sluice::load
