// sluice::net::wire::arp_packet: an ARP message (RFC 826) for IPv4 over Ethernet, the only
// kind Sluice speaks, as a plain value with parse and emit. Any thread; the caller owns
// the bytes (parse_result.hh states the rules). The ARP cache is the stack's, not here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "sluice/net/wire/ethernet_address.hh"
#include "sluice/net/wire/ipv4_address.hh"
#include "sluice/net/wire/parse_result.hh"

namespace sluice::net::wire {

inline constexpr std::uint16_t arp_operation_request = 1;  // RFC 826 ar$op
inline constexpr std::uint16_t arp_operation_reply = 2;

// Byte offsets (RFC 826 "Packet format", with hln 6 and pln 4): hrd @0-1, pro @2-3,
// hln @4, pln @5, op @6-7, sha @8-13, spa @14-17, tha @18-23, tpa @24-27.
struct arp_packet {
    static constexpr std::size_t length = 28;
    static constexpr std::uint16_t hardware_type_ethernet = 1;  // ar$hrd, IANA "Hardware Types"

    std::uint16_t operation = arp_operation_request;  // 1 request, 2 reply
    ethernet_address sender_mac;
    ipv4_address sender_ip;
    ethernet_address target_mac;  // ignored in a request (zero is conventional)
    ipv4_address target_ip;

    // Reads the 28 bytes at the front of `message` (the Ethernet payload; the padding of a
    // minimum-size frame may follow and is ignored). Refuses: arp_truncated;
    // arp_unsupported_format unless hrd 1, pro 0x0800, hln 6, pln 4; arp_bad_operation
    // unless op is 1 or 2.
    static parse_result<arp_packet> parse(std::span<const std::byte> message) noexcept;

    // Writes `length` bytes at the front of `out`, Ethernet/IPv4 format fields included.
    void emit(std::span<std::byte> out) const noexcept;

    friend bool operator==(const arp_packet&, const arp_packet&) = default;
};

}  // namespace sluice::net::wire
