// What one sluice-load run is asked to do: the command line, parsed and checked (main.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "apps/load/arrival_schedule.hh"
#include "apps/load/workloads.hh"
#include "sluice/core/clock.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::load {

struct load_settings {
    net::wire::ipv4_address server;
    std::uint16_t server_port = 0;
    net::wire::ipv4_address local_address;  // our interface's address (for UDP port steering)
    workload_settings workload;

    bool closed_loop = false;  // send the next request when an answer comes (sockperf, wrk)
    double rate = 10000;       // open loop: requests a second, all connections together
    arrival_process arrivals = arrival_process::poisson;
    std::uint64_t seed = 1;

    unsigned connections = 1;  // in all, spread over the shards
    // Requests a connection may have unanswered. Open loop: past it, due requests wait (the
    // server is the limit, and their latency still counts from the intended time).
    unsigned depth = 1;

    clock::duration duration = std::chrono::seconds(10);  // measured, after the warm-up
    clock::duration warmup = std::chrono::seconds(1);     // sent, not recorded (ARP, slow start)
    clock::duration timeout = std::chrono::seconds(2);    // a UDP request unanswered this long is lost
    clock::duration interval = std::chrono::seconds(1);   // progress lines and the interval log
    // Open loop: a run whose generator sent this late (schedule lag p99.9) is INVALID.
    clock::duration max_lag = std::chrono::microseconds(50);
};

}  // namespace sluice::load
