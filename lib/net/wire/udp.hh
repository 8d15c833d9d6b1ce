// sluice::net::wire::udp_header: the 8-byte UDP header (RFC 768) as a plain value with
// parse and emit, and the checksum over the IPv4 pseudo header, header and payload pieces.
// Any thread; the caller owns the bytes (parse_result.hh states the rules).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "sluice/net/wire/ipv4_address.hh"
#include "sluice/net/wire/parse_result.hh"

namespace sluice::net::wire {

// Byte offsets: source port @0-1, destination port @2-3, length @4-5, checksum @6-7.
struct udp_header {
    static constexpr std::size_t length_bytes = 8;
    static constexpr std::size_t checksum_offset = 6;

    std::uint16_t source_port = 0;  // 0: none given, no reply expected (RFC 768)
    std::uint16_t destination_port = 0;
    std::uint16_t length = length_bytes;  // header and data
    std::uint16_t checksum = 0;           // 0: the sender computed none (RFC 768)

    std::size_t payload_length() const noexcept { return length - length_bytes; }

    // Reads the header from `header_bytes` (the front of the datagram, at least 8 bytes;
    // the rest may sit in other segments). `bytes_available` is how many bytes the IPv4
    // payload holds (total length less the IPv4 header). Refuses: udp_truncated when
    // either is below 8 or when the length field claims more than bytes_available;
    // udp_bad_length when the length field is below 8. A length field below
    // bytes_available leaves bytes after the datagram: the caller trims them. The checksum
    // is not verified here: that needs the addresses (udp_checksum_valid).
    static parse_result<udp_header> parse(std::span<const std::byte> header_bytes,
                                          std::size_t bytes_available) noexcept;
    // The whole datagram in one span: parse(datagram, datagram.size()).
    static parse_result<udp_header> parse(std::span<const std::byte> datagram) noexcept {
        return parse(datagram, datagram.size());
    }

    // The header as an ICMP error quotes it (RFC 792: the first 8 bytes of a datagram whose
    // rest is cut off): refuses only udp_truncated below 8 bytes; the length field is
    // returned as found, unchecked.
    static parse_result<udp_header> parse_quoted(std::span<const std::byte> quoted) noexcept;

    // Writes `length_bytes` bytes at the front of `out`, `checksum` as it is: set it first
    // with udp_checksum (or leave it 0 for none, or for a NIC with tx_udp_checksum).
    void emit(std::span<std::byte> out) const noexcept;

    friend bool operator==(const udp_header&, const udp_header&) = default;
};

// The checksum to store in `header` for a datagram from `source` to `destination` made of
// `header` then `payload` (one span, or pieces in order): the Internet checksum over the
// pseudo header (RFC 768: addresses, protocol 17, header.length), header (checksum field
// counted as zero) and payload. header.length must be 8 + the payload's bytes. A computed
// 0 comes back as 0xffff, since 0 on the wire means "no checksum" (RFC 768).
std::uint16_t udp_checksum(ipv4_address source, ipv4_address destination, const udp_header& header,
                           std::span<const std::byte> payload) noexcept;
std::uint16_t udp_checksum(ipv4_address source, ipv4_address destination, const udp_header& header,
                           std::span<const std::span<const std::byte>> payload_pieces) noexcept;

// Whether a received datagram's checksum holds: true when header.checksum is 0 (the sender
// computed none, RFC 768), else whether pseudo header, header and payload sum to zero.
// `payload` is the header.length - 8 bytes after the header (trimmed as parse says).
bool udp_checksum_valid(ipv4_address source, ipv4_address destination, const udp_header& header,
                        std::span<const std::byte> payload) noexcept;
bool udp_checksum_valid(ipv4_address source, ipv4_address destination, const udp_header& header,
                        std::span<const std::span<const std::byte>> payload_pieces) noexcept;

}  // namespace sluice::net::wire
