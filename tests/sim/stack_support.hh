// Helpers for the stack tests of the sim suite: two hosts A (198.18.0.1) and B
// (198.18.0.2) on a /24, each a net::stack on a sim port, driven in virtual time; a UDP
// receiver that keeps copies of what arrives; a packet pool that must be full at the end.
// Test thread only.
#pragma once

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/net/device_io.hh"
#include "sluice/net/packet_pool.hh"
#include "sluice/net/stack.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ethernet.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/udp.hh"
#include "sluice/sim/offload_device.hh"
#include "sluice/sim/wire.hh"
#include "tests/sim/sim_support.hh"

namespace sluice::testing {

inline net::wire::ipv4_address address(const char* text) { return *net::wire::ipv4_address::parse(text); }

inline net::interface_config host_config(const char* prefix) {
    net::interface_config config;
    config.address = *net::wire::ipv4_prefix::parse(prefix);
    return config;
}

// A pool without a per-lcore cache, current on the test thread, full again at the end.
struct current_pool {
    net::packet_pool pool;
    net::packet_pool::scoped_current scope;
    static net::packet_pool make() {
        static int serial = 0;
        net::packet_pool_config config;
        config.name = "stack_test_" + std::to_string(serial++);
        config.count = 8191;
        config.cache_size = 0;
        auto made = net::packet_pool::create(config);
        BOOST_REQUIRE_MESSAGE(made, "packet pool: " << (made ? "" : made.message()));
        return std::move(*made);
    }
    current_pool() : pool(make()), scope(pool) {}
    ~current_pool() {
        BOOST_CHECK_MESSAGE(pool.available() == pool.capacity(), "pool not full at the end of the test: "
                                                                     << pool.available() << " of " << pool.capacity());
    }
};

// Keeps a copy of each datagram's payload and where it came from.
struct collected_datagram {
    net::wire::ipv4_address source;
    std::uint16_t source_port;
    std::uint16_t destination_port;
    std::vector<std::byte> payload;
};
struct collecting_receiver : net::udp_receiver {
    std::vector<collected_datagram> got;
    std::size_t capacity = 1u << 20;
    bool deliver(net::udp_datagram&& datagram) override {
        if (got.size() >= capacity) return false;
        std::vector<std::byte> bytes(datagram.payload.size());
        datagram.payload.copy_out(0, bytes);
        got.push_back({datagram.source, datagram.source_port, datagram.destination_port, std::move(bytes)});
        return true;
    }
};

inline clock::time_point at(sim::nanoseconds virtual_time) { return clock::time_point(virtual_time); }

// A and B, each with a stack, on one wire; `step` runs the stacks as a shard loop would.
struct two_hosts {
    current_pool pool;
    std::unique_ptr<sim::wire> wire;
    sim::port* port_a;
    sim::port* port_b;
    std::unique_ptr<net::stack> a;
    std::unique_ptr<net::stack> b;
    sim::nanoseconds next_housekeeping{0};
    net::stack_limits limits;

    // A's device: its port, or the offload decorator around it when a test asks for one.
    std::unique_ptr<sim::offload_device> offload_a;
    net::device* device_a;

    explicit two_hosts(const sim::link_profile& profile = {}, std::uint64_t seed = 1,
                       net::stack_limits stack_limits = {},
                       std::optional<sim::offload_device_config> a_offloads = std::nullopt)
        : limits(stack_limits) {
        sim::wire_config config;
        config.seed = seed;
        config.pool = pool.pool.mempool();
        config.profile = profile;
        wire = std::make_unique<sim::wire>(config);
        port_a = &wire->add_port("host_a", mac_of(1));
        port_b = &wire->add_port("host_b", mac_of(2));
        device_a = port_a;
        if (a_offloads) {
            offload_a = std::make_unique<sim::offload_device>(*port_a, *a_offloads);
            device_a = offload_a.get();
        }
        a = std::make_unique<net::stack>(net::properties_of(*device_a), host_config("198.18.0.1/24"), limits);
        b = std::make_unique<net::stack>(net::properties_of(*port_b), host_config("198.18.0.2/24"), limits);
    }
    ~two_hosts() {
        a.reset();  // stacks free what they hold; the wire frees what is in flight
        b.reset();
        offload_a.reset();
        wire.reset();
    }
    clock::time_point now() const { return at(wire->now()); }

