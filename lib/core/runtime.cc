// Start-up and teardown. Each shard thread pins itself, builds its own state (so its
// memory lands on its NUMA node), joins the mesh, then all meet at a barrier before any
// loop turns. Teardown mirrors it: leave the loop, meet, destroy the tasks each shard
// still holds, meet again, then the mesh goes.
#include "sluice/core/runtime.hh"

#include <signal.h>

#include <atomic>
#include <barrier>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/core/cross_core.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/topology.hh"

namespace sluice {
namespace {

std::atomic<bool> stop_flag{false};
std::atomic<bool> signal_seen{false};  // a stop signal arrived (perhaps before the run)
std::atomic<bool> running{false};

extern "C" void on_stop_signal(int) {
    signal_seen.store(true, std::memory_order_relaxed);
    stop_flag.store(true, std::memory_order_relaxed);
}

bool our_handler_installed() {
    struct sigaction current {};
    sigaction(SIGTERM, nullptr, &current);
    return current.sa_handler == on_stop_signal;
}

void install(struct sigaction* old_int, struct sigaction* old_term) {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, old_int);
    sigaction(SIGTERM, &action, old_term);
}

// Installs the stop handlers for the runtime's lifetime and puts the old ones back —
// unless a program installed them for its whole life (install_stop_signal_handlers).
class signal_guard {
public:
    signal_guard() : owned_(!our_handler_installed()) {
        if (owned_) install(&old_int_, &old_term_);
    }
    ~signal_guard() {
        if (!owned_) return;
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }

private:
    bool owned_;
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

}  // namespace

void request_stop() noexcept { stop_flag.store(true, std::memory_order_relaxed); }

void install_stop_signal_handlers() { install(nullptr, nullptr); }

runtime::runtime(runtime_config config) : config_(std::move(config)) {}

result<int> runtime::run(std::function<task<int>()> main) {
    if (config_.cpus.empty()) {
        return error{"no shards configured: give at least one cpu (--cores or --shards)"};
    }
    if (running.exchange(true)) {
        return error{"a sluice runtime is already running in this process; run one at a time"};
    }
    struct running_reset {
        ~running_reset() { running.store(false); }
    } reset_running;

    auto topo = topology::discover();
    if (!topo) return topo.failure();
    const clock_calibration& clock_source = calibrate_clock();
    if (config_.report_placement) {
        std::fprintf(stderr, "sluice: clock: %s\n", clock_source.reason.c_str());
    }

    stop_flag.store(signal_seen.load());  // a signal during start-up stops the run at once
    signal_guard signals;
    const unsigned count = unsigned(config_.cpus.size());
    cross_core mesh(count, config_.cross_core_ring_size);
    std::barrier started(count);
    std::barrier stopped(count);
    std::barrier torn_down(count);
    std::vector<std::string> start_failures(count);
    int exit_code = 0;

    auto shard_thread = [&](unsigned id) {
        const unsigned cpu = config_.cpus[id];
        if (auto bound = topo->bind_current_thread(cpu); !bound) {
            start_failures[id] = bound.message();
        }
        auto self = std::make_unique<shard>(id, cpu, config_, stop_flag);
        shard::set_current(self.get());
        mesh.attach(*self);
        std::size_t hooks_started = 0;
        while (start_failures[id].empty() && hooks_started < config_.shard_hooks.size()) {
            if (auto started = config_.shard_hooks[hooks_started].start(*self); !started) {
                start_failures[id] = started.message();
            } else {
                ++hooks_started;
            }
        }
        if (config_.report_placement && start_failures[id].empty()) {
            const auto node = topo->numa_node_of(cpu);
            std::fprintf(stderr, "sluice: shard %u on cpu %u (numa node %d)\n", id, cpu, node ? int(*node) : -1);
        }
        started.arrive_and_wait();
        bool started_everywhere = true;
        for (const auto& failure : start_failures) started_everywhere &= failure.empty();

        if (started_everywhere) {
            if (id == 0) {
                spawn([&]() -> task<void> {
                    try {
                        exit_code = co_await main();
                    } catch (const std::exception& e) {
                        std::fprintf(stderr, "sluice: main task ended with an exception: %s\n", e.what());
                        exit_code = 1;
                    }
                    request_stop();
                });
            }
            self->run();
        }
        stopped.arrive_and_wait();
        self->destroy_remaining_tasks();
        for (std::size_t i = hooks_started; i-- > 0;) {
            if (config_.shard_hooks[i].stop) config_.shard_hooks[i].stop(*self);
        }
        mesh.detach(*self);
        torn_down.arrive_and_wait();
        self.reset();
        shard::set_current(nullptr);
    };

    std::vector<std::thread> threads;
    threads.reserve(count);
    for (unsigned id = 0; id < count; ++id) threads.emplace_back(shard_thread, id);
    for (auto& thread : threads) thread.join();

    for (const auto& failure : start_failures) {
        if (!failure.empty()) return error{failure};
    }
    return exit_code;
}

}  // namespace sluice
