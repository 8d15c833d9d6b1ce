// sluice::net::tcp::tcp_protocol: TCP as the stack's l4_protocol of number 6 — segment
// checks (lengths, checksum by device or software, options, hostile flag and address
// combinations, each counted by reason), demultiplexing to the shard's connection_table,
// ICMP errors to the connection they quote (RFC 5927), and output: an outgoing_segment
// becomes a packet (header in a fresh mbuf, payload the send buffer's mbufs attached
// without a copy) handed to ipv4_output with the device's checksum offload where offered,
// and a segment of several MSS handed whole to a device with TSO, or cut into frames here.
// Sans-I/O; one shard's stack owns it. The loop runs on_timer() at next_deadline().
#pragma once

#include <cstdint>

#include "sluice/core/clock.hh"
#include "sluice/net/ipv4_output.hh"
#include "sluice/net/l4_protocol.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/tcp/connection_table.hh"
#include "sluice/net/tcp/segment.hh"
#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/ipv4.hh"

namespace sluice::net::tcp {

struct tcp_counters {
    std::uint64_t segments_received = 0;  // passed the checks and went to the table
    std::uint64_t segments_sent = 0;
    std::uint64_t checksum_offloaded = 0;  // segments whose checksum the device filled
    std::uint64_t segmentation_offloaded = 0;  // segments of several MSS the device cut (TSO)
    std::uint64_t segmented_in_software = 0;   // such segments cut here: no TSO, or too long a chain
    std::uint64_t no_mbufs = 0;            // segments not sent: the pool was empty
    std::uint64_t not_sent = 0;            // IPv4 refused them (no route, queue full, ...)
    std::uint64_t icmp_errors = 0;         // ICMP errors matched to a connection
    std::uint64_t icmp_unmatched = 0;
};

class tcp_protocol final : public l4_protocol, public segment_sink {
public:
    tcp_protocol(ipv4_output& ip, wire::drop_counters& dropped, const table_limits& limits = {});

    void receive(const wire::ipv4_header& header, packet&& segment_bytes, clock::time_point now) override;
    void receive_icmp_error(const icmp_error& error, clock::time_point now) override;
    void send(const four_tuple& tuple, outgoing_segment&& out, clock::time_point now) override;

    connection_table& table() noexcept { return table_; }
    const connection_table& table() const noexcept { return table_; }
    // Options for a new connection on this interface: the MSS its MTU allows (RFC 9293
    // 3.7.1: MTU less the IPv4 and TCP headers), the rest as `base` has them.
    connection_options options_for_interface(connection_options base = {}) const noexcept;
    wire::ipv4_address local_address() const noexcept { return ip_.source_address(); }

    clock::time_point next_deadline() const noexcept { return table_.next_deadline(); }
    void on_timer(clock::time_point now) { table_.on_timer(now); }

    const tcp_counters& counters() const noexcept { return counters_; }

private:
    // segment_output.cc
    bool device_segments(const outgoing_segment& out, std::size_t header_length) const noexcept;
    void send_in_pieces(const four_tuple& tuple, outgoing_segment&& out, std::uint16_t piece, clock::time_point now);
    void send_packet(const four_tuple& tuple, outgoing_segment&& out, std::uint16_t device_piece, clock::time_point now);

    ipv4_output& ip_;
    wire::drop_counters& dropped_;
    connection_table table_;
    tcp_counters counters_;
};

}  // namespace sluice::net::tcp
