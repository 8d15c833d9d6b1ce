// Internet checksums over packets (one mbuf chain), segment by segment, without copying:
// add_to_checksum feeds a packet to an RFC 1071 sum; internet_checksum_of sums a whole
// ICMP message; l4_checksum is the one UDP and TCP checksum over IPv4 (RFC 768, RFC 9293
// 3.1). Any thread that may read the packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "sluice/net/packet.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net {

// Walks the segments in place (packet_access.cc): no array of views to fill first.
void add_to_checksum(wire::internet_checksum& sum, const packet& bytes) noexcept;

// The checksum of a whole message that may span segments (0 when an intact one is summed).
inline std::uint16_t internet_checksum_of(const packet& message) noexcept {
    wire::internet_checksum sum;
    add_to_checksum(sum, message);
    return sum.finish();
}

// The pseudo header plus every byte of `segment`, its L4 header included: 0 when a
// received segment is intact; the value to store when summed with the field zero (UDP
// sends a computed 0 as 0xffff, RFC 768).
inline std::uint16_t l4_checksum(wire::ipv4_address source, wire::ipv4_address destination, std::uint8_t protocol,
                                 const packet& segment) noexcept {
    auto sum = wire::internet_checksum::for_l4(source, destination, protocol, std::uint16_t(segment.length()));
    add_to_checksum(sum, segment);
    return sum.finish();
}

}  // namespace sluice::net
