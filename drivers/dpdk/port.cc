// Port set-up: read what the device can do, ask for one queue pair per shard, turn on RSS
// (symmetric key, then our redirection table) and the checksum offloads it has, and start
// it. Each refusal from DPDK becomes one line saying which step failed and what to change.
#include "sluice/dpdk/port.hh"

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "sluice/dpdk/reta.hh"
#include "sluice/dpdk/setup_hint.hh"
#include "sluice/net/device_timestamp.hh"
#include "sluice/net/rss.hh"

namespace sluice::dpdk {
namespace {

std::string failure(const std::string& port_name, const char* step, int code, const std::string& fix) {
    return "port " + port_name + ": " + step + " failed (" + rte_strerror(code < 0 ? -code : code) + "); " + fix;
}

std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
    return text.empty() ? "none" : text;
}

}  // namespace

std::vector<std::string> port::available() {
    std::vector<std::string> names;
    std::uint16_t id;
    RTE_ETH_FOREACH_DEV(id) {
        char name[RTE_ETH_NAME_MAX_LEN];
        if (rte_eth_dev_get_name_by_port(id, name) == 0) names.emplace_back(name);
    }
    return names;
}

result<std::unique_ptr<port>> port::open(const std::string& name, const port_config& config,
                                         std::span<rte_mempool* const> pools) {
    std::uint16_t id = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
        return error{"no DPDK port named " + name + " (ports found: " + joined(available()) +
                     "); add a vdev after -- (e.g. --vdev=net_ring0) or bind the NIC to vfio-pci"};
    }
    const unsigned queues = unsigned(pools.size());
    if (queues == 0) {
        return error{"port " + name + ": no queues requested; give one mempool per shard"};
    }
    rte_eth_dev_info info{};
    if (int rc = rte_eth_dev_info_get(id, &info); rc != 0) {
        return error{failure(name, "reading device info", rc, "check that the device is bound and EAL sees it")};
    }
    const unsigned max_queues = std::min(info.max_rx_queues, info.max_tx_queues);
    if (queues > max_queues) {
        return error{"port " + name + " allows at most " + std::to_string(max_queues) + " queue pairs, " +
                     std::to_string(queues) + " requested; open it with " + std::to_string(max_queues) +
                     " or fewer (one shard polls it and steers by software RSS)"};
    }

    rte_eth_conf conf{};
    net::offload_flags offloads;
    // RSS only pays with several queues, and only if the device hashes at all.
    const std::uint64_t wanted_hash = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
    std::vector<std::uint8_t> key;
    if (queues > 1 && (info.flow_type_rss_offloads & wanted_hash) != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & wanted_hash;
        if (info.hash_key_size >= net::toeplitz_key::min_size && info.hash_key_size <= net::toeplitz_key::max_size) {
            // The symmetric key (lib/net/rss.hh): both directions of a flow meet on one
            // queue, and software RSS computes the same hash (docs/architecture.md, rule 3).
            const auto symmetric = net::symmetric_toeplitz_key(info.hash_key_size).bytes();
            key.resize(symmetric.size());
            std::memcpy(key.data(), symmetric.data(), key.size());
            conf.rx_adv_conf.rss_conf.rss_key = key.data();
            conf.rx_adv_conf.rss_conf.rss_key_len = std::uint8_t(key.size());
            // Software RSS may take the device's hash only if it hashes every kind of
            // IPv4 frame the way frame_rss_hash does.
            constexpr std::uint64_t software_kinds = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 |
                                                     RTE_ETH_RSS_NONFRAG_IPV4_OTHER | RTE_ETH_RSS_NONFRAG_IPV4_TCP |
                                                     RTE_ETH_RSS_NONFRAG_IPV4_UDP;
            offloads.rss_hash_in_mbuf = (conf.rx_adv_conf.rss_conf.rss_hf & software_kinds) == software_kinds;
        }
        offloads.rss = true;
    }
    auto want_rx = [&](std::uint64_t flag, bool& enabled) {
        if (info.rx_offload_capa & flag) {
            conf.rxmode.offloads |= flag;
            enabled = true;
        }
    };
    auto want_tx = [&](std::uint64_t flag, bool& enabled) {
        if (info.tx_offload_capa & flag) {
            conf.txmode.offloads |= flag;
            enabled = true;
        }
    };
    want_rx(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM, offloads.rx_ipv4_checksum);
    want_rx(RTE_ETH_RX_OFFLOAD_TCP_CKSUM, offloads.rx_tcp_checksum);
    want_rx(RTE_ETH_RX_OFFLOAD_UDP_CKSUM, offloads.rx_udp_checksum);
    // Receive timestamps where the device stamps frames (most vdevs do not: the stack
    // then uses the loop's clock reading at the rx burst).
    if (config.rx_timestamps) want_rx(RTE_ETH_RX_OFFLOAD_TIMESTAMP, offloads.rx_timestamp);
    if (offloads.rx_timestamp) {
        int offset = -1;
        std::uint64_t flag = 0;
        if (rte_mbuf_dyn_rx_timestamp_register(&offset, &flag) == 0) {
            net::set_device_timestamp_field({offset, flag});
        } else {
            conf.rxmode.offloads &= ~std::uint64_t(RTE_ETH_RX_OFFLOAD_TIMESTAMP);
            offloads.rx_timestamp = false;
        }
    }
    want_tx(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM, offloads.tx_ipv4_checksum);
    want_tx(RTE_ETH_TX_OFFLOAD_TCP_CKSUM, offloads.tx_tcp_checksum);
    want_tx(RTE_ETH_TX_OFFLOAD_UDP_CKSUM, offloads.tx_udp_checksum);
    // TCP sends the send buffer's mbufs chained behind a header mbuf: ask for chains
    // wherever the device needs asking (most take them anyway).
    bool multi_segment = false;
    want_tx(RTE_ETH_TX_OFFLOAD_MULTI_SEGS, multi_segment);
    // TSO only with both checksums, which each frame it makes needs (offload_flags.hh),
    // and with chains, which a 64 KiB segment from the send buffer always is.
    if (offloads.tx_ipv4_checksum && offloads.tx_tcp_checksum && multi_segment && config.tcp_segmentation) {
        want_tx(RTE_ETH_TX_OFFLOAD_TCP_TSO, offloads.tx_tcp_segmentation);
        offloads.tx_max_chain = info.tx_desc_lim.nb_seg_max;
        // net_tap compares a TSO frame, Ethernet header included, with the MTU itself
        // (offload_flags.hh); everywhere else the frame may be the MTU plus its header.
        std::uint16_t mtu = 0;
        if (info.driver_name != nullptr && std::string_view(info.driver_name) == "net_tap" &&
            rte_eth_dev_get_mtu(id, &mtu) == 0) {
            offloads.tx_tso_max_frame = mtu;
        }
    }

    if (int rc = rte_eth_dev_configure(id, std::uint16_t(queues), std::uint16_t(queues), &conf); rc != 0) {
        return error{failure(name, "configure", rc, "try fewer queues or check the driver's limits")};
    }
    std::unique_ptr<port> opened(new port(id, name, queues, max_queues, offloads));  // stops on any later failure

    std::uint16_t rx_descriptors = config.rx_descriptors, tx_descriptors = config.tx_descriptors;
    if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rx_descriptors, &tx_descriptors); rc != 0) {
        return error{failure(name, "sizing descriptor rings", rc, "choose other descriptor counts")};
    }
    for (unsigned q = 0; q < queues; ++q) {
        rte_mempool* pool = pools[q];
        if (!pool) return error{"port " + name + ": no mempool for queue " + std::to_string(q)};
        rte_eth_rxconf rxconf = info.default_rxconf;
        rxconf.offloads = conf.rxmode.offloads;
        if (int rc = rte_eth_rx_queue_setup(id, std::uint16_t(q), rx_descriptors, unsigned(pool->socket_id), &rxconf, pool);
            rc != 0) {
            const rte_devargs* devargs = info.device ? rte_dev_devargs(info.device) : nullptr;
            const char* args = devargs && devargs->args ? devargs->args : "";
            return error{failure(name, ("rx queue " + std::to_string(q) + " set-up").c_str(), rc,
                                 rx_queue_setup_hint(info.driver_name ? info.driver_name : "", args, rc))};
        }
        rte_eth_txconf txconf = info.default_txconf;
        txconf.offloads = conf.txmode.offloads;
        if (int rc = rte_eth_tx_queue_setup(id, std::uint16_t(q), tx_descriptors, unsigned(pool->socket_id), &txconf);
            rc != 0) {
            return error{failure(name, ("tx queue " + std::to_string(q) + " set-up").c_str(), rc, "use fewer descriptors")};
        }
    }
    if (int rc = rte_eth_dev_start(id); rc != 0) {
        return error{failure(name, "start", rc, "check the link and the device's configuration")};
    }
    opened->started_ = true;
    if (offloads.rss) {
        // After the start: drivers write their default table when they start.
        if (auto programmed = program_reta(id, queues, info.reta_size)) {
            opened->offloads_.rss_table_size = std::uint32_t(programmed->size());
        }
    }
    if (config.promiscuous) {
        (void)rte_eth_promiscuous_enable(id);  // some vdevs have no such mode: harmless
    }
    return opened;
}

