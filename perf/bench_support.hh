// What the sluice-bench-core benchmarks share: the machine's topology (discovered once
// in main, before any thread is pinned), the two CPUs the cross-core benchmarks use,
// pinning for the benchmark's own threads, and a spin hint.
#pragma once

#include <immintrin.h>
#include <pthread.h>
#include <sched.h>

#include <optional>
#include <string>
#include <utility>

#include "sluice/core/topology.hh"

namespace sluice::bench {

// Set by main before the benchmarks run; null when discovery failed.
const topology* machine() noexcept;
void set_machine(const topology* discovered) noexcept;

// The first two allowed CPUs: (initiator, responder). Nothing when fewer are allowed.
inline std::optional<std::pair<unsigned, unsigned>> cpu_pair() {
    const topology* topo = machine();
    if (!topo || topo->allowed_cpus().size() < 2) return std::nullopt;
    return std::pair{topo->allowed_cpus()[0], topo->allowed_cpus()[1]};
}

inline std::optional<unsigned> first_cpu() {
    const topology* topo = machine();
    if (!topo || topo->allowed_cpus().empty()) return std::nullopt;
    return topo->allowed_cpus()[0];
}

// Pins a helper thread the benchmark started (it ends pinned). Returns an error message,
// empty on success.
inline std::string pin_this_thread(unsigned cpu) {
    const topology* topo = machine();
    if (!topo) return "no topology";
    auto bound = topo->bind_current_thread(cpu);
    return bound ? std::string{} : bound.message();
}

// Pins the benchmark's main thread for one benchmark and puts its CPU affinity back
// afterwards, so that a later runtime (which reads the caller's affinity to find the
// allowed CPUs) still sees every CPU. On a multi-node machine the memory binding that
// bind_current_thread adds stays; this VM has one node.
class scoped_pin {
public:
    explicit scoped_pin(unsigned cpu) {
        saved_ok_ = pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_) == 0;
        error_ = pin_this_thread(cpu);
    }
    scoped_pin(const scoped_pin&) = delete;
    scoped_pin& operator=(const scoped_pin&) = delete;
    ~scoped_pin() {
        if (saved_ok_) pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
    }
    // Empty when the thread is pinned.
    const std::string& error() const noexcept { return error_; }

private:
    cpu_set_t saved_{};
    bool saved_ok_ = false;
    std::string error_;
};

inline void spin_pause() noexcept { _mm_pause(); }

// Registered by main before it runs the benchmarks.
void register_ring_benchmarks();     // ring_benchmarks.cc
void register_runtime_benchmarks();  // runtime_benchmarks.cc

}  // namespace sluice::bench
