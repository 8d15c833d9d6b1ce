// The seams between IPv4 and the protocols above it (docs/architecture.md, "Protocols plug
// in"): an l4_protocol takes the datagrams IPv4 delivers to its protocol number and the
// ICMP errors that quote what it sent; icmp_error_sender is how a protocol asks ICMP to
// report a datagram it cannot take. Implemented by ICMP, UDP and TCP; called on the
// shard that owns the stack, run to completion, with the time passed in (sans-I/O).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "sluice/core/clock.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/wire/ipv4.hh"

namespace sluice::net {

// An ICMP error about a datagram we sent (RFC 792; RFC 1122 3.2.2): who reported it, the
// message's type, code and second word (next-hop MTU for fragmentation needed, the
// pointer for parameter problem), and the header and first payload bytes of our datagram
// as the reporter quoted them. The spans are valid only during the call.
struct icmp_error {
    wire::ipv4_address reporter;
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint32_t rest = 0;
    wire::ipv4_header quoted_header;
    std::span<const std::byte> quoted_payload;  // at least 8 bytes (RFC 792), often more (RFC 1812 4.3.2.3)
};

class l4_protocol {
public:
    virtual ~l4_protocol() = default;

    // A datagram for us: its IPv4 header (reassembled when it came in fragments) and its
    // payload, the L4 header first, trimmed to the IPv4 total length.
    virtual void receive(const wire::ipv4_header& header, packet&& payload, clock::time_point now) = 0;

    // An ICMP error quoting a datagram of this protocol (RFC 1122 3.2.2.1: passed to the
    // transport protocol it names). The protocol decides what it means for the flow.
    virtual void receive_icmp_error(const icmp_error& error, clock::time_point now) = 0;
};

class icmp_error_sender {
public:
    virtual ~icmp_error_sender() = default;

    // Sends ICMP `type`/`code` with `rest` about a datagram that arrived with `header`.
    // `quoted` is what the message carries of it: its IP header (as received, options
    // included, or re-emitted) and at least the first 8 bytes of its payload (RFC 792).
    // The sender applies the rules of RFC 1122 3.2.2 (never about broadcasts, never from
    // a non-unicast source) and the rate limit (RFC 1812 4.3.2.8).
    virtual void send_error(std::uint8_t type, std::uint8_t code, std::uint32_t rest, const wire::ipv4_header& header,
                            std::span<const std::byte> quoted, clock::time_point now) = 0;
};

// What an ICMP error quotes of a datagram whose IP header is known only as a parsed value
// (a protocol that got its payload): the header re-emitted without options, then the first
// 8 bytes of `payload`. Writes into `out` and returns the bytes used.
inline constexpr std::size_t quote_length = wire::ipv4_header::min_length + 8;
std::span<const std::byte> quote_datagram(const wire::ipv4_header& header, const packet& payload,
                                          std::span<std::byte, quote_length> out) noexcept;

}  // namespace sluice::net
