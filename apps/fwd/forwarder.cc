#include "apps/fwd/forwarder.hh"

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstring>
#include <utility>

namespace sluice::fwd {

forwarder::forwarder(std::vector<net::device*> ports, unsigned queue, std::uint16_t burst)
    : ports_(std::move(ports)), queue_(queue), burst_(burst), counters_(ports_.size()) {}

bool forwarder::poll() {
    constexpr std::uint16_t max_burst = 256;
    rte_mbuf* frames[max_burst];
    bool worked = false;
    for (std::size_t in = 0; in < ports_.size(); ++in) {
        const std::size_t out = in ^ 1;  // the pair: 0<->1, 2<->3
        const std::uint16_t received = ports_[in]->rx_burst(queue_, frames, burst_);
        if (received == 0) continue;
        worked = true;
        for (std::uint16_t i = 0; i < received; ++i) {
            // A runt shorter than an Ethernet header goes out untouched: only swap what is there.
            if (rte_pktmbuf_data_len(frames[i]) < sizeof(rte_ether_hdr)) continue;
            auto* header = rte_pktmbuf_mtod(frames[i], rte_ether_hdr*);
            std::swap(header->src_addr, header->dst_addr);
        }
        const std::uint16_t sent = ports_[out]->tx_burst(queue_, frames, received);
        for (std::uint16_t i = sent; i < received; ++i) rte_pktmbuf_free(frames[i]);
        counters_[in].received += received;
        counters_[in].sent += sent;
        counters_[in].dropped += std::uint64_t(received - sent);
    }
    return worked;
}

std::string forwarder::report(unsigned shard_id) const {
    std::string text;
    for (std::size_t in = 0; in < ports_.size(); ++in) {
        const auto& c = counters_[in];
        text += "sluice-fwd: shard " + std::to_string(shard_id) + " " + ports_[in]->name() + " -> " +
                ports_[in ^ 1]->name() + ": received " + std::to_string(c.received) + ", sent " +
                std::to_string(c.sent) + ", dropped " + std::to_string(c.dropped) + "\n";
    }
    return text;
}

result<void> send_first_bursts(net::device& device, unsigned queue, rte_mempool* pool, unsigned bursts,
                               std::uint16_t burst) {
    constexpr std::uint16_t frame_length = 64;
    rte_mbuf* frames[256];
    const net::ethernet_address source = device.mac();
    for (unsigned b = 0; b < bursts; ++b) {
        if (rte_pktmbuf_alloc_bulk(pool, frames, burst) != 0) {
            return error{"no mbufs left for --tx-first on " + device.name() + "; lower --tx-first or raise --mbufs"};
        }
        for (std::uint16_t i = 0; i < burst; ++i) {
            auto* header = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(frames[i], frame_length));
            std::memset(header, 0, frame_length);
            std::memcpy(header->src_addr.addr_bytes, source.bytes.data(), 6);
            header->dst_addr.addr_bytes[0] = 0x02;  // locally administered, unicast
            header->ether_type = rte_cpu_to_be_16(0x88b5);
        }
        const std::uint16_t sent = device.tx_burst(queue, frames, burst);
        for (std::uint16_t i = sent; i < burst; ++i) rte_pktmbuf_free(frames[i]);
    }
    return {};
}

}  // namespace sluice::fwd
