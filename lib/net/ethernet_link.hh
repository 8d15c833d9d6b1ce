// sluice::net::ethernet_link: the stack's Ethernet layer on the way out — frames a payload
// (padding runts to the 60-byte minimum) and queues it for the device, bounded — and the
// queue the device adapter drains (transmit). Sans-I/O: it never calls the device itself;
// the adapter hands transmit() its burst function. One shard's stack owns it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "sluice/core/fifo.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/send_status.hh"
#include "sluice/net/wire/ethernet_address.hh"

struct rte_mbuf;

namespace sluice::net {

struct link_counters {
    std::uint64_t frames_received = 0;
    std::uint64_t frames_sent = 0;          // taken by the device
    std::uint64_t transmit_queue_full = 0;  // frames dropped: the queue to the device was full
    std::uint64_t no_mbufs = 0;             // a header or padding found the pool empty
};

class ethernet_link {
public:
    ethernet_link(ethernet_address mac, std::size_t transmit_limit);
    ethernet_link(const ethernet_link&) = delete;
    ethernet_link& operator=(const ethernet_link&) = delete;
    ~ethernet_link();  // frees the frames still queued

    // Prepends the Ethernet header and queues the frame.
    send_status output(ethernet_address destination, std::uint16_t ethertype, packet&& payload);

    // Offers queued frames, oldest first, to `send(rte_mbuf** frames, std::uint16_t count)`,
    // which returns how many the device took; the rest stay queued. True if any went.
    template <typename Send>
    bool transmit(Send&& send);

    ethernet_address mac() const noexcept { return mac_; }
    std::size_t queued() const noexcept { return queue_.size(); }
    link_counters& counters() noexcept { return counters_; }
    const link_counters& counters() const noexcept { return counters_; }

private:
    static constexpr std::size_t max_burst = 512;

    ethernet_address mac_;
    std::size_t limit_;
    fifo<rte_mbuf*> queue_;  // frames handed over, oldest first; owned until sent
    link_counters counters_;
};

template <typename Send>
bool ethernet_link::transmit(Send&& send) {
    bool any = false;
    // The queue may wrap once: at most two contiguous runs.
    for (int run = 0; run < 2 && !queue_.empty(); ++run) {
        const auto frames = queue_.front_run();
        const auto count = std::uint16_t(std::min(frames.size(), max_burst));
        const std::uint16_t sent = send(frames.data(), count);
        queue_.drop_front(sent);
        counters_.frames_sent += sent;
        any = any || sent != 0;
        if (sent < count) break;
    }
    return any;
}

}  // namespace sluice::net
