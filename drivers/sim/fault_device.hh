// sluice::sim::fault_device: the sim wire's faults around a real device, in Sluice's own
// receive and transmit path (docs/architecture.md, "The test rig"): these kernels have no
// netem, so reordering, duplication, corruption, delay and jitter against the kernel come
// from here, and loss too. Each direction has its link_profile (mtu and rate_bps are the
// wire's alone and ignored here) and each queue of each direction its own seeded random
// source, drawn by plan_faults in the wire's order, so a run repeats given its seed and
// its frames. Faulted frames wait in the decorator, bounded, and leave when their time
// comes; transmit's waiting frames leave from tx_burst and from rx_burst of the same
// queue, which the owning shard polls every turn. The decorator does not own the device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sluice/net/device.hh"
#include "sluice/sim/link_profile.hh"
#include "sluice/sim/random.hh"

struct rte_mbuf;

namespace sluice::sim {

struct fault_device_counters {
    std::uint64_t passed = 0;      // frames handed on (up the stack, or to the inner device)
    std::uint64_t lost = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t corrupted = 0;
    std::uint64_t reordered = 0;
    std::uint64_t delayed = 0;     // copies that waited for a delay or jitter
    std::uint64_t over_limit = 0;  // receive: dropped, the wait queue was full (transmit pushes back)
    std::uint64_t no_mbufs = 0;    // a duplicate or corrupt copy found the pool empty
};

struct fault_device_config {
    link_profile receive;   // frames from the inner device up to the stack
    link_profile transmit;  // frames from the stack down to the inner device
    std::uint64_t seed = 1;
    std::size_t max_waiting_per_queue = 4096;  // per direction
    // The time faults are measured in: the shard's clock by default; tests pass their own.
    std::function<nanoseconds()> now;
};

class fault_device final : public net::device {
public:
    fault_device(net::device& inner, fault_device_config config);
    fault_device(const fault_device&) = delete;
    fault_device& operator=(const fault_device&) = delete;
    ~fault_device() override;  // frees every frame still waiting

    const std::string& name() const override { return name_; }
    unsigned queue_count() const override { return inner_.queue_count(); }
    net::offload_flags offloads() const override { return inner_.offloads(); }
    net::ethernet_address mac() const override { return inner_.mac(); }
    net::link_status link() const override { return inner_.link(); }
    std::vector<net::queue_counters> counters() const override { return inner_.counters(); }
    // The inner device's, then fault_rx_* and fault_tx_* over all queues.
    std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const override;

    std::uint16_t rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) override;
    // Takes frames while the queue's wait list has room (the rest stay the caller's).
    std::uint16_t tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) override;

    const fault_device_counters& receive_counters(unsigned queue) const { return receive_.at(queue).counters; }
    const fault_device_counters& transmit_counters(unsigned queue) const { return transmit_.at(queue).counters; }
    // Frames waiting in the decorator (both directions, all queues).
    std::size_t waiting() const noexcept;

private:
    struct due_frame {
        nanoseconds at;
        std::uint64_t order;
        rte_mbuf* frame;
    };
    struct held_frame {
        nanoseconds at;        // when it would have gone
        nanoseconds deadline;  // released by then even if fewer overtook it
        int remaining;         // later copies still to overtake it
        rte_mbuf* frame;
    };
    struct direction {
        random_source random;
        std::vector<due_frame> due;  // by (at, order)
        std::vector<held_frame> held;
        std::uint64_t next_order = 0;
        fault_device_counters counters;
        explicit direction(std::uint64_t seed) : random(seed) {}
        std::size_t size() const noexcept { return due.size() + held.size(); }
    };

    void apply(direction& state, const link_profile& profile, rte_mbuf* frame, nanoseconds now);
    void schedule(direction& state, nanoseconds at, rte_mbuf* frame);
    void release_expired(direction& state, nanoseconds now);
    std::uint16_t flush_transmit(unsigned queue, nanoseconds now);

    net::device& inner_;
    fault_device_config config_;
    std::string name_;
    std::vector<direction> receive_;
    std::vector<direction> transmit_;
};

}  // namespace sluice::sim