    // One loop turn for both hosts at the wire's current time.
    void turn() {
        while (net::receive_burst(*a, *device_a, 0, now()) || net::receive_burst(*b, *port_b, 0, now())) {
        }
        if (wire->now() >= next_housekeeping) {
            a->housekeeping(now());
            b->housekeeping(now());
            next_housekeeping = wire->now() + limits.housekeeping_period;
        }
        if (now() >= a->tcp_deadline()) a->tcp_timers(now());
        if (now() >= b->tcp_deadline()) b->tcp_timers(now());
        (void)net::transmit_burst(*a, *device_a, 0);
        (void)net::transmit_burst(*b, *port_b, 0);
    }
    // When something next happens: a frame lands, housekeeping or a TCP timer is due.
    sim::nanoseconds next_event_before(sim::nanoseconds end) const {
        sim::nanoseconds next = std::min(end, next_housekeeping);
        if (auto event = wire->next_event(); event && *event < next) next = *event;
        for (const net::stack* host : {a.get(), b.get()}) {
            const auto due = host->tcp_deadline();
            if (due != clock::time_point::max()) next = std::min(next, sim::nanoseconds(due.time_since_epoch()));
        }
        return next <= wire->now() ? wire->now() + sim::nanoseconds(1) : next;
    }
    // Runs event to event (and housekeeping to housekeeping) until `duration` has passed.
    void run_for(sim::nanoseconds duration) {
        const sim::nanoseconds end = wire->now() + duration;
        turn();
        while (wire->now() < end) {
            wire->advance_to(next_event_before(end));
            turn();
        }
    }
    // One turn now, then time moves to the next event and the hosts take it.
    void step() {
        turn();
        wire->advance_to(next_event_before(wire->now() + std::chrono::seconds(1)));
        turn();
    }
};

inline std::vector<std::byte> pattern(std::size_t size, unsigned seed) {
    std::vector<std::byte> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = std::byte((i * 31 + seed * 7) & 0xff);
    return bytes;
}

// An Ethernet + IPv4 + UDP frame from A (02::01, 198.18.0.1) to B, built with the wire
// emitters; `break_checksum` flips the UDP checksum.
inline std::vector<std::byte> udp_frame(std::uint16_t destination_port, std::span<const std::byte> payload,
                                 bool break_checksum = false) {
    namespace wire = net::wire;
    std::vector<std::byte> frame(14 + 20 + 8 + payload.size());
    wire::ethernet_header ethernet{mac_of(2), mac_of(1), std::nullopt, wire::ethertype_ipv4};
    ethernet.emit(frame);
    wire::ipv4_header ip;
    ip.total_length = std::uint16_t(20 + 8 + payload.size());
    ip.protocol = wire::ip_protocol_udp;
    ip.source = address("198.18.0.1");
    ip.destination = address("198.18.0.2");
    ip.emit(std::span<std::byte>(frame).subspan(14));
    wire::udp_header udp;
    udp.source_port = 5000;
    udp.destination_port = destination_port;
    udp.length = std::uint16_t(8 + payload.size());
    udp.checksum = 0;
    auto datagram = std::span<std::byte>(frame).subspan(34);
    udp.emit(datagram);
    std::copy(payload.begin(), payload.end(), datagram.begin() + 8);
    wire::internet_checksum sum;
    sum.add_ipv4_pseudo_header(ip.source, ip.destination, wire::ip_protocol_udp, udp.length);
    sum.add(datagram);
    std::uint16_t checksum = sum.finish();
    if (checksum == 0) checksum = 0xffff;
    if (break_checksum) checksum ^= 0x0101;
    wire::store_be16(datagram, 6, checksum);
    return frame;
}

inline net::packet packet_of(std::span<const std::byte> bytes) {
    auto made = net::packet::copy_of(bytes);
    BOOST_REQUIRE(made);
    return std::move(*made);
}

// Every frame that reached `port`, as bytes.
inline std::vector<std::vector<std::byte>> frames_at(sim::port& port) {
    std::vector<std::vector<std::byte>> out;
    rte_mbuf* frames[32];
    while (std::uint16_t n = port.rx_burst(0, frames, 32)) {
        for (std::uint16_t i = 0; i < n; ++i) {
            auto received = net::packet::from_mbuf(frames[i]);
            std::vector<std::byte> bytes(received.length());
            received.copy_out(0, bytes);
            out.push_back(std::move(bytes));
        }
    }
    return out;
}

// Lets B's frames cross the wire to A's port (A's stack does not run).
inline std::vector<std::vector<std::byte>> deliver_b_to_a(two_hosts& hosts) {
    (void)net::transmit_burst(*hosts.b, *hosts.port_b, 0);
    auto frames = frames_at(*hosts.port_a);
    while (auto event = hosts.wire->next_event()) {
        if (*event > hosts.wire->now()) hosts.wire->advance_to(*event);
        auto more = frames_at(*hosts.port_a);
        if (more.empty() && *event <= hosts.wire->now()) break;
        frames.insert(frames.end(), more.begin(), more.end());
    }
    return frames;
}

}  // namespace sluice::testing
