// Helpers for the TCP tests of the sim suite: a connection between hosts A (client) and
// B (server) over the seeded sim wire, opened through B's listener, and a bulk transfer
// that checks every byte arrives once and in order (each byte names its offset).
// Test thread only; builds on stack_support.hh's two_hosts.
#pragma once

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "sluice/net/tcp/connection_table.hh"
#include "sluice/net/wire/tcp.hh"
#include "tests/sim/stack_support.hh"

namespace sluice::testing {

// The byte at offset i of a transfer: a pattern with a long period, so a byte delivered
// twice, skipped or out of place shows.
inline std::byte transfer_byte(std::uint64_t offset) {
    const std::uint64_t x = offset * 0x9e3779b97f4a7c15ull;
    return std::byte((x >> 56) ^ (offset & 0xff));
}

struct tcp_pair {
    two_hosts& hosts;
    net::tcp::connection_entry* client = nullptr;
    net::tcp::connection_entry* server = nullptr;
    net::tcp::listener* listening = nullptr;

    explicit tcp_pair(two_hosts& h) : hosts(h) {}

    net::tcp::connection_table& table_a() { return hosts.a->tcp_layer().table(); }
    net::tcp::connection_table& table_b() { return hosts.b->tcp_layer().table(); }

    // A connects to B:80; true once both ends are established and B accepted.
    bool open(net::tcp::connection_options options = {}, sim::nanoseconds limit = std::chrono::seconds(30)) {
        listening = table_b().listen(80, 64, hosts.b->tcp_layer().options_for_interface(options));
        BOOST_REQUIRE(listening != nullptr);
        const net::tcp::four_tuple tuple{address("198.18.0.1"), 40000, address("198.18.0.2"), 80};
        client = table_a().connect(tuple, hosts.a->tcp_layer().options_for_interface(options), hosts.now());
        BOOST_REQUIRE(client != nullptr);
        const sim::nanoseconds end = hosts.wire->now() + limit;
        while (hosts.wire->now() < end) {
            if (server == nullptr) server = table_b().accept(*listening);
            if (server != nullptr && client->conn.state() == net::tcp::tcp_state::established) return true;
            hosts.step();
        }
        return false;
    }

    // Sends `total` bytes A to B; returns the bytes B read, each checked against its offset.
    // `mismatches` counts bytes that were not what their offset says.
    struct transfer_result {
        std::uint64_t received = 0;
        std::uint64_t mismatches = 0;
        sim::nanoseconds took{0};
    };
    // `each_step` runs once per loop turn (a flood beside the transfer, say).
    transfer_result transfer(std::uint64_t total, sim::nanoseconds limit, const std::function<void()>& each_step = {}) {
        transfer_result result;
        std::uint64_t sent = 0;
        std::vector<std::byte> chunk(64 * 1024);
        std::vector<std::byte> received(64 * 1024);
        const sim::nanoseconds start = hosts.wire->now();
        const sim::nanoseconds end = start + limit;
        while (result.received < total && hosts.wire->now() < end) {
            while (sent < total && client->conn.send_room() > 0) {
                const std::size_t n = std::size_t(std::min<std::uint64_t>({total - sent, chunk.size(), client->conn.send_room()}));
                for (std::size_t i = 0; i < n; ++i) chunk[i] = transfer_byte(sent + i);
                auto taken = client->conn.write(std::span(chunk.data(), n), hosts.now());
                BOOST_REQUIRE(taken.ok());
                if (*taken == 0) break;
                sent += *taken;
                table_a().updated(*client, hosts.now());
            }
            for (;;) {
                net::buffer got = server->conn.read(received.size(), hosts.now());
                if (got.empty()) break;
                const std::size_t n = got.copy_out(0, std::span(received.data(), got.size()));
                for (std::size_t i = 0; i < n; ++i) {
                    if (received[i] != transfer_byte(result.received + i)) ++result.mismatches;
                }
                result.received += n;
                table_b().updated(*server, hosts.now());
            }
            if (client->conn.state() == net::tcp::tcp_state::closed) break;
            if (each_step) each_step();
            hosts.step();
        }
        result.took = hosts.wire->now() - start;
        return result;
    }
};

// SYNs to B:80 from spoofed sources off the link (198.19.x.y, random ports and ISNs), as a
// flooder on A's side of the wire sends them: A's port transmits them, A's stack never
// sees them.
struct syn_flooder {
    two_hosts& hosts;
    std::mt19937_64 random{42};
    std::uint64_t sent = 0;

    void send(unsigned count) {
        namespace wire = net::wire;
        std::vector<rte_mbuf*> frames;
        for (unsigned i = 0; i < count; ++i) {
            std::array<std::byte, 14 + 20 + 20> bytes{};
            wire::ethernet_header ethernet{mac_of(2), mac_of(1), std::nullopt, wire::ethertype_ipv4};
            ethernet.emit(bytes);
            wire::ipv4_header ip;
            ip.total_length = 40;
            ip.protocol = wire::ip_protocol_tcp;
            ip.source = wire::ipv4_address{0xc6130000u | std::uint32_t(random() & 0xffff)};
            ip.destination = address("198.18.0.2");
            ip.emit(std::span(bytes).subspan(14));
            wire::tcp_header tcp;
            tcp.source_port = std::uint16_t(1024 + random() % 60000);
            tcp.destination_port = 80;
            tcp.sequence = std::uint32_t(random());
            tcp.flags = wire::tcp_syn;
            tcp.window = 65535;
            auto segment = std::span(bytes).subspan(34);
            tcp.emit(segment);
            const std::span<const std::byte> whole(segment);
            const std::span<const std::byte> pieces[] = {whole};
            wire::store_be16(segment, wire::tcp_header::checksum_offset, wire::tcp_checksum(ip.source, ip.destination, pieces));
            auto made = net::packet::copy_of(bytes);
            BOOST_REQUIRE(made.ok());
            frames.push_back(made->release());
        }
        const std::uint16_t taken = hosts.port_a->tx_burst(0, frames.data(), std::uint16_t(frames.size()));
        for (std::size_t i = taken; i < frames.size(); ++i) rte_pktmbuf_free(frames[i]);
        sent += taken;
    }
};

}  // namespace sluice::testing
