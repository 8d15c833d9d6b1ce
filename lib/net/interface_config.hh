// sluice::net::interface_config: how one port takes part in IPv4 — its address and prefix,
// gateway, MTU and MAC — built in code or from command-line text. Control path only: set
// up before the shards start; each shard's stack keeps its own copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sluice/core/result.hh"
#include "sluice/net/wire/ethernet_address.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net {

struct interface_config {
    wire::ipv4_prefix address;                   // e.g. 198.18.0.1/30: our address and the on-link net
    std::optional<wire::ipv4_address> gateway;   // next hop for destinations off the prefix
    std::uint16_t mtu = 1500;                    // IP bytes per frame, Ethernet header not counted
    std::optional<ethernet_address> mac;         // default: the device's own

    // The smallest MTU IPv4 allows every host to use (RFC 791: 68) and the largest one
    // frame carries in our mbufs without jumbo support.
    static constexpr std::uint16_t min_mtu = 68;
    static constexpr std::uint16_t max_mtu = 9000;

    // Checks the fields belong together: a usable unicast address, a gateway inside the
    // prefix, an MTU in range, a unicast MAC. One line naming the field on failure.
    result<void> validate() const;
};

// Command-line forms, each failing with one line that names the option and shows a
// correct value: "--address 198.18.0.1/30", "--gateway 198.18.0.2", "--mtu 1500",
// "--mac 02:00:00:00:00:01".
result<wire::ipv4_prefix> parse_address_option(std::string_view text);
result<wire::ipv4_address> parse_gateway_option(std::string_view text);
result<std::uint16_t> parse_mtu_option(std::string_view text);
result<ethernet_address> parse_mac_option(std::string_view text);

}  // namespace sluice::net
