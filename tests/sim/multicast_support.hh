// Helpers for the multicast tests of the sim suite: frames from host B (198.18.0.2) to a
// group or to A with any IPv4 payload, IGMP queries, a capture of what a stack queued
// for its device, and that capture read back as IGMP. Test thread only.
#pragma once

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sluice/net/stack.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ethernet.hh"
#include "sluice/net/wire/igmp.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/udp.hh"
#include "tests/sim/stack_support.hh"

namespace sluice::testing {

// Ethernet + IPv4 from B to `destination` (its group MAC when multicast) carrying `l4`.
inline std::vector<std::byte> frame_from_b(net::wire::ipv4_address destination, std::uint8_t protocol,
                                           std::span<const std::byte> l4, bool router_alert = false) {
    namespace wire = net::wire;
    const std::size_t ip_length = 20 + (router_alert ? wire::ipv4_router_alert_length : 0);
    std::vector<std::byte> frame(14 + ip_length + l4.size());
    const net::ethernet_address to = destination.is_multicast() ? wire::multicast_mac(destination) : mac_of(1);
    wire::ethernet_header ethernet{to, mac_of(2), std::nullopt, wire::ethertype_ipv4};
    ethernet.emit(frame);
    wire::ipv4_header ip;
    ip.total_length = std::uint16_t(ip_length + l4.size());
    ip.protocol = protocol;
    ip.ttl = destination.is_multicast() ? 1 : 64;
    ip.source = address("198.18.0.2");
    ip.destination = destination;
    const std::span<std::byte> ip_bytes = std::span<std::byte>(frame).subspan(14);
    if (router_alert) {
        ip.emit(ip_bytes, std::span<const std::byte>(wire::ipv4_router_alert));
    } else {
        ip.emit(ip_bytes);
    }
    std::copy(l4.begin(), l4.end(), frame.begin() + std::ptrdiff_t(14 + ip_length));
    return frame;
}

// A UDP datagram from B's port 6000 to `destination`:`port`, with its checksum.
inline std::vector<std::byte> udp_from_b(net::wire::ipv4_address destination, std::uint16_t port,
                                         std::span<const std::byte> payload) {
    namespace wire = net::wire;
    std::vector<std::byte> l4(8 + payload.size());
    wire::udp_header udp;
    udp.source_port = 6000;
    udp.destination_port = port;
    udp.length = std::uint16_t(l4.size());
    udp.checksum = 0;
    udp.emit(l4);
    std::copy(payload.begin(), payload.end(), l4.begin() + 8);
    wire::internet_checksum sum;
    sum.add_ipv4_pseudo_header(address("198.18.0.2"), destination, wire::ip_protocol_udp, udp.length);
    sum.add(l4);
    std::uint16_t checksum = sum.finish();
    wire::store_be16(l4, 6, checksum == 0 ? 0xffff : checksum);
    return frame_from_b(destination, wire::ip_protocol_udp, l4);
}

// A version 3 query (12 bytes) from B: general when `group` is 0.0.0.0, sent to
// 224.0.0.1; group-specific otherwise, sent to the group (RFC 3376 4.1.12).
inline std::vector<std::byte> v3_query_from_b(net::wire::ipv4_address group, std::uint8_t max_response_code,
                                              bool break_checksum = false) {
    std::vector<std::byte> l4(12);
    net::wire::emit_igmp_v3_query(l4, group, max_response_code, 2, 125);
    if (break_checksum) l4[3] ^= std::byte{0x01};
    return frame_from_b(group.is_unspecified() ? net::wire::igmp_all_hosts : group, net::wire::ip_protocol_igmp, l4,
                        true);
}

// A version 2 query (8 bytes, RFC 2236 2) from B.
inline std::vector<std::byte> v2_query_from_b(net::wire::ipv4_address group, std::uint8_t max_response_tenths) {
    std::vector<std::byte> l4(8);
    net::wire::emit_igmp_v2_message(l4, net::wire::igmp_type_membership_query, max_response_tenths, group);
    return frame_from_b(group.is_unspecified() ? net::wire::igmp_all_hosts : group, net::wire::ip_protocol_igmp, l4,
                        true);
}

// The frames `host` queued for its device, taken (and freed) as a device would.
inline std::vector<std::vector<std::byte>> sent_by(net::stack& host) {
    std::vector<std::vector<std::byte>> out;
    (void)host.transmit([&out](rte_mbuf** frames, std::uint16_t count) {
        for (std::uint16_t i = 0; i < count; ++i) {
            auto taken = net::packet::from_mbuf(frames[i]);
            std::vector<std::byte> bytes(taken.length());
            taken.copy_out(0, bytes);
            out.push_back(std::move(bytes));
        }
        return count;
    });
    return out;
}

// One IGMP message as it left: its frame's Ethernet and IPv4 headers, whether the header
// carried Router Alert, the message and, for a version 3 report, its records.
struct sent_igmp {
    net::wire::ethernet_header ethernet;
    net::wire::ipv4_header ip;
    bool router_alert = false;
    net::wire::igmp_message message;
    std::vector<net::wire::igmp_group_record> records;
};

// The frame read as IGMP; nothing when it is not (its checksums are checked on the way).
inline std::optional<sent_igmp> as_igmp(std::span<const std::byte> frame) {
    namespace wire = net::wire;
    const auto ethernet = wire::ethernet_header::parse(frame);
    if (!ethernet || ethernet->ethertype != wire::ethertype_ipv4) return std::nullopt;
    const auto ip_bytes = frame.subspan(ethernet->length());
    const auto ip = wire::ipv4_header::parse(ip_bytes.first(std::min<std::size_t>(ip_bytes.size(),
                                                                                   wire::load_be16(ip_bytes, 2))));
    if (!ip || ip->protocol != wire::ip_protocol_igmp) return std::nullopt;
    sent_igmp sent;
    sent.ethernet = *ethernet;
    sent.ip = *ip;
    sent.router_alert = wire::has_ipv4_router_alert(ip_bytes.first(ip->header_length));
    const auto l4 = ip_bytes.subspan(ip->header_length, ip->payload_length());
    const auto message = wire::igmp_message::parse(l4);
    if (!message) BOOST_FAIL("a sent IGMP message was refused: " << wire::name(message.error()));
    sent.message = *message;
    auto rest = l4.subspan(std::min<std::size_t>(l4.size(), wire::igmp_message::v3_report_header_length));
    for (std::uint16_t i = 0; message->type == wire::igmp_type_v3_membership_report && i < message->record_count; ++i) {
        const auto record = wire::igmp_group_record::parse(rest);
        BOOST_REQUIRE(record.ok());
        sent.records.push_back(*record);
        rest = rest.subspan(record->length);
    }
    return sent;
}

// Every IGMP message among `frames`.
inline std::vector<sent_igmp> igmp_among(const std::vector<std::vector<std::byte>>& frames) {
    std::vector<sent_igmp> out;
    for (const auto& frame : frames) {
        if (auto igmp = as_igmp(frame)) out.push_back(std::move(*igmp));
    }
    return out;
}

// A UDP receiver that is a member of the groups it lists (udp_receiver::member_of).
struct group_receiver : collecting_receiver {
    std::vector<net::wire::ipv4_address> groups;
    bool member_of(net::wire::ipv4_address group) const override {
        return std::find(groups.begin(), groups.end(), group) != groups.end();
    }
};

}  // namespace sluice::testing
