#include "sluice/net/interface_config.hh"

#include <charconv>
#include <string>

namespace sluice::net {

namespace {

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

result<wire::ipv4_prefix> parse_address_option(std::string_view text) {
    const auto prefix = wire::ipv4_prefix::parse(text);
    if (!prefix) {
        return error{"--address " + quoted(text) + " is not an IPv4 address with a prefix length; write e.g. "
                     "--address 198.18.0.1/30"};
    }
    return *prefix;
}

result<wire::ipv4_address> parse_gateway_option(std::string_view text) {
    const auto address = wire::ipv4_address::parse(text);
    if (!address) return error{"--gateway " + quoted(text) + " is not an IPv4 address; write e.g. --gateway 198.18.0.2"};
    return *address;
}

result<std::uint16_t> parse_mtu_option(std::string_view text) {
    unsigned value = 0;
    const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || status != std::errc{} || end != text.data() + text.size() ||
        value < interface_config::min_mtu || value > interface_config::max_mtu) {
        return error{"--mtu " + quoted(text) + " is not a whole number from " +
                     std::to_string(interface_config::min_mtu) + " to " + std::to_string(interface_config::max_mtu) +
                     "; write e.g. --mtu 1500"};
    }
    return std::uint16_t(value);
}

result<ethernet_address> parse_mac_option(std::string_view text) {
    const auto mac = wire::ethernet_address::parse(text);
    if (!mac) return error{"--mac " + quoted(text) + " is not a MAC address; write e.g. --mac 02:00:00:00:00:01"};
    if (wire::is_multicast(*mac)) {
        return error{"--mac " + quoted(text) + " is a multicast address (lowest bit of the first byte set); use a "
                     "unicast one such as 02:00:00:00:00:01"};
    }
    return *mac;
}

result<void> interface_config::validate() const {
    const wire::ipv4_address own = address.address;
    if (own.is_unspecified() || own.is_multicast() || own.is_broadcast() || address.length > 32) {
        return error{"interface address " + own.to_string() + "/" + std::to_string(address.length) +
                     " is not a unicast address; use e.g. --address 198.18.0.1/30"};
    }
    // On a /31 (RFC 3021) both addresses are hosts; otherwise the network and broadcast
    // addresses of the prefix are not.
    if ((address.length < 31 && own == address.network()) || address.is_directed_broadcast(own)) {
        return error{"interface address " + own.to_string() + " is the network or broadcast address of /" +
                     std::to_string(address.length) + "; pick a host address inside it"};
    }
    if (gateway) {
        const bool not_a_host =
            (address.length < 31 && *gateway == address.network()) || address.is_directed_broadcast(*gateway);
        if (!address.contains(*gateway) || *gateway == own || not_a_host) {
            return error{"gateway " + gateway->to_string() + " is not another host on " +
                         address.network().to_string() + "/" + std::to_string(address.length) +
                         "; pick an address inside the interface's prefix"};
        }
    }
    if (mtu < min_mtu || mtu > max_mtu) {
        return error{"MTU " + std::to_string(mtu) + " is out of range; use " + std::to_string(min_mtu) + " to " +
                     std::to_string(max_mtu)};
    }
    if (mac && wire::is_multicast(*mac)) {
        return error{"MAC " + mac->to_string() + " is a multicast address; use a unicast one such as 02:00:00:00:00:01"};
    }
    return {};
}

}  // namespace sluice::net
