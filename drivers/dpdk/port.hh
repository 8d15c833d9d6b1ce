// sluice::dpdk::port: one DPDK ethdev port (a PCI NIC bound to vfio-pci, or a vdev such as
// net_ring, net_tap, net_memif) opened with one rx/tx queue pair per shard, RSS with the
// symmetric Toeplitz key where the device has RSS, and the checksum offloads it offers.
// Open and close on the main thread; queue q's bursts only on the shard that owns q.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sluice/core/result.hh"
#include "sluice/net/device.hh"

struct rte_mempool;

namespace sluice::dpdk {

struct port_config {
    // Descriptors per queue; the driver may round them to what the device supports.
    std::uint16_t rx_descriptors = 1024;
    std::uint16_t tx_descriptors = 1024;
    bool promiscuous = true;
    // Turn the device's receive timestamps on where it offers them (offload_flags::rx_timestamp).
    bool rx_timestamps = true;
    // Turn TCP segmentation offload on where the device offers it (offload_flags.hh).
    bool tcp_segmentation = true;
};

class port final : public net::device {
public:
    // Opens the port EAL knows as `name` with one queue pair per entry of `pools`; queue
    // q receives into pools[q] and is set up on that pool's NUMA socket. Every failure
    // (no such port, too many queues, a refused configuration) is one line naming the fix.
    static result<std::unique_ptr<port>> open(const std::string& name, const port_config& config,
                                              std::span<rte_mempool* const> pools);

    // Names of the ports EAL found ("net_ring0", "0000:3b:00.0"), in port-id order.
    static std::vector<std::string> available();

    port(const port&) = delete;
    port& operator=(const port&) = delete;
    // Drains the rx queues and stops the port (EAL closes it at exit). Only after the
    // shards that polled it have stopped.
    ~port() override;
    // Stops and closes the port: the driver frees every mbuf its queues hold (net_tap keeps
    // a full rx ring of them), so the pools can go whole afterwards. The port cannot be
    // opened again in this process. Apps call it at exit, before destroying their pools.
    void close();

    std::uint16_t id() const noexcept { return id_; }
    // The most rx queues this device can have (software RSS covers more shards).
    unsigned max_queues() const noexcept { return max_queues_; }

    const std::string& name() const override { return name_; }
    unsigned queue_count() const override { return queues_; }
    net::offload_flags offloads() const override { return offloads_; }
    net::ethernet_address mac() const override;
    net::link_status link() const override;
    std::vector<net::queue_counters> counters() const override;
    std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const override;
    // rte_eth_dev_set_mc_addr_list with the groups' addresses; where the device refuses it
    // (-ENOTSUP, or a list longer than it holds), rte_eth_allmulticast_enable instead.
    net::multicast_filter filter_multicast(std::span<const net::ethernet_address> groups) override;
    // What the last filter_multicast used.
    net::multicast_filter multicast_mode() const noexcept { return multicast_mode_; }

    std::uint16_t rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) override;
    std::uint16_t tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) override;

private:
    void drain_and_stop();
    port(std::uint16_t id, std::string name, unsigned queues, unsigned max_queues, net::offload_flags offloads);

    std::uint16_t id_;
    std::string name_;
    unsigned queues_;
    unsigned max_queues_;
    bool started_ = false;
    net::multicast_filter multicast_mode_ = net::multicast_filter::not_needed;  // rte_eth_dev_start succeeded: drain and stop on destruction
    net::offload_flags offloads_;
};

}  // namespace sluice::dpdk
