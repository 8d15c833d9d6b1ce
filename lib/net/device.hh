// sluice::net::device: what the stack needs from one NIC port (DESIGN, "Layers"): per-queue
// bursts of received and sent mbufs, the queue count, offloads, MAC and link. drivers/dpdk
// implements it for real ports and vdevs, drivers/sim for the simulated wire. The control
// calls run on any one thread; rx_burst/tx_burst for queue q only on the shard owning q.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lib/net/offload_flags.hh"
#include "lib/net/wire/ethernet_address.hh"

struct rte_mbuf;

namespace sluice::net {

struct link_status {
    bool up = false;
    std::uint32_t speed_mbps = 0;  // 0 when unknown
    bool full_duplex = false;
};

struct queue_counters {
    std::uint64_t rx_packets = 0;
    std::uint64_t rx_bytes = 0;
    std::uint64_t tx_packets = 0;
    std::uint64_t tx_bytes = 0;
};

class device {
public:
    virtual ~device() = default;

    // --- control path ---------------------------------------------------------------
    virtual const std::string& name() const = 0;
    virtual unsigned queue_count() const = 0;
    virtual offload_flags offloads() const = 0;
    virtual ethernet_address mac() const = 0;
    virtual link_status link() const = 0;
    virtual std::vector<queue_counters> counters() const = 0;
    // The driver's extended statistics, by name (e.g. "rx_missed_errors").
    virtual std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const = 0;

    // --- data path: one burst per call, only from the shard that owns `queue` -----------
    // Fills up to `max` received frames; the caller owns them.
    [[nodiscard]] virtual std::uint16_t rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) = 0;
    // Takes ownership of the first N frames it returns; the rest stay the caller's.
    [[nodiscard]] virtual std::uint16_t tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) = 0;
};

}  // namespace sluice::net
