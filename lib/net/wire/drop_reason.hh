// sluice::net::wire::drop_reason: why a received frame was dropped, one value per rejection
// of every wire parser (and, appended by the stack, of its protocol logic), with a
// snake_case name for counters. drop_counters is a plain array: each shard owns its own.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::net::wire {

enum class drop_reason : std::uint8_t {
    // Ethernet (IEEE 802.3, 802.1Q).
    ethernet_truncated,  // fewer than 14 bytes
    vlan_truncated,      // a VLAN tag's ethertype, but no room for the 4-byte tag and inner type
    vlan_stacked,        // a second tag inside the first (QinQ): one level is supported
    ethertype_unknown,   // the stack's dispatch: no protocol for this ethertype (or an 802.3 length)

    // ARP (RFC 826).
    arp_truncated,           // fewer than 28 bytes
    arp_unsupported_format,  // not Ethernet (htype 1, hlen 6) over IPv4 (ptype 0x0800, plen 4)
    arp_bad_operation,       // neither request (1) nor reply (2)

    // IPv4 (RFC 791).
    ipv4_truncated,               // fewer bytes than 20, than the header length, or than total length
    ipv4_bad_version,             // version field is not 4
    ipv4_bad_header_length,       // IHL below 5 words
    ipv4_bad_total_length,        // total length shorter than the header
    ipv4_bad_checksum,            // header checksum wrong
    ipv4_reserved_flag_set,       // flags bit 0, which RFC 791 section 3.1 says must be zero
    ipv4_fragment_misaligned,     // more fragments follow, but this one's data is not a multiple of 8
    ipv4_fragment_too_large,      // fragment offset + data past 65535 bytes (the "ping of death")
    ipv4_bad_option,              // an option's length is below 2 or runs past the header (RFC 791 3.1)

    // ICMP (RFC 792).
    icmp_truncated,     // fewer than 8 bytes
    icmp_bad_checksum,  // checksum over the message wrong

    // UDP (RFC 768).
    udp_truncated,      // fewer than 8 bytes, or a length field past the bytes IPv4 carried
    udp_bad_length,     // length field below 8
    udp_bad_checksum,   // non-zero checksum that does not verify

    // IGMP (RFC 2236, RFC 3376).
    igmp_truncated,     // fewer than 8 bytes, or fewer than a version 3 message's counts say
    igmp_bad_checksum,  // checksum over the message wrong
    igmp_bad_length,    // a query of 9 to 11 bytes (RFC 3376 7.1: ignored)

    // TCP (RFC 9293).
    tcp_truncated,        // fewer than 20 bytes, or a data offset past the segment
    tcp_bad_data_offset,  // data offset below 5 words
    tcp_bad_checksum,     // checksum over pseudo header and segment wrong
    tcp_bad_option,       // an option length below 2 or past the header (RFC 9293 3.1)

    // Stack-level reasons (ARP cache, reassembly, sockets, ...) go here, above count_; give
    // each a name() below: the drop_reason test checks every value has a distinct one.
    no_mbufs,                   // a header had to be pulled together and the pool was empty
    ethernet_not_for_us,        // destination neither our MAC nor broadcast
    vlan_not_configured,        // tagged with a VLAN id the interface does not have
    arp_not_for_us,             // about neither our address nor a neighbour we know
    arp_address_conflict,       // someone else claims our IPv4 address (RFC 5227 2.4)
    ipv4_not_for_us,            // destination neither our address nor a broadcast (we do not forward)
    ipv4_bad_source,            // source is a broadcast or multicast address (RFC 1122 3.2.1.3)
    ipv4_protocol_unsupported,  // none of ICMP, IGMP, UDP, TCP
    icmp_not_handled,           // an ICMP type we do not answer, or an echo to a broadcast
    icmp_error_unmatched,       // an ICMP error quoting no datagram of ours or no protocol we run
    udp_port_unreachable,       // no socket bound to the port on this shard
    udp_socket_queue_full,      // the socket's receive queue was full
    ethernet_group_not_joined,  // a multicast MAC of no group joined on the interface
    ipv4_group_not_joined,      // to a multicast group not joined on the interface
    igmp_not_handled,           // an IGMP type a host does not act on (a version 3 report)
    udp_no_group_member,        // to a joined group, but no socket on the port joined it
    tcp_bad_flags,              // SYN with FIN or RST, or no control bit at all
    tcp_not_unicast,            // from or to a broadcast or multicast address (RFC 9293 3.10.7.2)
    tcp_land,                   // from our own address and port to itself (a "land" attack)

    count_  // not a reason: the number of reasons
};

inline constexpr std::size_t drop_reason_count = static_cast<std::size_t>(drop_reason::count_);

