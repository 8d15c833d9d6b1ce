// sluice::net::wire IGMP: the messages of IGMPv1 (RFC 1112 appendix I), IGMPv2 (RFC 2236
// section 2) and IGMPv3 (RFC 3376 section 4) as plain values with parse and emit, the
// well-known group addresses, the max-response-code encoding and the Ethernet address a
// group maps to (RFC 1112 6.4). Any thread; the caller owns the bytes (parse_result.hh
// states the rules).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "sluice/net/wire/ethernet_address.hh"
#include "sluice/net/wire/ipv4_address.hh"
#include "sluice/net/wire/parse_result.hh"

namespace sluice::net::wire {

inline constexpr std::uint8_t ip_protocol_igmp = 2;  // IANA protocol numbers

// Message types (RFC 3376 4; RFC 2236 2.1).
inline constexpr std::uint8_t igmp_type_membership_query = 0x11;
inline constexpr std::uint8_t igmp_type_v1_membership_report = 0x12;
inline constexpr std::uint8_t igmp_type_v2_membership_report = 0x16;
inline constexpr std::uint8_t igmp_type_v2_leave_group = 0x17;
inline constexpr std::uint8_t igmp_type_v3_membership_report = 0x22;

// Group record types of a version 3 report (RFC 3376 4.2.12).
inline constexpr std::uint8_t igmp_record_mode_is_include = 1;
inline constexpr std::uint8_t igmp_record_mode_is_exclude = 2;
inline constexpr std::uint8_t igmp_record_change_to_include = 3;
inline constexpr std::uint8_t igmp_record_change_to_exclude = 4;
inline constexpr std::uint8_t igmp_record_allow_new_sources = 5;
inline constexpr std::uint8_t igmp_record_block_old_sources = 6;

// 224.0.0.1, every host: joined by all, never reported (RFC 2236 6; RFC 3376 5).
inline constexpr ipv4_address igmp_all_hosts = ipv4_address::from_octets(224, 0, 0, 1);
// 224.0.0.2, every router: where version 2 leaves go (RFC 2236 3).
inline constexpr ipv4_address igmp_all_routers = ipv4_address::from_octets(224, 0, 0, 2);
// 224.0.0.22, every IGMPv3 router: where version 3 reports go (RFC 3376 4.2.14).
inline constexpr ipv4_address igmp_v3_routers = ipv4_address::from_octets(224, 0, 0, 22);

// 224.0.0.0/24, the local network control block (RFC 5771 4): never joined by a socket.
constexpr bool is_local_control_group(ipv4_address group) noexcept { return (group.value >> 8) == 0xe00000u; }

// The Ethernet address of an IPv4 group: 01:00:5e, a zero bit, then the group's low 23
// bits (RFC 1112 6.4). 32 groups share each address, so the IP layer still checks.
constexpr ethernet_address multicast_mac(ipv4_address group) noexcept {
    return {{0x01, 0x00, 0x5e, static_cast<std::uint8_t>((group.value >> 16) & 0x7f),
             static_cast<std::uint8_t>(group.value >> 8), static_cast<std::uint8_t>(group.value)}};
}
// Whether `mac` is in the IPv4 multicast block 01:00:5e:00:00:00-01:00:5e:7f:ff:ff.
constexpr bool is_ipv4_multicast_mac(const ethernet_address& mac) noexcept {
    return mac.bytes[0] == 0x01 && mac.bytes[1] == 0x00 && mac.bytes[2] == 0x5e && (mac.bytes[3] & 0x80) == 0;
}

// The Max Resp Code of a query (RFC 3376 4.1.1) and the QQIC (4.1.7) share one encoding:
// below 128 the value itself; above, a 3-bit exponent and a 4-bit mantissa,
// (mant | 0x10) << (exp + 3). Max Resp Code counts tenths of a second, QQIC seconds.
constexpr std::uint32_t igmp_decode_code(std::uint8_t code) noexcept {
    if (code < 128) return code;
    const std::uint32_t mantissa = code & 0x0fu;
    const std::uint32_t exponent = (code >> 4) & 0x07u;
    return (mantissa | 0x10u) << (exponent + 3);
}
// The code for `value`, rounded down to what the encoding can say (at most 31744).
std::uint8_t igmp_encode_code(std::uint32_t value) noexcept;

using igmp_tenths = std::chrono::duration<std::uint32_t, std::deci>;

// A membership query of any version. The version follows from the length and the code
// (RFC 3376 7.1): 8 bytes and code 0 is version 1; 8 bytes is version 2; 12 or more is
// version 3.
struct igmp_query {
    unsigned version = 3;
    ipv4_address group;                // 0.0.0.0 in a general query
    igmp_tenths max_response{100};     // version 1: 10 s (RFC 2236 4)
    // Version 3 only (RFC 3376 4.1.5 - 4.1.9).
    bool suppress_router_processing = false;
    std::uint8_t robustness = 0;       // QRV; 0 when the querier's is above 7
    std::uint32_t query_interval_seconds = 0;  // decoded QQIC
    std::uint16_t source_count = 0;    // a group-and-source-specific query lists sources

