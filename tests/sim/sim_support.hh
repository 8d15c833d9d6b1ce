// Helpers for the sim suite: an mbuf pool per test that must be full again when the test
// ends, frames carrying a sequence number, and a wire between two ports A and B with a
// loop that runs virtual time until nothing is in flight. Test thread only.
#pragma once

#include <boost/test/unit_test.hpp>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "sluice/sim/wire.hh"

namespace sluice::testing {

inline constexpr unsigned pool_size = 8191;

// No per-lcore cache, so the available count is exact after every free.
struct test_pool {
    rte_mempool* pool = nullptr;
    test_pool() {
        static int serial = 0;
        const std::string name = "sim_test_" + std::to_string(serial++);
        pool = rte_pktmbuf_pool_create(name.c_str(), pool_size, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        BOOST_REQUIRE_MESSAGE(pool, "mempool " << name);
    }
    ~test_pool() {
        BOOST_CHECK_MESSAGE(rte_mempool_avail_count(pool) == pool_size,
                            "pool not full at the end of the test: " << rte_mempool_avail_count(pool) << " of "
                                                                     << pool_size << " free");
        rte_mempool_free(pool);
    }
    test_pool(const test_pool&) = delete;
    test_pool& operator=(const test_pool&) = delete;
};

inline net::ethernet_address mac_of(std::uint8_t last) { return {{0x02, 0, 0, 0, 0, last}}; }
inline const net::ethernet_address broadcast_mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

// An Ethernet frame of `length` bytes: destination, source, type 0x88b5 (local
// experimental), the sequence number (4 bytes, host order), then bytes derived from it.
inline rte_mbuf* make_frame(rte_mempool* pool, const net::ethernet_address& to, const net::ethernet_address& from,
                            std::uint32_t sequence, std::uint16_t length = 64) {
    rte_mbuf* frame = rte_pktmbuf_alloc(pool);
    BOOST_REQUIRE(frame);
    auto* data = reinterpret_cast<std::uint8_t*>(rte_pktmbuf_append(frame, length));
    BOOST_REQUIRE(data);
    for (std::uint16_t i = 0; i < length; ++i) data[i] = std::uint8_t(sequence * 7 + i);
    if (length >= 18) {
        std::memcpy(data, to.bytes.data(), 6);
        std::memcpy(data + 6, from.bytes.data(), 6);
        data[12] = 0x88;
        data[13] = 0xb5;
        std::memcpy(data + 14, &sequence, 4);
    }
    return frame;
}

inline std::vector<std::uint8_t> bytes_of(const rte_mbuf* frame) {
    std::vector<std::uint8_t> out;
    for (const rte_mbuf* segment = frame; segment != nullptr; segment = segment->next) {
        const auto* data = rte_pktmbuf_mtod(segment, const std::uint8_t*);
        out.insert(out.end(), data, data + segment->data_len);
    }
    return out;
}

inline std::uint32_t sequence_of(const rte_mbuf* frame) {
    std::uint32_t sequence = 0;
    std::uint8_t scratch[4];
    std::memcpy(&sequence, rte_pktmbuf_read(frame, 14, 4, scratch), 4);
    return sequence;
}

// One received frame as a test sees it.
struct received {
    const sim::port* port;
    unsigned queue;
    sim::nanoseconds at;
    std::vector<std::uint8_t> bytes;
    std::uint32_t sequence() const {
        std::uint32_t value;
        std::memcpy(&value, bytes.data() + 14, 4);
        return value;
    }
};

// Takes every frame due on every queue of `port`, records it and frees it.
inline void drain(sim::port& port, std::vector<received>& into) {
    rte_mbuf* frames[32];
    for (unsigned q = 0; q < port.queue_count(); ++q) {
        while (std::uint16_t n = port.rx_burst(q, frames, 32)) {
            for (std::uint16_t i = 0; i < n; ++i) {
                into.push_back({&port, q, port.owner().now(), bytes_of(frames[i])});
                rte_pktmbuf_free(frames[i]);
            }
        }
    }
}

// Moves virtual time from event to event, draining `ports`, until nothing is in flight.
inline void run_until_idle(sim::wire& wire, std::initializer_list<sim::port*> ports, std::vector<received>& into) {
    for (sim::port* port : ports) drain(*port, into);
    while (auto next = wire.next_event()) {
        BOOST_REQUIRE_MESSAGE(*next > wire.now(), "frames due at " << next->count() << " ns on a port not drained");
        wire.advance_to(*next);
        for (sim::port* port : ports) drain(*port, into);
    }
}

// The same, but only up to `time`; then the wire's time is `time`.
inline void run_until(sim::wire& wire, std::initializer_list<sim::port*> ports, std::vector<received>& into,
                      sim::nanoseconds time) {
    for (sim::port* port : ports) drain(*port, into);
    while (auto next = wire.next_event()) {
        if (*next > time) break;
        BOOST_REQUIRE_MESSAGE(*next > wire.now(), "frames due at " << next->count() << " ns on a port not drained");
        wire.advance_to(*next);
        for (sim::port* port : ports) drain(*port, into);
    }
    wire.advance_to(time);
    for (sim::port* port : ports) drain(*port, into);
}

// Nanoseconds as a number, for checks that print both sides.
inline std::int64_t ns(sim::nanoseconds time) { return time.count(); }

// Two ports, A (02::01) and B (02::02), on a wire with one profile both ways.
struct two_ports {
    std::unique_ptr<sim::wire> wire;
    sim::port* a;
    sim::port* b;
    two_ports(rte_mempool* pool, const sim::link_profile& profile, std::uint64_t seed = 1,
              std::size_t in_flight_limit = 4096) {
        sim::wire_config config;
        config.seed = seed;
        config.pool = pool;
        config.profile = profile;
        config.in_flight_limit = in_flight_limit;
        wire = std::make_unique<sim::wire>(config);
        a = &wire->add_port("sim_a", mac_of(1));
        b = &wire->add_port("sim_b", mac_of(2));
    }
    // Sends frames first..first+count-1 from A to B in one burst.
    void send_a_to_b(rte_mempool* pool, std::uint32_t first, std::uint32_t count, std::uint16_t length = 64) {
        std::vector<rte_mbuf*> frames;
        for (std::uint32_t i = 0; i < count; ++i) {
            frames.push_back(make_frame(pool, mac_of(2), mac_of(1), first + i, length));
        }
        for (std::size_t sent = 0; sent < frames.size();) {
            const auto burst = std::uint16_t(std::min<std::size_t>(32, frames.size() - sent));
            const std::uint16_t taken = a->tx_burst(0, frames.data() + sent, burst);
            BOOST_REQUIRE_EQUAL(taken, burst);  // the sim takes every frame
            sent += taken;
        }
    }
};

}  // namespace sluice::testing
