// ring_spsc/<impl>/burst:<n>: cross-core ring throughput. The benchmark's thread,
// pinned to the first allowed CPU, produces; a thread pinned to the second consumes.
// Every implementation moves the same item type (void*, a sequence number the consumer
// checks) through a ring of the same capacity, in bursts of the same size, with the
// same loop around it, so the ratios between them are the figure (docs/benchmarks.md, "Method").
#include <benchmark/benchmark.h>
#include <rte_ring.h>

#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "perf/bench_support.hh"
#include "sluice/core/clock.hh"
#include "sluice/core/spsc_ring.hh"

namespace sluice::bench {
namespace {

using item = void*;
constexpr std::size_t ring_capacity = 4096;
// Items moved per benchmark iteration: far more than the ring holds, so an iteration
// measures the steady state; a multiple of every burst size.
constexpr std::uint64_t items_per_iteration = std::uint64_t{1} << 20;

class sluice_ring {
public:
    sluice_ring() : ring_(ring_capacity) {}
    std::size_t push(item* items, std::size_t n) noexcept { return ring_.push_burst({items, n}); }
    std::size_t pop(item* items, std::size_t n) noexcept { return ring_.pop_burst({items, n}); }

private:
    spsc_ring<item> ring_;
};

// rte_ring on memory we allocate: rte_ring_init needs no EAL (no memzone, no hugepages).
// The sync-mode-specific calls are what the flags select in rte_ring_enqueue_burst,
// minus its switch: the strongest rte_ring anchor.
template <bool single>
class dpdk_ring {
public:
    dpdk_ring() {
        const ssize_t bytes = rte_ring_get_memsize(ring_capacity);
        if (bytes < 0) std::abort();
        const std::size_t rounded = (std::size_t(bytes) + 63) / 64 * 64;
        ring_ = static_cast<rte_ring*>(std::aligned_alloc(64, rounded));
        if (!ring_ || rte_ring_init(ring_, single ? "bench_sp_sc" : "bench_mp_mc", ring_capacity,
                                    single ? RING_F_SP_ENQ | RING_F_SC_DEQ : 0) != 0) {
            std::abort();
        }
    }
    dpdk_ring(const dpdk_ring&) = delete;
    dpdk_ring& operator=(const dpdk_ring&) = delete;
    ~dpdk_ring() { std::free(ring_); }

    std::size_t push(item* items, std::size_t n) noexcept {
        if constexpr (single) return rte_ring_sp_enqueue_burst(ring_, items, unsigned(n), nullptr);
        else return rte_ring_mp_enqueue_burst(ring_, items, unsigned(n), nullptr);
    }
    std::size_t pop(item* items, std::size_t n) noexcept {
        if constexpr (single) return rte_ring_sc_dequeue_burst(ring_, items, unsigned(n), nullptr);
        else return rte_ring_mc_dequeue_burst(ring_, items, unsigned(n), nullptr);
    }

private:
    rte_ring* ring_ = nullptr;
};

class boost_ring {
public:
    std::size_t push(item* items, std::size_t n) noexcept { return queue_.push(items, n); }
    std::size_t pop(item* items, std::size_t n) noexcept { return queue_.pop(items, n); }

private:
    boost::lockfree::spsc_queue<item, boost::lockfree::capacity<ring_capacity>> queue_;
};

item as_item(std::uint64_t sequence) noexcept { return reinterpret_cast<item>(static_cast<std::uintptr_t>(sequence)); }

template <typename Ring>
void ring_throughput(benchmark::State& state, std::size_t burst) {
    const auto cpus = cpu_pair();
    if (!cpus) {
        state.SkipWithError("needs two allowed cpus");
        return;
    }
    auto ring = std::make_unique<Ring>();
    std::atomic<std::uint64_t> delivered{0};  // iterations the consumer has received in full
    std::atomic<bool> consumer_ready{false};
    std::atomic<bool> stop{false};
    std::atomic<bool> out_of_order{false};
    std::string consumer_pin_error;

    std::thread consumer([&] {
        consumer_pin_error = pin_this_thread(cpus->second);
        consumer_ready.store(true, std::memory_order_release);
        std::vector<item> buffer(burst);
        std::uint64_t expected = 0;
        std::uint64_t in_iteration = 0;
        std::uint64_t iterations = 0;
        bool bad = false;
        for (;;) {
            const std::size_t n = ring->pop(buffer.data(), burst);
            if (n == 0) {
                if (stop.load(std::memory_order_relaxed)) break;
                continue;
            }
            for (std::size_t i = 0; i < n; ++i) bad |= buffer[i] != as_item(expected + i);
            expected += n;
            in_iteration += n;
            if (in_iteration == items_per_iteration) {
                in_iteration = 0;
                delivered.store(++iterations, std::memory_order_release);
            }
        }
        out_of_order.store(bad, std::memory_order_relaxed);
    });
    while (!consumer_ready.load(std::memory_order_acquire)) spin_pause();

    scoped_pin pin(cpus->first);
    if (!pin.error().empty() || !consumer_pin_error.empty()) {
        stop.store(true);
        consumer.join();
        state.SkipWithError(("pinning failed: " + pin.error() + consumer_pin_error).c_str());
        return;
    }

    std::vector<item> buffer(burst);
    std::uint64_t next = 0;
    std::uint64_t iterations = 0;
    const clock::time_point start = clock::now();
    for (auto _ : state) {
        for (std::uint64_t sent = 0; sent < items_per_iteration; sent += burst) {
            for (std::size_t i = 0; i < burst; ++i) buffer[i] = as_item(next + i);
            std::size_t pushed = 0;
            while (pushed < burst) pushed += ring->push(buffer.data() + pushed, burst - pushed);
            next += burst;
        }
        // The iteration ends when the consumer has every item, not when the last is queued.
        ++iterations;
        while (delivered.load(std::memory_order_acquire) != iterations) spin_pause();
    }
    const clock::duration elapsed = clock::now() - start;
    stop.store(true, std::memory_order_relaxed);
    consumer.join();

    if (out_of_order.load()) {
        state.SkipWithError("the consumer saw items out of order");
        return;
    }
    const double seconds = std::chrono::duration<double>(elapsed).count();
    // Wall-clock rate, set as a plain value: UseRealTime() would rename the benchmark.
    state.counters["items_per_second"] = benchmark::Counter(double(iterations * items_per_iteration) / seconds);
}

template <typename Ring>
void register_impl(const char* impl, std::size_t burst) {
    const std::string name = std::string("ring_spsc/") + impl + "/burst:" + std::to_string(burst);
    benchmark::RegisterBenchmark(name.c_str(), ring_throughput<Ring>, burst)->Unit(benchmark::kMillisecond);
}

}  // namespace

// Burst-major, so the figures compared with each other are taken close together in time.
void register_ring_benchmarks() {
    for (std::size_t burst : {1, 8, 32}) {
        register_impl<sluice_ring>("sluice", burst);
        register_impl<dpdk_ring<true>>("rte_ring_sp_sc", burst);
        register_impl<dpdk_ring<false>>("rte_ring_mp_mc", burst);
        register_impl<boost_ring>("boost_spsc", burst);
    }
}

}  // namespace sluice::bench
