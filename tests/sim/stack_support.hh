// Helpers for the stack tests of the sim suite: two hosts A (198.18.0.1) and B
// (198.18.0.2) on a /24, each a net::stack on a sim port, driven in virtual time; a UDP
// receiver that keeps copies of what arrives; a packet pool that must be full at the end.
// Test thread only.
#pragma once

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "drivers/sim/wire.hh"
#include "lib/net/packet_pool.hh"
#include "lib/net/stack.hh"
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

    explicit two_hosts(const sim::link_profile& profile = {}, std::uint64_t seed = 1,
                       net::stack_limits stack_limits = {}) : limits(stack_limits) {
        sim::wire_config config;
        config.seed = seed;
        config.pool = pool.pool.mempool();
        config.profile = profile;
        wire = std::make_unique<sim::wire>(config);
        port_a = &wire->add_port("host_a", mac_of(1));
        port_b = &wire->add_port("host_b", mac_of(2));
        a = std::make_unique<net::stack>(*port_a, 0, host_config("198.18.0.1/24"), limits);
        b = std::make_unique<net::stack>(*port_b, 0, host_config("198.18.0.2/24"), limits);
    }
    ~two_hosts() {
        a.reset();  // stacks free what they hold; the wire frees what is in flight
        b.reset();
        wire.reset();
    }
    clock::time_point now() const { return at(wire->now()); }

    // One loop turn for both hosts at the wire's current time.
    void turn() {
        while (a->receive(now()) || b->receive(now())) {
        }
        if (wire->now() >= next_housekeeping) {
            a->housekeeping(now());
            b->housekeeping(now());
            next_housekeeping = wire->now() + limits.housekeeping_period;
        }
        (void)a->transmit();
        (void)b->transmit();
    }
    // Runs event to event (and housekeeping to housekeeping) until `duration` has passed.
    void run_for(sim::nanoseconds duration) {
        const sim::nanoseconds end = wire->now() + duration;
        turn();
        while (wire->now() < end) {
            sim::nanoseconds next = std::min(end, next_housekeeping);
            if (auto event = wire->next_event(); event && *event < next) next = *event;
            if (next <= wire->now()) next = wire->now() + sim::nanoseconds(1);
            wire->advance_to(next);
            turn();
        }
    }
};

}  // namespace sluice::testing
