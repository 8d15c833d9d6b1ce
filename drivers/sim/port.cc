// sim::port: the device side of the wire. tx hands frames to the wire; rx takes from
// per-queue heaps of frames the wire queued, once their delivery time has come.
#include <rte_mbuf.h>

#include <algorithm>

#include "sluice/sim/wire.hh"

namespace sluice::sim {
namespace {

// std::*_heap keeps the largest on top; "later" as the order makes it the earliest.
struct later {
    template <typename A>
    bool operator()(const A& a, const A& b) const noexcept {
        return a.at != b.at ? a.at > b.at : a.order > b.order;
    }
};

}  // namespace

fault_counters& fault_counters::operator+=(const fault_counters& other) {
    sent += other.sent;
    forwarded += other.forwarded;
    dropped_runt += other.dropped_runt;
    dropped_unknown_unicast += other.dropped_unknown_unicast;
    dropped_mtu += other.dropped_mtu;
    dropped_loss += other.dropped_loss;
    dropped_rate_queue += other.dropped_rate_queue;
    dropped_in_flight_limit += other.dropped_in_flight_limit;
    dropped_no_mbuf += other.dropped_no_mbuf;
    duplicated += other.duplicated;
    corrupted += other.corrupted;
    reordered += other.reordered;
    return *this;
}

std::vector<std::pair<std::string, std::uint64_t>> fault_counters::named() const {
    return {
        {"sim_sent", sent},
        {"sim_forwarded", forwarded},
        {"sim_dropped_runt", dropped_runt},
        {"sim_dropped_unknown_unicast", dropped_unknown_unicast},
        {"sim_dropped_mtu", dropped_mtu},
        {"sim_dropped_loss", dropped_loss},
        {"sim_dropped_rate_queue", dropped_rate_queue},
        {"sim_dropped_in_flight_limit", dropped_in_flight_limit},
        {"sim_dropped_no_mbuf", dropped_no_mbuf},
        {"sim_duplicated", duplicated},
        {"sim_corrupted", corrupted},
        {"sim_reordered", reordered},
    };
}

port::port(sim::wire& owner, unsigned index, std::string name, net::ethernet_address mac, unsigned queues)
    : wire_(owner), index_(index), name_(std::move(name)), mac_(mac), rx_queues_(queues), counters_(queues) {}

port::~port() {
    for (auto& queue : rx_queues_) {
        for (const arrival& waiting : queue) rte_pktmbuf_free(waiting.frame);
    }
}

void port::enqueue(nanoseconds at, std::uint64_t order, rte_mbuf* frame) {
    const unsigned queue = selector_ ? selector_(frame) % queue_count() : 0;
    auto& heap = rx_queues_[queue];
    heap.push_back({at, order, frame});
    std::push_heap(heap.begin(), heap.end(), later{});
}

std::uint16_t port::rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) {
    if (queue >= rx_queues_.size()) return 0;
    auto& heap = rx_queues_[queue];
    auto& count = counters_[queue];
    std::uint16_t taken = 0;
    while (taken < max && !heap.empty() && heap.front().at <= wire_.now()) {
        std::pop_heap(heap.begin(), heap.end(), later{});
        rte_mbuf* frame = heap.back().frame;
        heap.pop_back();
        ++count.rx_packets;
        count.rx_bytes += rte_pktmbuf_pkt_len(frame);
        frames[taken++] = frame;
    }
    in_flight_ -= taken;
    return taken;
}

std::uint16_t port::tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) {
    if (queue >= counters_.size()) return 0;
    auto& counted = counters_[queue];
    for (std::uint16_t i = 0; i < count; ++i) {
        ++counted.tx_packets;
        counted.tx_bytes += rte_pktmbuf_pkt_len(frames[i]);
        wire_.send(*this, frames[i]);
    }
    // A hold of zero length ends now: keep "no expired hold after a call" true.
    wire_.release_expired(wire_.now());
    return count;
}

}  // namespace sluice::sim
