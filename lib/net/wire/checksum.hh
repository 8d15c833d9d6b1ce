// sluice::net::wire::internet_checksum: the 16-bit one's complement sum of RFC 1071, fed
// any number of byte spans in order (a header, then each mbuf segment of a payload). A
// plain value: each caller builds its own on its own stack; it never keeps the spans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net::wire {

// Computing: add the message with its checksum field zero, store finish().
// Verifying: add the message as received, checksum included; it is intact when finish()
// is 0 (RFC 1071 section 1, step (3)).
//
// The bytes form one stream however they are split: after a span of odd length the next
// byte is the low half of a 16-bit word whose high half ended that span. An odd total is
// padded with one zero byte at the end (RFC 768; RFC 9293 section 3.1); finish() does so.
class internet_checksum {
public:
    // Adds `bytes` at the current position of the stream.
    void add(std::span<const std::byte> bytes) noexcept;

    // Adds `value` as its two bytes, most significant first, at the current position:
    // the same as add() on its big-endian form.
    void add16(std::uint16_t value) noexcept {
        // An odd position puts the high byte in the low half of one word and the low byte in
        // the high half of the next: the sum then gains the swapped value.
        sum_ += odd_ ? static_cast<std::uint16_t>(value << 8 | value >> 8) : value;
    }

    // Adds `value` as its four bytes, most significant first, at the current position.
    void add32(std::uint32_t value) noexcept {
        add16(static_cast<std::uint16_t>(value >> 16));
        add16(static_cast<std::uint16_t>(value));
    }

    // The IPv4 pseudo header that UDP (RFC 768) and TCP (RFC 9293 section 3.1) put in
    // front of their segment for the checksum: source, destination, a zero byte, the
    // protocol and the UDP/TCP length (header and data, not the pseudo header). It has an
    // even length, so it is summed as though it were prepended, whenever it is added.
    void add_ipv4_pseudo_header(ipv4_address source, ipv4_address destination, std::uint8_t protocol,
                                std::uint16_t length) noexcept {
        sum_ += (source.value >> 16) + (source.value & 0xffffu) + (destination.value >> 16) +
                (destination.value & 0xffffu) + protocol + length;
    }

    // The one's complement of the folded sum, in host byte order, ready for store_be16.
    std::uint16_t finish() const noexcept;

    // The checksum of one contiguous message: internet_checksum, add(bytes), finish().
    static std::uint16_t of(std::span<const std::byte> bytes) noexcept {
        internet_checksum sum;
        sum.add(bytes);
        return sum.finish();
    }

    // The start of every UDP and TCP checksum over IPv4: a sum holding the pseudo header.
    static internet_checksum for_l4(ipv4_address source, ipv4_address destination, std::uint8_t protocol,
                                    std::uint16_t length) noexcept {
        internet_checksum sum;
        sum.add_ipv4_pseudo_header(source, destination, protocol, length);
        return sum;
    }

private:
    // Sum of 16-bit words, and inside add() of 32-bit words (RFC 1071 section 2 (C),
    // parallel summation: 2^16 is 1 modulo 0xffff, so both fold to the same 16 bits). The
    // carries are deferred (section 2 (D)); add() folds to about 32 bits before returning,
    // so only a single span longer than 2^47 bytes could overflow it.
    std::uint64_t sum_ = 0;
    bool odd_ = false;  // an odd number of bytes so far: the next byte is a low half
};

// What the L4 checksum field holds when the device computes the checksum (DPDK's rule for
// the TCP and UDP offloads): the pseudo-header sum, not inverted.
inline std::uint16_t l4_offload_seed(ipv4_address source, ipv4_address destination, std::uint8_t protocol,
                                     std::uint16_t length) noexcept {
    return static_cast<std::uint16_t>(~internet_checksum::for_l4(source, destination, protocol, length).finish());
}

}  // namespace sluice::net::wire
