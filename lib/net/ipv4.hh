// sluice::net::ipv4: the stack's IPv4 layer (RFC 791, RFC 1122 3.2.1 and 3.3.1). Input:
// header and option checks, our address or a broadcast, padding trimmed, fragments
// reassembled, then delivery to the l4_protocol attached to the datagram's protocol
// number. Output (ipv4_output): routing to the next hop, fragmentation above the MTU,
// ARP, framing. Sans-I/O; one shard's stack owns it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "sluice/core/clock.hh"
#include "sluice/net/arp.hh"
#include "sluice/net/ethernet_link.hh"
#include "sluice/net/interface_config.hh"
#include "sluice/net/ipv4_output.hh"
#include "sluice/net/ipv4_reassembly.hh"
#include "sluice/net/l4_protocol.hh"
#include "sluice/net/multicast_groups.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/wire/drop_reason.hh"

namespace sluice::net {

struct ipv4_counters {
    std::uint64_t received = 0;
    std::uint64_t delivered = 0;
    std::uint64_t fragments_sent = 0;
    std::uint64_t no_route = 0;        // a destination off the prefix with no gateway
    std::uint64_t no_mbufs = 0;
};

class ipv4 final : public ipv4_output {
public:
    ipv4(ethernet_link& link, arp& neighbours, const interface_config& config, offload_flags offloads,
         reassembly_limits reassembly, wire::drop_counters& dropped);

    // --- protocols ------------------------------------------------------------------
    // Datagrams with this protocol number go to `protocol` (false: the number is taken).
    bool attach(std::uint8_t number, l4_protocol& protocol) noexcept;
    void detach(std::uint8_t number) noexcept { protocols_[number] = nullptr; }
    l4_protocol* protocol(std::uint8_t number) const noexcept { return protocols_[number]; }
    // Who reports what IPv4 refuses: protocol unreachable, parameter problem (ICMP).
    void report_errors_to(icmp_error_sender& sender) noexcept { errors_ = &sender; }

    // --- data path ------------------------------------------------------------------
    // A frame whose Ethernet header (l2_length bytes) says IPv4.
    void receive(packet&& frame, std::size_t l2_length, clock::time_point now);
    send_status send(wire::ipv4_address destination, std::uint8_t protocol, packet&& segment,
                     l4_checksum_offload offload, clock::time_point now) override;
    send_status send_with(const datagram_options& options, wire::ipv4_address destination, std::uint8_t protocol,
                          packet&& segment, clock::time_point now) override;
    // The groups whose datagrams input takes, besides our address and broadcasts.
    void accept_groups(const multicast_groups& groups) noexcept { groups_ = &groups; }
    wire::ipv4_address source_address() const noexcept override { return config_.address.address; }
    std::size_t max_unfragmented_payload() const noexcept override {
        return config_.mtu - wire::ipv4_header::min_length;
    }
    offload_flags offloads() const noexcept override { return offloads_; }

    // Reassembly timeouts; every housekeeping period.
    void housekeeping(clock::time_point now) { reassembly_.expire(now); }

    const ipv4_reassembly& reassembly() const noexcept { return reassembly_; }
    const ipv4_counters& counters() const noexcept { return counters_; }

private:
    void deliver(const wire::ipv4_header& header, packet&& payload, clock::time_point now);
    void refuse_protocol(const wire::ipv4_header& header, std::span<const std::byte> header_bytes,
                         const packet& payload, clock::time_point now);
    send_status send_datagram(const datagram_options& options, wire::ipv4_address destination, std::uint8_t protocol,
                              packet&& segment, l4_checksum_offload offload, bool may_fragment, clock::time_point now);
    send_status send_one(wire::ipv4_address destination, packet&& datagram, clock::time_point now);
    send_status fragment(const wire::ipv4_header& header, packet&& segment, clock::time_point now);
    void report(std::uint8_t type, std::uint8_t code, std::uint32_t rest, const wire::ipv4_header& header,
                std::span<const std::byte> header_bytes, const packet& datagram, std::size_t payload_offset,
                clock::time_point now);

    ethernet_link& link_;
    arp& neighbours_;
    const interface_config& config_;
    offload_flags offloads_;
    wire::drop_counters& dropped_;
    ipv4_reassembly reassembly_;
    std::array<l4_protocol*, 256> protocols_{};
    icmp_error_sender* errors_ = nullptr;
    const multicast_groups* groups_ = nullptr;
    std::uint16_t next_identification_ = 1;
    ipv4_counters counters_;
};

}  // namespace sluice::net