    bool is_general() const noexcept { return group.is_unspecified(); }
};

// One group record of a version 3 report (RFC 3376 4.2.4): the type, the group and how
// many sources follow. Records we send have no sources and no auxiliary data.
struct igmp_group_record {
    static constexpr std::size_t min_length = 8;

    std::uint8_t type = 0;
    ipv4_address group;
    std::uint16_t source_count = 0;
    std::size_t length = min_length;  // parsed: 8 + sources + auxiliary data

    // Reads the record at the front of `bytes`; igmp_truncated when it runs past them.
    static parse_result<igmp_group_record> parse(std::span<const std::byte> bytes) noexcept;
    // Writes 8 bytes: the record without sources.
    void emit(std::span<std::byte> out) const noexcept;
};

// A parsed IGMP message: its type, the group field, and what its version adds.
struct igmp_message {
    static constexpr std::size_t min_length = 8;
    static constexpr std::size_t v3_query_min_length = 12;
    static constexpr std::size_t v3_report_header_length = 8;
    static constexpr std::size_t checksum_offset = 2;

    std::uint8_t type = 0;
    std::uint8_t max_response_code = 0;
    std::uint16_t checksum = 0;
    ipv4_address group;            // not meaningful in a version 3 report
    igmp_query query;              // type membership_query only
    std::uint16_t record_count = 0;  // type v3_membership_report only; each record fits

    // Reads a whole IGMP message (the IPv4 payload, trimmed to the total length).
    // Refuses, in order:
    // - igmp_truncated: fewer than 8 bytes;
    // - igmp_bad_checksum: the message does not sum to zero (RFC 3376 4.1.2, RFC 2236 2.3);
    // - igmp_bad_length: a query of 9 to 11 bytes, which RFC 3376 7.1 says to ignore;
    // - igmp_truncated: a version 3 query or report shorter than its source or record
    //   counts say (each record walked, RFC 3376 4.2.4).
    // Bytes past what a version 3 query's sources cover are ignored (RFC 3376 4.1.10).
    static parse_result<igmp_message> parse(std::span<const std::byte> message) noexcept;
};

// Writes an 8-byte version 1 or 2 message (a report, a leave or a query), checksum filled.
void emit_igmp_v2_message(std::span<std::byte> out, std::uint8_t type, std::uint8_t max_response_code,
                          ipv4_address group) noexcept;

// The bytes a version 3 report of `records` records without sources takes.
constexpr std::size_t igmp_v3_report_length(std::size_t records) noexcept {
    return igmp_message::v3_report_header_length + records * igmp_group_record::min_length;
}
// Writes a version 3 report of `records` (none with sources), checksum filled; `out`
// holds igmp_v3_report_length(records.size()) bytes. At most 65535 records.
void emit_igmp_v3_report(std::span<std::byte> out, std::span<const igmp_group_record> records) noexcept;

// Writes a version 3 query, checksum filled: 12 bytes (no sources).
void emit_igmp_v3_query(std::span<std::byte> out, ipv4_address group, std::uint8_t max_response_code,
                        std::uint8_t robustness, std::uint8_t query_interval_code) noexcept;

}  // namespace sluice::net::wire
