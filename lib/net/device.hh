// sluice::net::device: what the stack needs from one NIC port (DESIGN, "Layers"): per-queue
// bursts of received and sent mbufs, the queue count, offloads, MAC and link. drivers/dpdk
// implements it for real ports and vdevs, drivers/sim for the simulated wire. The control
// calls run on any one thread; rx_burst/tx_burst for queue q only on the shard owning q.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

struct rte_mbuf;

namespace sluice::net {

struct ethernet_address {
    std::array<std::uint8_t, 6> bytes{};
    friend bool operator==(const ethernet_address&, const ethernet_address&) = default;
    std::string to_string() const {  // "02:00:00:00:00:01"
        char text[18];
        std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3],
                      bytes[4], bytes[5]);
        return text;
    }
};

// Offloads the device has and Sluice turned on; the stack tests these instead of
// knowing the driver. TSO and LRO arrive with TCP.
struct offload_flags {
    bool rx_ipv4_checksum = false;
    bool rx_tcp_checksum = false;
    bool rx_udp_checksum = false;
    bool tx_ipv4_checksum = false;
    bool tx_tcp_checksum = false;
    bool tx_udp_checksum = false;
    bool rss = false;  // the device spreads flows over its queues by a Toeplitz hash
    // Each received mbuf carries (RTE_MBUF_F_RX_RSS_HASH) the hash frame_rss_hash would
    // compute: the symmetric key over IPv4, IPv4 fragments and the TCP/UDP 4-tuple.
    bool rss_hash_in_mbuf = false;
    // Entries of the redirection table the driver wrote into the device (entry i = queue
    // i % queue_count, as net::redirection_table::create(queue_count, size) builds it):
    // queue = shard_for_hash(that table, hash). 0: the device keeps a table of its own.
    std::uint32_t rss_table_size = 0;
};

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
