// sluice::net::wire::icmp_header: the 8-byte ICMP header (RFC 792) as a plain value with
// parse and emit, type and code constants, and the checksum over a message in pieces.
// Any thread; the caller owns the bytes (parse_result.hh states the rules).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "sluice/net/wire/parse_result.hh"

namespace sluice::net::wire {

// Types (RFC 792; IANA "ICMP Type Numbers").
inline constexpr std::uint8_t icmp_type_echo_reply = 0;
inline constexpr std::uint8_t icmp_type_destination_unreachable = 3;
inline constexpr std::uint8_t icmp_type_echo_request = 8;
inline constexpr std::uint8_t icmp_type_time_exceeded = 11;
inline constexpr std::uint8_t icmp_type_parameter_problem = 12;

// Codes of destination unreachable (RFC 792; fragmentation needed carries the next-hop
// MTU in the low 16 bits of `rest`, RFC 1191 section 4).
inline constexpr std::uint8_t icmp_code_network_unreachable = 0;
inline constexpr std::uint8_t icmp_code_host_unreachable = 1;
inline constexpr std::uint8_t icmp_code_protocol_unreachable = 2;
inline constexpr std::uint8_t icmp_code_port_unreachable = 3;
inline constexpr std::uint8_t icmp_code_fragmentation_needed = 4;
// Codes of time exceeded.
inline constexpr std::uint8_t icmp_code_ttl_exceeded = 0;
inline constexpr std::uint8_t icmp_code_reassembly_time_exceeded = 1;

// Byte offsets: type @0, code @1, checksum @2-3, rest of header @4-7 (identifier @4-5 and
// sequence number @6-7 in echo and echo reply; unused or type-specific otherwise).
struct icmp_header {
    static constexpr std::size_t length = 8;
    static constexpr std::size_t checksum_offset = 2;

    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint16_t checksum = 0;  // as received, or as emit writes it
    std::uint32_t rest = 0;      // identifier << 16 | sequence for echo

    std::uint16_t identifier() const noexcept { return static_cast<std::uint16_t>(rest >> 16); }
    std::uint16_t sequence() const noexcept { return static_cast<std::uint16_t>(rest); }

    // Reads the header of `message`, the whole ICMP message (the IPv4 payload, trimmed to
    // the IPv4 total length). Refuses: icmp_truncated below 8 bytes; icmp_bad_checksum
    // when verify_checksum and the message does not sum to zero (RFC 792, "Checksum").
    // When the message spans several segments, pass only the first (at least 8 bytes)
    // with verify_checksum false, and check with icmp_checksum_valid over all of them.
    static parse_result<icmp_header> parse(std::span<const std::byte> message, bool verify_checksum = true) noexcept;

    // Writes `length` bytes at the front of `out`, `checksum` as it is: set it first with
    // icmp_checksum(header, payload).
    void emit(std::span<std::byte> out) const noexcept;

    friend bool operator==(const icmp_header&, const icmp_header&) = default;
};

// The checksum to store in `header` for a message of `header` then `payload` (in one span
// or in pieces, in order); header.checksum is not read, it counts as zero.
std::uint16_t icmp_checksum(const icmp_header& header, std::span<const std::byte> payload) noexcept;
std::uint16_t icmp_checksum(const icmp_header& header,
                            std::span<const std::span<const std::byte>> payload_pieces) noexcept;

// Whether a received message, given as its pieces in order (header first, checksum as
// received), sums to zero.
bool icmp_checksum_valid(std::span<const std::span<const std::byte>> message_pieces) noexcept;

}  // namespace sluice::net::wire