port::port(std::uint16_t id, std::string name, unsigned queues, unsigned max_queues, net::offload_flags offloads)
    : id_(id), name_(std::move(name)), queues_(queues), max_queues_(max_queues), offloads_(offloads) {}

// Drained, then stopped, not closed. Draining gives back frames a loopback vdev (net_ring)
// still holds in its rings, so the pools can be freed whole; only the shards are gone by
// now, so this thread may poll every queue. Not closed: closing a vdev removes it from
// EAL, and an app (or a test) may open the same port again; rte_eal_cleanup closes it.
port::~port() {
    if (started_) drain_and_stop();
}

net::multicast_filter port::filter_multicast(std::span<const net::ethernet_address> groups) {
    std::vector<rte_ether_addr> addresses(groups.size());
    for (std::size_t i = 0; i < groups.size(); ++i) {
        std::copy(groups[i].bytes.begin(), groups[i].bytes.end(), addresses[i].addr_bytes);
    }
    const int rc = rte_eth_dev_set_mc_addr_list(id_, addresses.empty() ? nullptr : addresses.data(),
                                                std::uint32_t(addresses.size()));
    if (rc == 0) {
        // An exact list now: all-multicast, if we turned it on before, can go.
        if (multicast_mode_ == net::multicast_filter::all_multicast) (void)rte_eth_allmulticast_disable(id_);
        multicast_mode_ = net::multicast_filter::exact;
    } else if (groups.empty()) {
        // Nothing to take; all-multicast, if on, stays on (harmless, and a later join needs it).
    } else if (rte_eth_allmulticast_enable(id_) == 0 || rte_eth_allmulticast_get(id_) == 1) {
        // -ENOTSUP: no filter; -EINVAL/-ENOSPC: more groups than it holds.
        multicast_mode_ = net::multicast_filter::all_multicast;
    } else {
        multicast_mode_ = net::multicast_filter::unavailable;
    }
    return multicast_mode_;
}

