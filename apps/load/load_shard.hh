// sluice::load::load_shard: one shard's part of a sluice-load run — its connections, the
// dispatcher that sends each request at its intended time (open loop) or when an answer
// frees a slot (closed loop), and the readers that match answers and record latency.
// Everything here runs on the shard that owns it (docs/architecture.md, "sluice-load").
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "apps/load/arrival_schedule.hh"
#include "apps/load/in_flight.hh"
#include "apps/load/load_settings.hh"
#include "apps/load/shard_tally.hh"
#include "apps/load/wake_signal.hh"
#include "apps/load/workload.hh"
#include "sluice/core/result.hh"
#include "sluice/core/task.hh"
#include "sluice/net/stack.hh"
#include "sluice/net/tcp_socket.hh"
#include "sluice/net/udp_socket.hh"

namespace sluice::load {

class load_shard {
public:
    // `first_connection` and `count`: this shard's slice of the run's connections.
    load_shard(net::stack& host, const load_settings& settings, unsigned shard_index, unsigned first_connection,
               unsigned count);
    load_shard(const load_shard&) = delete;
    load_shard& operator=(const load_shard&) = delete;
    ~load_shard();

    // Connects (TCP) or binds (UDP) every connection; one line naming the cause otherwise.
    task<result<void>> open();
    // Starts a run (one step of a sweep) at `start`, the same instant on every shard, at
    // `rate` requests a second for the whole run; a fresh tally. Returns at once.
    void start(clock::time_point start, double rate);
    // After the run's end, within the grace for late answers: counts what is still
    // unanswered or never sent. The tally is then the run's; the connections stay open
    // for the next step (a stream still owed answers is closed: it is out of step).
    task<void> drain();
    // Closes every connection and waits for their tasks to end.
    task<void> close();

    // The interval histogram since the last call, and errors since then (progress).
    metrics::hdr_histogram take_interval();
    // The schedule lag since the last call (the interval log's "lag" entries).
    metrics::hdr_histogram take_interval_lag();
    std::uint64_t take_interval_errors() noexcept { return std::exchange(tally_.interval_errors, 0); }
    const shard_tally& tally() const noexcept { return tally_; }
    unsigned connection_count() const noexcept { return unsigned(connections_.size()); }

private:
    struct connection;

    task<void> dispatch();
    task<void> read_stream(connection& c);
    task<void> read_datagrams(connection& c);
    task<void> write_stream(connection& c);
    task<bool> reconnect(connection& c, std::string why);
    std::optional<std::size_t> match_answers(connection& c, std::span<const std::byte> bytes, clock::time_point now,
                                             bool& server_closes);
    // False when the device could not take it now (the request stays due).
    bool send_one(connection& c, clock::time_point intended, clock::time_point now);
    void answered(connection& c, clock::time_point intended, bool failed, clock::time_point now);
    void expire_lost_datagrams(clock::time_point now);
    void count_error(std::string problem);
    void requeue(connection& c);
    result<std::uint16_t> local_udp_port(unsigned index);

    net::stack& host_;
    const load_settings& settings_;
    unsigned shard_index_;
    std::vector<std::unique_ptr<connection>> connections_;
    std::vector<std::pair<clock::time_point, unsigned>> due_;  // min-heap: next intended time, connection
    shard_tally tally_;
    clock::time_point record_from_{}, end_{};
    bool stopping_ = false;
    unsigned live_tasks_ = 0;
    bool readers_started_ = false;
};

}  // namespace sluice::load
