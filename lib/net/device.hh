// sluice::net::device: what the stack needs from one NIC port (docs/architecture.md, "The
// network device and its drivers"): per-queue bursts of received and sent mbufs, the queue
// count, offloads, MAC and link. drivers/dpdk
// implements it for real ports and vdevs, drivers/sim for the simulated wire. The control
// calls run on any one thread; rx_burst/tx_burst for queue q only on the shard owning q.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/net/offload_flags.hh"
#include "sluice/net/wire/ethernet_address.hh"

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

// How a port takes the frames of the multicast groups joined on it.
enum class multicast_filter : std::uint8_t {
    not_needed,     // the device delivers every frame anyway (the sim wire)
    exact,          // its filter lists exactly the joined groups' addresses
    all_multicast,  // it has no filter (or a full one): every multicast frame comes in
    unavailable,    // it refused both; only a promiscuous port still sees the groups
};

constexpr std::string_view describe(multicast_filter filter) noexcept {
    switch (filter) {
        case multicast_filter::not_needed: return "not needed";
        case multicast_filter::exact: return "exact address list";
        case multicast_filter::all_multicast: return "all-multicast";
        case multicast_filter::unavailable: return "unavailable (promiscuous only)";
    }
    return "unknown";
}

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
    // Sets the multicast addresses the port takes (all of them, replacing the last list;
    // empty: none) and says how it managed. A device with no filter of its own need not
    // override this.
    virtual multicast_filter filter_multicast(std::span<const ethernet_address> groups) {
        (void)groups;
        return multicast_filter::not_needed;
    }

    // --- data path: one burst per call, only from the shard that owns `queue` -----------
    // Fills up to `max` received frames; the caller owns them.
    [[nodiscard]] virtual std::uint16_t rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) = 0;
    // Takes ownership of the first N frames it returns; the rest stay the caller's.
    [[nodiscard]] virtual std::uint16_t tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) = 0;
};

}  // namespace sluice::net
