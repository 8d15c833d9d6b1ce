// sluice::net::wire::ethernet_address: a 48-bit MAC address (IEEE Std 802) as a plain value,
// its strict text form for configuration, and its classification (broadcast, group).
// Any thread; no dependency outside the standard library.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::net::wire {

struct ethernet_address {
    std::array<std::uint8_t, 6> bytes{};  // first byte on the wire first

    // "02:00:00:00:00:01": exactly six groups of two hex digits (either case) separated
    // by ':'. For configuration and command lines, not packets.
    static std::optional<ethernet_address> parse(std::string_view text) noexcept;
    std::string to_string() const;  // lower-case hex, the form parse() reads

    friend constexpr bool operator==(const ethernet_address&, const ethernet_address&) = default;
};

inline constexpr ethernet_address ethernet_broadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

constexpr bool is_broadcast(const ethernet_address& address) noexcept { return address == ethernet_broadcast; }

// The individual/group (I/G) bit of IEEE Std 802, the least significant bit of the first
// byte on the wire: set for multicast and for broadcast.
constexpr bool is_multicast(const ethernet_address& address) noexcept { return (address.bytes[0] & 1u) != 0; }

}  // namespace sluice::net::wire

namespace sluice::net {
// The stack, its drivers and its configuration name MAC addresses unqualified.
using wire::ethernet_address;
}  // namespace sluice::net
