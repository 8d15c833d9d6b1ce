// interface_options: --port, --address, --gateway, --mtu, --mac on a program's cli.
#include "sluice/net/interface_options.hh"

#include <utility>

namespace sluice::net {

void add_interface_options(cli& options, interface_options& into, std::string example_port,
                           std::string example_address) {
    options.add_option("port", "NAME", "the DPDK port, as EAL names it (e.g. " + example_port + ")",
                       [&into, example_port](std::string_view text) -> result<void> {
                           if (text.empty()) return error{"--port is empty; write e.g. --port " + example_port};
                           into.port_name = std::string(text);
                           return {};
                       },
                       example_port);
    options.add_option("address", "A.B.C.D/N", "the interface's IPv4 address and prefix length",
                       [&into](std::string_view text) -> result<void> {
                           auto parsed = parse_address_option(text);
                           if (!parsed) return parsed.failure();
                           into.config.address = *parsed;
                           into.have_address = true;
                           return {};
                       },
                       std::move(example_address));
    options.add_option("gateway", "A.B.C.D", "next hop for destinations outside the prefix",
                       [&into](std::string_view text) -> result<void> {
                           auto parsed = parse_gateway_option(text);
                           if (!parsed) return parsed.failure();
                           into.config.gateway = *parsed;
                           return {};
                       },
                       "198.18.0.2");
    options.add_option("mtu", "BYTES", "IP MTU of the link (default 1500)",
                       [&into](std::string_view text) -> result<void> {
                           auto parsed = parse_mtu_option(text);
                           if (!parsed) return parsed.failure();
                           into.config.mtu = *parsed;
                           return {};
                       },
                       "1500");
    options.add_option("mac", "XX:XX:XX:XX:XX:XX", "MAC address to use (default: the port's own)",
                       [&into](std::string_view text) -> result<void> {
                           auto parsed = parse_mac_option(text);
                           if (!parsed) return parsed.failure();
                           into.config.mac = *parsed;
                           return {};
                       },
                       "02:00:00:00:00:01");
}

result<void> check_interface_options(const interface_options& given, std::string_view example_port,
                                     std::string_view example_address) {
    if (given.port_name.empty()) {
        return error{"no port given; add --port NAME (e.g. --port " + std::string(example_port) + ")"};
    }
    if (!given.have_address) {
        return error{"no address given; add --address A.B.C.D/N (e.g. --address " + std::string(example_address) + ")"};
    }
    return given.config.validate();
}

}  // namespace sluice::net
