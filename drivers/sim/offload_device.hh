// sluice::sim::offload_device: a NIC's transmit offloads, done in software around any
// device, so the sim suite tests the stack's side of them (docs/architecture.md, "The test
// rig"): IPv4 header checksums, TCP and UDP checksums and TCP segmentation (TSO), each by
// DPDK's mbuf contract as a NIC reads it. The L4 field must hold the pseudo-header sum (of
// length zero under TSO: the device adds each frame's length) and is summed as found, not
// zeroed, so a wrong seed leaves a wrong checksum that the receiver drops. A TSO frame
// becomes frames of tso_segsz data bytes, headers copied: IPv4 length and identification,
// TCP sequence number advanced, PSH and FIN on the last frame only, CWR on the first only.
// The decorator does not own the inner device; frames it made wait for it, bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sluice/net/device.hh"

struct rte_mbuf;

namespace sluice::sim {

struct offload_device_config {
    bool ipv4_checksum = true;
    bool tcp_checksum = true;
    bool udp_checksum = true;
    bool tcp_segmentation = true;  // only with both checksums above, as a NIC offers it
    std::uint16_t max_chain = 0;   // offload_flags::tx_max_chain: 0, none stated
    std::size_t max_waiting_per_queue = 1024;  // frames made and not yet taken by the inner device
};

struct offload_device_counters {
    std::uint64_t frames = 0;           // frames the stack handed in
    std::uint64_t segmented = 0;        // of those, TSO frames cut
    std::uint64_t segments_made = 0;    // the frames they became
    std::uint64_t checksums_filled = 0;  // IPv4, TCP and UDP fields written
    std::uint64_t malformed = 0;        // offload requests a NIC could not follow: dropped
    std::uint64_t over_chain = 0;       // TSO frames with more mbufs than max_chain: dropped
    std::uint64_t no_mbufs = 0;         // a frame to make found the pool empty: dropped
};

class offload_device final : public net::device {
public:
    offload_device(net::device& inner, offload_device_config config = {});
    offload_device(const offload_device&) = delete;
    offload_device& operator=(const offload_device&) = delete;
    ~offload_device() override;  // frees every frame still waiting

    const std::string& name() const override { return name_; }
    unsigned queue_count() const override { return inner_.queue_count(); }
    net::offload_flags offloads() const override;
    net::ethernet_address mac() const override { return inner_.mac(); }
    net::link_status link() const override { return inner_.link(); }
    std::vector<net::queue_counters> counters() const override { return inner_.counters(); }
    // The inner device's, then offload_* summed over queues.
    std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const override;

    std::uint16_t rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) override {
        return inner_.rx_burst(queue, frames, max);
    }
    // Takes frames while the queue's wait list has room (the rest stay the caller's).
    std::uint16_t tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) override;

    const offload_device_counters& queue_counters(unsigned queue) const { return queues_.at(queue).counters; }
    offload_device_counters total() const;

private:
    struct queue_state {
        std::vector<rte_mbuf*> waiting;
        offload_device_counters counters;
    };

    // What the NIC does to one frame; the frames it makes go to `state.waiting`.
    void process(queue_state& state, rte_mbuf* frame);
    void fill_checksums(queue_state& state, rte_mbuf* frame);
    void segment(queue_state& state, rte_mbuf* frame);
    void flush(unsigned queue);

    net::device& inner_;
    offload_device_config config_;
    std::string name_;
    std::vector<queue_state> queues_;
};

}  // namespace sluice::sim
