// sluice::net::wire::ipv4_header: the IPv4 header (RFC 791 section 3.1) as a plain value
// with parse and emit; options are skipped, never interpreted. Any thread; the caller owns
// the bytes (parse_result.hh states the rules). Reassembly and routing are the stack's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "sluice/net/wire/ipv4_address.hh"
#include "sluice/net/wire/parse_result.hh"

namespace sluice::net::wire {

// IANA "Assigned Internet Protocol Numbers", the header's protocol field.
inline constexpr std::uint8_t ip_protocol_icmp = 1;
inline constexpr std::uint8_t ip_protocol_tcp = 6;
inline constexpr std::uint8_t ip_protocol_udp = 17;

// Byte offsets: version/IHL @0, DSCP/ECN @1, total length @2-3, identification @4-5,
// flags/fragment offset @6-7, TTL @8, protocol @9, checksum @10-11, source @12-15,
// destination @16-19, options @20 up to IHL * 4.
struct ipv4_header {
    static constexpr std::size_t min_length = 20;  // IHL 5
    static constexpr std::size_t max_length = 60;  // IHL 15
    static constexpr std::size_t max_datagram_length = 65535;
    static constexpr std::size_t checksum_offset = 10;

    std::uint8_t dscp_ecn = 0;  // the former type-of-service byte (RFC 2474, RFC 3168)
    std::uint16_t total_length = 0;  // header and data
    std::uint16_t identification = 0;
    bool dont_fragment = false;
    bool more_fragments = false;
    std::uint16_t fragment_offset = 0;  // in bytes (the field times 8), so a multiple of 8
    std::uint8_t ttl = 64;
    std::uint8_t protocol = 0;
    std::uint16_t checksum = 0;  // as received; emit computes it unless told not to
    ipv4_address source;
    ipv4_address destination;
    std::size_t header_length = min_length;  // IHL * 4, options included; emit writes 20

    // A piece of a larger datagram: more follow, or it is not the first.
    bool is_fragment() const noexcept { return more_fragments || fragment_offset != 0; }
    // The data after the header; for a parsed header (total_length >= header_length).
    std::size_t payload_length() const noexcept { return total_length - header_length; }

    // Reads the header at the front of `packet` (the Ethernet payload). Refuses, in order:
    // - ipv4_truncated: fewer than 20 bytes;
    // - ipv4_bad_version: version is not 4;
    // - ipv4_bad_header_length: IHL below 5;
    // - ipv4_truncated: fewer bytes than IHL * 4;
    // - ipv4_bad_total_length: total length below IHL * 4;
    // - ipv4_truncated: fewer bytes than total length;
    // - ipv4_bad_checksum (when verify_checksum): the header, options included, does not
    //   sum to zero (RFC 791 3.1 "Header Checksum"). Pass false when the NIC checked it;
    // - ipv4_reserved_flag_set: flags bit 0, reserved, "must be zero" (RFC 791 3.1);
    // - ipv4_fragment_misaligned: more fragments follow but the data is not a multiple of
    //   8 bytes, which every fragment but the last must be (RFC 791 3.2, "Fragmentation
    //   and Reassembly": the data is broken on 8-octet boundaries);
    // - ipv4_fragment_too_large: fragment offset + data past 65535, a datagram no
    //   reassembly could hold (the "ping of death"; RFC 791 3.1 caps total length at 65535).
    // Bytes past total length are Ethernet padding (a short packet in a 60-byte frame):
    // the caller trims them, cutting packet to total_length.
    static parse_result<ipv4_header> parse(std::span<const std::byte> packet, bool verify_checksum = true) noexcept {
        return parse(packet, packet.size(), verify_checksum);
    }
    // The same, for a packet whose header is in `header_bytes` (at least the whole
    // header, e.g. the first segment of a chain) and which has `bytes_available` bytes in
    // all: total length is checked against bytes_available instead.
    static parse_result<ipv4_header> parse(std::span<const std::byte> header_bytes, std::size_t bytes_available,
                                           bool verify_checksum = true) noexcept;

    // Writes a 20-byte header (IHL 5, no options: header_length is not consulted) at the
    // front of `out`. With fill_checksum it computes the checksum over those 20 bytes
    // (the `checksum` member is ignored); without, it writes `checksum` as it is: 0 for a
    // NIC that fills it in (tx_ipv4_checksum offload).
    void emit(std::span<std::byte> out, bool fill_checksum = true) const noexcept;
    // The same with `options` after the 20 bytes (a multiple of 4, at most 40, copied as
    // given) and IHL counting them: 20 + options.size() bytes written.
    void emit(std::span<std::byte> out, std::span<const std::byte> options, bool fill_checksum = true) const noexcept;

    friend bool operator==(const ipv4_header&, const ipv4_header&) = default;
};

// The Router Alert option (RFC 2113 2.1): type 148 (copied, class 0, number 20), length
// 4, value 0 ("router shall examine packet"). IGMP messages carry it (RFC 3376 4).
inline constexpr std::size_t ipv4_router_alert_length = 4;
inline constexpr std::byte ipv4_router_alert[ipv4_router_alert_length] = {std::byte{0x94}, std::byte{0x04},
                                                                          std::byte{0x00}, std::byte{0x00}};
// Whether the options of a whole header (`header_bytes`, as for the walk below) hold a
// Router Alert option.
bool has_ipv4_router_alert(std::span<const std::byte> header_bytes) noexcept;

// Walks the options of a whole IPv4 header (`header_bytes`, header_length long: the 20
// fixed bytes, then the options) by their lengths (RFC 791 3.1, "Options"): end of list
// (0) stops the walk, no operation (1) is one octet, every other option is type, length
// (counting both) and data. Returns the offset, from the header's first octet, of the
// first option that cannot be read — a length below 2, or one that runs past the header —
// or nothing when the list reads to its end. No option is acted on. Linux refuses the
// same lists and points its parameter problem at the same octet (the option's type).
std::optional<std::size_t> find_malformed_ipv4_option(std::span<const std::byte> header_bytes) noexcept;

}  // namespace sluice::net::wire
