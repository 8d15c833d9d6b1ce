// sluice::runtime: starts one pinned shard thread per configured CPU, runs the
// application's main task on shard 0, and stops every shard when that task ends, when
// any shard calls request_stop(), or on SIGINT/SIGTERM. One runtime runs at a time.
#pragma once

#include <functional>

#include "sluice/core/config.hh"
#include "sluice/core/result.hh"
#include "sluice/core/task.hh"

namespace sluice {

class runtime {
public:
    explicit runtime(runtime_config config);

    // Blocks until every shard has stopped. Returns main's value; an exception escaping
    // main is printed and gives 1. A start-up problem (pinning, a second runtime) is an
    // error whose message names the fix.
    result<int> run(std::function<task<int>()> main);

    const runtime_config& config() const noexcept { return config_; }

private:
    runtime_config config_;
};

// Asks every shard of the running runtime to leave its loop. Any thread; signal-safe.
void request_stop() noexcept;

// For a program that owns its process: SIGINT/SIGTERM stop the runtime from now on and
// for the rest of the process, so a signal during start-up, or a second one during
// teardown (drivers cleaning up after the runtime), cannot kill it half-way. A signal
// before runtime::run makes that run stop at once. sluice::app calls this first thing.
void install_stop_signal_handlers();

}  // namespace sluice
