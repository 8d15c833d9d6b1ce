// sluice::net::wire addresses: ipv4_address and ipv4_prefix (values, host byte order).
// MAC addresses are in ethernet_address.hh.
// Plain values any thread may use; parse and to_string are for configuration, not packets.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>


namespace sluice::net::wire {

// An IPv4 address as a number in host byte order: 198.18.0.1 is 0xc6120001, the way the
// RSS hasher (lib/net/rss.hh) and the checksum take it. Parsers load it from the wire with
// load_be32 and emitters store it with store_be32.
struct ipv4_address {
    std::uint32_t value = 0;  // host byte order

    static constexpr ipv4_address from_octets(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept {
        return {std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d};
    }

    // Strict dotted quad, as configuration takes it: exactly four decimal parts 0..255
    // separated by '.', nothing else (no sign, no spaces, no empty part). A part with a
    // leading zero ("01", "010") is refused: inet_aton(3) reads it as octal, so "010" would
    // mean 8 there and 10 here. Refusing it removes the ambiguity; it is RFC 3986's
    // dec-octet grammar (section 3.2.2; section 7.4 on the octal reading).
    static std::optional<ipv4_address> parse(std::string_view text) noexcept;

    std::string to_string() const;  // "198.18.0.1"

    // 255.255.255.255, the limited broadcast (RFC 919 section 7, RFC 1122 3.2.1.3 (c)).
    constexpr bool is_broadcast() const noexcept { return value == 0xffffffffu; }
    // 224.0.0.0/4 (RFC 5771).
    constexpr bool is_multicast() const noexcept { return (value >> 28) == 0xeu; }
    // 0.0.0.0, "this host" (RFC 1122 3.2.1.3 (a)); only ever a source.
    constexpr bool is_unspecified() const noexcept { return value == 0; }

    friend constexpr auto operator<=>(const ipv4_address&, const ipv4_address&) = default;
};

// An address with a prefix length: "198.18.0.1/24" is interface address 198.18.0.1 on
// network 198.18.0.0, mask 255.255.255.0. `address` keeps its host bits as given.
struct ipv4_prefix {
    ipv4_address address;
    unsigned length = 0;  // 0..32

    // "a.b.c.d/n": an address as ipv4_address::parse takes it, '/', and n in 0..32 written
    // in decimal without a leading zero (so "/0" but not "/024").
    static std::optional<ipv4_prefix> parse(std::string_view text) noexcept;

    constexpr std::uint32_t mask() const noexcept {
        // A shift by 32 is undefined, so /0 is a case of its own.
        return length == 0 ? 0u : length >= 32 ? 0xffffffffu : ~std::uint32_t{0} << (32 - length);
    }
    constexpr ipv4_address network() const noexcept { return {address.value & mask()}; }
    // The directed broadcast (RFC 919 section 7): the network with every host bit set.
    constexpr ipv4_address broadcast() const noexcept { return {network().value | ~mask()}; }
    // `other` is this prefix's directed broadcast. A /31 (RFC 3021) and a /32 have none:
    // every address in them is a host.
    constexpr bool is_directed_broadcast(ipv4_address other) const noexcept {
        return length < 31 && other == broadcast();
    }
    constexpr bool contains(ipv4_address other) const noexcept {
        return (other.value & mask()) == network().value;
    }

    std::string to_string() const;  // "198.18.0.1/24"

    friend constexpr bool operator==(const ipv4_prefix&, const ipv4_prefix&) = default;
};

}  // namespace sluice::net::wire

// So an address can key an unordered container (the ARP cache, sockets by address).
template <>
struct std::hash<sluice::net::wire::ipv4_address> {
    std::size_t operator()(const sluice::net::wire::ipv4_address& address) const noexcept {
        return std::hash<std::uint32_t>{}(address.value);
    }
};