// The counter name: the enumerator spelled as in the source ("ipv4_bad_checksum").
constexpr std::string_view name(drop_reason reason) noexcept {
    // No default: -Wswitch names any reason added above and left out here.
    switch (reason) {
        case drop_reason::ethernet_truncated: return "ethernet_truncated";
        case drop_reason::vlan_truncated: return "vlan_truncated";
        case drop_reason::vlan_stacked: return "vlan_stacked";
        case drop_reason::ethertype_unknown: return "ethertype_unknown";
        case drop_reason::arp_truncated: return "arp_truncated";
        case drop_reason::arp_unsupported_format: return "arp_unsupported_format";
        case drop_reason::arp_bad_operation: return "arp_bad_operation";
        case drop_reason::ipv4_truncated: return "ipv4_truncated";
        case drop_reason::ipv4_bad_version: return "ipv4_bad_version";
        case drop_reason::ipv4_bad_header_length: return "ipv4_bad_header_length";
        case drop_reason::ipv4_bad_total_length: return "ipv4_bad_total_length";
        case drop_reason::ipv4_bad_checksum: return "ipv4_bad_checksum";
        case drop_reason::ipv4_reserved_flag_set: return "ipv4_reserved_flag_set";
        case drop_reason::ipv4_fragment_misaligned: return "ipv4_fragment_misaligned";
        case drop_reason::ipv4_fragment_too_large: return "ipv4_fragment_too_large";
        case drop_reason::ipv4_bad_option: return "ipv4_bad_option";
        case drop_reason::icmp_truncated: return "icmp_truncated";
        case drop_reason::icmp_bad_checksum: return "icmp_bad_checksum";
        case drop_reason::udp_truncated: return "udp_truncated";
        case drop_reason::udp_bad_length: return "udp_bad_length";
        case drop_reason::udp_bad_checksum: return "udp_bad_checksum";
        case drop_reason::tcp_truncated: return "tcp_truncated";
        case drop_reason::tcp_bad_data_offset: return "tcp_bad_data_offset";
        case drop_reason::tcp_bad_checksum: return "tcp_bad_checksum";
        case drop_reason::tcp_bad_option: return "tcp_bad_option";
        case drop_reason::igmp_truncated: return "igmp_truncated";
        case drop_reason::igmp_bad_checksum: return "igmp_bad_checksum";
        case drop_reason::igmp_bad_length: return "igmp_bad_length";
        case drop_reason::no_mbufs: return "no_mbufs";
        case drop_reason::ethernet_not_for_us: return "ethernet_not_for_us";
        case drop_reason::vlan_not_configured: return "vlan_not_configured";
        case drop_reason::arp_not_for_us: return "arp_not_for_us";
        case drop_reason::arp_address_conflict: return "arp_address_conflict";
        case drop_reason::ipv4_not_for_us: return "ipv4_not_for_us";
        case drop_reason::ipv4_bad_source: return "ipv4_bad_source";
        case drop_reason::ipv4_protocol_unsupported: return "ipv4_protocol_unsupported";
        case drop_reason::icmp_not_handled: return "icmp_not_handled";
        case drop_reason::icmp_error_unmatched: return "icmp_error_unmatched";
        case drop_reason::udp_port_unreachable: return "udp_port_unreachable";
        case drop_reason::udp_socket_queue_full: return "udp_socket_queue_full";
        case drop_reason::ethernet_group_not_joined: return "ethernet_group_not_joined";
        case drop_reason::ipv4_group_not_joined: return "ipv4_group_not_joined";
        case drop_reason::igmp_not_handled: return "igmp_not_handled";
        case drop_reason::udp_no_group_member: return "udp_no_group_member";
        case drop_reason::tcp_bad_flags: return "tcp_bad_flags";
        case drop_reason::tcp_not_unicast: return "tcp_not_unicast";
        case drop_reason::tcp_land: return "tcp_land";
        case drop_reason::count_: break;
    }
    return "unknown";
}

// One shard's drops, by reason. Plain counters: the owning shard counts, and a reader on
// another thread gets them through submit_to (docs/architecture.md, "Cross-core calls"), never by a
// shared read.
struct drop_counters {
    std::array<std::uint64_t, drop_reason_count> by_reason{};

    void count(drop_reason reason) noexcept {
        assert(reason < drop_reason::count_);
        ++by_reason[static_cast<std::size_t>(reason)];
    }

    std::uint64_t operator[](drop_reason reason) const noexcept {
        assert(reason < drop_reason::count_);
        return by_reason[static_cast<std::size_t>(reason)];
    }

    std::uint64_t total() const noexcept {
        std::uint64_t sum = 0;
        for (std::uint64_t n : by_reason) sum += n;
        return sum;
    }

    // Adds another shard's counts, for a report over all shards.
    drop_counters& operator+=(const drop_counters& other) noexcept {
        for (std::size_t i = 0; i < by_reason.size(); ++i) by_reason[i] += other.by_reason[i];
        return *this;
    }
};

}  // namespace sluice::net::wire
