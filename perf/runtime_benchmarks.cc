// roundtrip/cacheline_floor, roundtrip/submit_to, task/spawn_complete, timer/arm_cancel.
// Each times its own loop with sluice::clock and reports a per-operation counter
// (ns_per_roundtrip, ns_per_op); none uses UseRealTime()/UseManualTime(), which would
// append "/real_time" or "/manual_time" to the names others match on.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "perf/bench_support.hh"
#include "sluice/core/clock.hh"
#include "sluice/core/config.hh"
#include "sluice/core/runtime.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/spsc_ring.hh"
#include "sluice/core/submit_to.hh"
#include "sluice/core/task.hh"
#include "sluice/core/timer_wheel.hh"

namespace sluice::bench {
namespace {

double nanoseconds_per(clock::duration elapsed, benchmark::IterationCount operations) {
    return operations == 0 ? 0.0 : double(std::chrono::nanoseconds(elapsed).count()) / double(operations);
}

// The physical floor: two pinned threads bounce one cache line. The initiator writes an
// odd value, the responder answers with the next even one; a round trip is two
// line transfers and nothing else. Neither side pauses while it spins.
void cacheline_floor(benchmark::State& state) {
    const auto cpus = cpu_pair();
    if (!cpus) {
        state.SkipWithError("needs two allowed cpus");
        return;
    }
    struct alignas(64) shared_line {
        std::atomic<std::uint64_t> value{0};
    };
    constexpr std::uint64_t stop_value = ~std::uint64_t{0};
    auto line = std::make_unique<shared_line>();
    std::atomic<bool> responder_ready{false};
    std::string responder_pin_error;

    std::thread responder([&] {
        responder_pin_error = pin_this_thread(cpus->second);
        responder_ready.store(true, std::memory_order_release);
        for (;;) {
            const std::uint64_t seen = line->value.load(std::memory_order_acquire);
            if (seen == stop_value) break;
            if (seen & 1) line->value.store(seen + 1, std::memory_order_release);
        }
    });
    while (!responder_ready.load(std::memory_order_acquire)) spin_pause();

    scoped_pin pin(cpus->first);
    if (!pin.error().empty() || !responder_pin_error.empty()) {
        line->value.store(stop_value);
        responder.join();
        state.SkipWithError(("pinning failed: " + pin.error() + responder_pin_error).c_str());
        return;
    }
    std::uint64_t value = 0;
    const clock::time_point start = clock::now();
    for (auto _ : state) {
        line->value.store(value + 1, std::memory_order_release);
        value += 2;
        while (line->value.load(std::memory_order_acquire) != value) {
        }
    }
    const clock::duration elapsed = clock::now() - start;
    line->value.store(stop_value, std::memory_order_release);
    responder.join();
    state.counters["ns_per_roundtrip"] = benchmark::Counter(nanoseconds_per(elapsed, state.iterations()));
}

// Diagnostic, between the two figures above: the same bounce through a pair of
// spsc_rings (the structure the cross-core mesh uses), one item per hop, no runtime.
// A hop costs the ring's tail line and its slot line (tail_index), or the slot line
// alone (slot_value, as the cross-core mesh uses); floor < this < submit_to. Values are
// carried as non-null pointers so both signals take the same items.
template <ring_signal Signal>
void spsc_ring_pair(benchmark::State& state) {
    const auto cpus = cpu_pair();
    if (!cpus) {
        state.SkipWithError("needs two allowed cpus");
        return;
    }
    using item = std::uintptr_t*;
    auto as_item = [](std::uint64_t v) { return reinterpret_cast<item>(std::uintptr_t(v) * 8 + 8); };
    auto as_value = [](item i) { return std::uint64_t(reinterpret_cast<std::uintptr_t>(i) / 8 - 1); };
    constexpr std::uint64_t stop_value = std::uint64_t{1} << 40;  // as an item: below 2^48
    spsc_ring<item, Signal> request(1024), reply(1024);
    std::atomic<bool> responder_ready{false};
    std::string responder_pin_error;

    std::thread responder([&] {
        responder_pin_error = pin_this_thread(cpus->second);
        responder_ready.store(true, std::memory_order_release);
        for (;;) {
            item received = nullptr;
            if (!request.try_pop(received)) continue;
            const std::uint64_t value = as_value(received);
            if (value == stop_value) break;
            while (!reply.try_push(as_item(value + 1))) {
            }
        }
    });
    while (!responder_ready.load(std::memory_order_acquire)) spin_pause();

    scoped_pin pin(cpus->first);
    const bool pinned = pin.error().empty() && responder_pin_error.empty();
    std::uint64_t value = 0;
    bool wrong = false;
    const clock::time_point start = clock::now();
    if (pinned) {
        for (auto _ : state) {
            while (!request.try_push(as_item(value))) {
            }
            item answer = nullptr;
            while (!reply.try_pop(answer)) {
            }
            wrong |= as_value(answer) != value + 1;
            value += 2;
        }
    }
    const clock::duration elapsed = clock::now() - start;
    while (!request.try_push(as_item(stop_value))) {
    }
    responder.join();
    if (!pinned) {
        state.SkipWithError(("pinning failed: " + pin.error() + responder_pin_error).c_str());
        return;
    }
    if (wrong) {
        state.SkipWithError("a reply did not match its request");
        return;
    }
    state.counters["ns_per_roundtrip"] = benchmark::Counter(nanoseconds_per(elapsed, state.iterations()));
}

// Runs `body` as the main task of a runtime on `cpus` (spin idle policy); a start-up
// failure, or a body that did not run, skips the benchmark with the reason.
template <typename Body>
void run_on_runtime(benchmark::State& state, std::vector<unsigned> cpus, Body& body) {
    runtime_config config;
    config.cpus = std::move(cpus);
    config.idle = idle_policy::spin;
    config.report_placement = false;
    runtime engine(std::move(config));
    bool ran = false;
    auto outcome = engine.run([&]() -> task<int> {
        co_await body();
        ran = true;
        co_return 0;
    });
    if (!outcome) {
        state.SkipWithError(("runtime failed: " + outcome.message()).c_str());
    } else if (!ran || *outcome != 0) {
        state.SkipWithError("the benchmark's main task did not finish");
    }
}

// Shard 0 awaits submit_to(1, fn) in a loop; the benchmark's state loop itself runs on
// shard 0, so every iteration is one complete round trip through the cross-core rings
// and both shards' loops.
void submit_to_roundtrip(benchmark::State& state) {
    const auto cpus = cpu_pair();
    if (!cpus) {
        state.SkipWithError("needs two allowed cpus");
        return;
    }
    double ns = 0;
    auto body = [&]() -> task<void> {
        const clock::time_point start = clock::now();
        for (auto _ : state) {
            const int answer = co_await submit_to(1, [] { return 1; });
            benchmark::DoNotOptimize(answer);
        }
        ns = nanoseconds_per(clock::now() - start, state.iterations());
    };
    run_on_runtime(state, {cpus->first, cpus->second}, body);
    state.counters["ns_per_roundtrip"] = benchmark::Counter(ns);
}

task<void> empty_task() { co_return; }

// Spawns empty tasks on a one-shard runtime, `batch` at a time, and yields after each
// batch: the ready queue is FIFO, so when the yield returns every task of the batch has
// run to completion and freed its frames (checked at the end). One op = one spawn plus
// its completion; the yields are inside the timed loop.
void spawn_complete(benchmark::State& state) {
    const auto cpu = first_cpu();
    if (!cpu) {
        state.SkipWithError("no allowed cpu");
        return;
    }
    constexpr unsigned batch = 256;  // the default task_budget: one loop turn's worth
    double ns = 0;
    bool leaked = false;
    auto body = [&]() -> task<void> {
        shard& self = this_shard();
        const std::uint64_t live_before = self.frames().live_frames();
        const std::uint64_t spawned_before = self.counters().tasks_spawned;
        unsigned pending = 0;
        const clock::time_point start = clock::now();
        for (auto _ : state) {
            spawn(empty_task());
            if (++pending == batch) {
                pending = 0;
                co_await yield();
            }
        }
        co_await yield();
        ns = nanoseconds_per(clock::now() - start, state.iterations());
        leaked = self.frames().live_frames() != live_before ||
                 self.counters().tasks_spawned - spawned_before != std::uint64_t(state.iterations());
    };
    run_on_runtime(state, {*cpu}, body);
    if (leaked) state.SkipWithError("spawned tasks were still alive after the final yield");
    state.counters["ns_per_op"] = benchmark::Counter(ns);
}

// Arms one timer 1 ms ahead and cancels it, on a wheel of the same type a shard owns,
// from a thread pinned to the first allowed cpu.
void arm_cancel(benchmark::State& state) {
    const auto cpu = first_cpu();
    if (!cpu) {
        state.SkipWithError("no allowed cpu");
        return;
    }
    scoped_pin pin(*cpu);
    if (!pin.error().empty()) {
        state.SkipWithError(("pinning failed: " + pin.error()).c_str());
        return;
    }
    timer_wheel wheel;
    timer_node node;
    node.on_expiry = [](timer_node&) {};
    const clock::time_point deadline = clock::now() + std::chrono::milliseconds(1);
    bool all_cancelled = true;
    const clock::time_point start = clock::now();
    for (auto _ : state) {
        wheel.arm(node, deadline);
        all_cancelled &= wheel.cancel(node);
    }
    const clock::duration elapsed = clock::now() - start;
    if (!all_cancelled || wheel.armed_count() != 0) {
        state.SkipWithError("a cancel did not find its timer armed");
        return;
    }
    state.counters["ns_per_op"] = benchmark::Counter(nanoseconds_per(elapsed, state.iterations()));
}

}  // namespace

void register_runtime_benchmarks() {
    benchmark::RegisterBenchmark("roundtrip/submit_to", submit_to_roundtrip);
    benchmark::RegisterBenchmark("roundtrip/cacheline_floor", cacheline_floor);
    benchmark::RegisterBenchmark("roundtrip/spsc_ring_pair", spsc_ring_pair<ring_signal::tail_index>);  // diagnostic
    benchmark::RegisterBenchmark("roundtrip/spsc_ring_pair_by_slot", spsc_ring_pair<ring_signal::slot_value>);  // diagnostic
    benchmark::RegisterBenchmark("task/spawn_complete", spawn_complete);
    benchmark::RegisterBenchmark("timer/arm_cancel", arm_cancel);
}

}  // namespace sluice::bench
