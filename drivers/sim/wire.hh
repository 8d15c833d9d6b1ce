// sluice::sim::wire and sim::port: an in-process wire joining simulated ports, with seeded
// faults and virtual time, so a test of the stack replays the same packet trace for the
// same seed. One thread drives a wire and all its ports (the test, or one shard); the
// wire owns its ports and every frame in flight; frames handed to rx_burst's caller are
// the caller's. The mempool it is given must outlive the wire.
//
// Delivery is a switch by destination MAC: a unicast frame goes to the one port with that
// MAC; a broadcast or multicast frame (group bit set) to every other port; a unicast
// frame to a MAC no other port has is dropped and counted. Each ordered pair of ports is
// its own link, with its own profile, serializer and reorder state. A delivered frame
// keeps the mbuf metadata its sender left (ol_flags, hash, port): sim ports offer no rx
// offloads, so the stack must not read those fields from them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/net/device.hh"
#include "sluice/sim/link_profile.hh"
#include "sluice/sim/random.hh"

struct rte_mbuf;
struct rte_mempool;

namespace sluice::sim {

struct wire_config {
    std::uint64_t seed = 1;
    // Duplicates, flooded copies and corrupted copies are allocated here; the sender's
    // frame itself is handed on (to its first destination) without a copy.
    rte_mempool* pool = nullptr;
    link_profile profile;  // every link's until set_profile changes one
    // Frames on their way to one port (all its queues, held-back ones included), counted
    // from send until rx_burst hands them over; past it the newest is dropped.
    std::size_t in_flight_limit = 4096;
};

// What happened to the frames one port sent; each drop or fault counts once per copy.
struct fault_counters {
    std::uint64_t sent = 0;       // frames given to tx_burst
    std::uint64_t forwarded = 0;  // copies queued for a destination port
    std::uint64_t dropped_runt = 0;             // shorter than an Ethernet header
    std::uint64_t dropped_unknown_unicast = 0;  // no other port has the destination MAC
    std::uint64_t dropped_mtu = 0;
    std::uint64_t dropped_loss = 0;
    std::uint64_t dropped_rate_queue = 0;        // the link's serialization queue was full
    std::uint64_t dropped_in_flight_limit = 0;  // the destination had too many in flight
    std::uint64_t dropped_no_mbuf = 0;           // the pool had no mbuf for a copy
    std::uint64_t duplicated = 0;
    std::uint64_t corrupted = 0;
    std::uint64_t reordered = 0;  // copies held back for later frames to overtake

    fault_counters& operator+=(const fault_counters& other);
    // As extended_stats() names them ("sim_dropped_loss", ...), in declaration order.
    std::vector<std::pair<std::string, std::uint64_t>> named() const;
};

// Chooses the receive queue of a frame (software RSS plugs in here); the result is
// taken modulo the port's queue count. Called once per delivered copy, on the wire's thread.
using queue_selector = std::function<unsigned(const rte_mbuf*)>;

class wire;

class port final : public net::device {
public:
    port(const port&) = delete;
    port& operator=(const port&) = delete;
    ~port() override;

    const std::string& name() const override { return name_; }
    unsigned queue_count() const override { return unsigned(rx_queues_.size()); }
    net::offload_flags offloads() const override { return {}; }  // no offloads: software does it all
    net::ethernet_address mac() const override { return mac_; }
    net::link_status link() const override { return {true, 0, true}; }
    std::vector<net::queue_counters> counters() const override { return counters_; }
    std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const override { return faults_.named(); }

    // Frames whose delivery time has come (<= the wire's now), earliest first; ties in
    // the order the wire queued them.
    std::uint16_t rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) override;
    // Takes every frame (a fault drops it and counts it), stamped with the wire's now.
    std::uint16_t tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) override;

    // Queue 0 for every frame until a selector is set.
    void set_queue_selector(queue_selector selector) { selector_ = std::move(selector); }
    const fault_counters& faults() const noexcept { return faults_; }
    std::size_t in_flight() const noexcept { return in_flight_; }
    sim::wire& owner() const noexcept { return wire_; }

private:
    friend class wire;
    struct arrival {
        nanoseconds at;
        std::uint64_t order;  // ties in delivery time leave in this order
        rte_mbuf* frame;
    };

    port(sim::wire& owner, unsigned index, std::string name, net::ethernet_address mac, unsigned queues);
    void enqueue(nanoseconds at, std::uint64_t order, rte_mbuf* frame);

    sim::wire& wire_;
    unsigned index_;
    std::string name_;
    net::ethernet_address mac_;
    std::vector<std::vector<arrival>> rx_queues_;  // per queue, a min-heap on (at, order)
    std::vector<net::queue_counters> counters_;
    fault_counters faults_;
    std::size_t in_flight_ = 0;
    queue_selector selector_;
};

class wire {
public:
    explicit wire(const wire_config& config);
    wire(const wire&) = delete;
    wire& operator=(const wire&) = delete;
    ~wire();  // frees every frame still in flight

    // A new port with `queues` receive/transmit queues (at least 1). MACs should differ:
    // a unicast frame goes to the first other port with its destination MAC.
    port& add_port(std::string name, net::ethernet_address mac, unsigned queues = 1);

    // The profile of frames from `from` to `to` (one direction).
    void set_profile(const port& from, const port& to, const link_profile& profile);
    void set_profile_both_ways(const port& a, const port& b, const link_profile& profile);
    const link_profile& profile(const port& from, const port& to) const;

    nanoseconds now() const noexcept { return now_; }
    // Moves virtual time forward (never back: an earlier time is ignored), releasing
    // held-back frames whose hold ran out on the way, in time order.
    void advance_to(nanoseconds time);
    void advance_by(nanoseconds step) { advance_to(now_ + step); }
    // The earliest delivery time or hold deadline of any frame not yet received, which
    // is <= now() while frames wait to be read; nothing when no frame is in flight.
    std::optional<nanoseconds> next_event() const;

    // Every port's fault counters added up.
    fault_counters totals() const;
    std::size_t in_flight() const noexcept;

private:
    friend class port;
    struct held_frame {
        nanoseconds at;        // when it would have arrived
        nanoseconds deadline;  // released by then at the latest
        int remaining;         // copies still to overtake it (below 0 once due)
        std::uint64_t serial;  // hold order: breaks ties between deadlines
        port* to;
        rte_mbuf* frame;
    };
    struct link {
        link_profile profile;
        nanoseconds busy_until{0};                // the serializer is free from here
        std::deque<nanoseconds> serializing;      // end times of frames queued or on the line
        std::vector<held_frame> held;
    };

    void send(port& from, rte_mbuf* frame);
    void send_to(port& from, port& to, rte_mbuf* frame, std::uint32_t length, bool& original_used);
    // Queues a copy on `to` and counts it against every frame held on the same link,
    // releasing those whose count runs out (each release counts too).
    void deliver(link& path, port& to, nanoseconds at, rte_mbuf* frame);
    void release_expired(nanoseconds time);
    link& path(const port& from, const port& to) { return links_[from.index_][to.index_]; }

    wire_config config_;
    random_source random_;
    nanoseconds now_{0};
    std::uint64_t next_order_ = 0;
    std::uint64_t next_hold_serial_ = 0;
    std::size_t held_total_ = 0;  // on all links: lets the common case skip the search
    std::vector<std::unique_ptr<port>> ports_;
    std::vector<std::vector<link>> links_;  // [from][to]
};

}  // namespace sluice::sim