void port::drain_and_stop() {
    rte_mbuf* frames[64];
    for (unsigned q = 0; q < queues_; ++q) {
        for (int round = 0; round < 1024; ++round) {  // bounded: a live link may keep sending
            const std::uint16_t n = rte_eth_rx_burst(id_, std::uint16_t(q), frames, 64);
            if (n == 0) break;
            rte_pktmbuf_free_bulk(frames, n);
        }
    }
    // A transmit burst of no frames per queue: a driver that reaps its completions only
    // when asked to send (net_af_xdp pulls its completion ring then) hands back the mbufs
    // of the frames sent since the last burst, the last reply among them.
    for (unsigned q = 0; q < queues_; ++q) (void)rte_eth_tx_burst(id_, std::uint16_t(q), frames, 0);
    (void)rte_eth_dev_stop(id_);
    started_ = false;
}

void port::close() {
    if (!started_) return;
    drain_and_stop();
    (void)rte_eth_dev_close(id_);
}

net::ethernet_address port::mac() const {
    rte_ether_addr address{};
    net::ethernet_address out;
    if (rte_eth_macaddr_get(id_, &address) == 0) std::memcpy(out.bytes.data(), address.addr_bytes, 6);
    return out;
}

net::link_status port::link() const {
    rte_eth_link state{};
    net::link_status out;
    if (rte_eth_link_get_nowait(id_, &state) == 0) {
        out.up = state.link_status == RTE_ETH_LINK_UP;
        out.speed_mbps = state.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : state.link_speed;
        out.full_duplex = state.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
    }
    return out;
}

std::vector<net::queue_counters> port::counters() const {
    rte_eth_stats stats{};
    std::vector<net::queue_counters> out(queues_);
    if (rte_eth_stats_get(id_, &stats) != 0) return out;
    // DPDK keeps per-queue figures for the first RTE_ETHDEV_QUEUE_STAT_CNTRS queues only.
    for (unsigned q = 0; q < queues_ && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; ++q) {
        out[q] = {stats.q_ipackets[q], stats.q_ibytes[q], stats.q_opackets[q], stats.q_obytes[q]};
    }
    return out;
}

std::vector<std::pair<std::string, std::uint64_t>> port::extended_stats() const {
    const int count = rte_eth_xstats_get(id_, nullptr, 0);
    if (count <= 0) return {};
    std::vector<rte_eth_xstat> values(static_cast<std::size_t>(count));
    std::vector<rte_eth_xstat_name> names(static_cast<std::size_t>(count));
    const int got_values = rte_eth_xstats_get(id_, values.data(), unsigned(count));
    const int got_names = rte_eth_xstats_get_names(id_, names.data(), unsigned(count));
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (int i = 0; i < std::min(got_values, got_names); ++i) {
        out.emplace_back(names[std::size_t(values[std::size_t(i)].id)].name, values[std::size_t(i)].value);
    }
    return out;
}

std::uint16_t port::rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) {
    return rte_eth_rx_burst(id_, std::uint16_t(queue), frames, max);
}

std::uint16_t port::tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) {
    return rte_eth_tx_burst(id_, std::uint16_t(queue), frames, count);
}

}  // namespace sluice::dpdk
