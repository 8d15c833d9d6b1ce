// sluice::runtime_config: what the runtime needs to start its shards. Built by the
// command-line parser (cli.hh) or filled in by code; read once at start, never changed.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "sluice/core/result.hh"

namespace sluice {

class shard;

// What a shard does on a turn that found no work (docs/architecture.md, rule 10).
enum class idle_policy {
    spin,      // never sleep: lowest latency, burns the core (rigs)
    adaptive,  // spin a while, then sleep in short steps (laptops, CI, shared cores)
};

// `start` runs on each shard's own thread after it is pinned and before its loop turns;
// an error stops the start-up of every shard and is what runtime::run returns. `stop`
// (optional) runs on the same thread after every shard has stopped and its tasks are
// gone, for each hook whose start succeeded, in reverse order.
struct shard_hook {
    std::function<result<void>(shard&)> start;
    std::function<void(shard&)> stop;
};

struct runtime_config {
    // One shard per entry, pinned to that logical CPU (OS index, as taskset numbers them).
    std::vector<unsigned> cpus;
    idle_policy idle = idle_policy::adaptive;
    // adaptive: how long a shard spins on an idle loop before it starts to sleep, and
    // the longest single sleep (a sleep also ends at the next timer deadline).
    std::chrono::microseconds spin_before_sleep{200};
    std::chrono::microseconds max_sleep{1000};
    // Ready tasks run per loop turn before the loop goes back to polling.
    unsigned task_budget = 256;
    // Entries in each cross-core ring (a power of two).
    unsigned cross_core_ring_size = 1024;
    // Print each shard's CPU and NUMA node when it starts.
    bool report_placement = true;
    // Drivers' per-shard set-up and teardown (e.g. register the thread as a DPDK lcore,
    // plug NIC queues into the loop); see shard_hook.
    std::vector<shard_hook> shard_hooks;
};

}  // namespace sluice
