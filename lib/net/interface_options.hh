// sluice::net::interface_options: the command-line options every program with one
// interface takes — --port, --address, --gateway, --mtu, --mac — registered once on a
// program's cli, with the one-line errors that name the fix. Control path, before the
// runtime starts; the program owns the values it is given.
#pragma once

#include <string>
#include <string_view>

#include "sluice/core/cli.hh"
#include "sluice/core/result.hh"
#include "sluice/net/interface_config.hh"

namespace sluice::net {

struct interface_options {
    std::string port_name;    // as EAL names it (net_af_packet0, 0000:3b:00.0)
    interface_config config;  // the address and the rest, as given
    bool have_address = false;
};

// Registers the five options on `options`, filling `into`. The examples shown in the
// help and in errors: `example_port` (e.g. "net_af_packet0"), `example_address`
// (e.g. "198.18.0.1/30").
void add_interface_options(cli& options, interface_options& into, std::string example_port,
                           std::string example_address);

// After parsing: the port and address were given and the configuration holds together;
// else one line naming the missing option.
result<void> check_interface_options(const interface_options& given, std::string_view example_port,
                                     std::string_view example_address);

}  // namespace sluice::net
