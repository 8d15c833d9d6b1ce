// sluice::packetdrill::host_flags: what --so_flags may set for the host under test —
// its address and MTU, and the connection_options every new socket starts with (Sluice's
// timing defaults differ from Linux's: docs/packetdrill.md). Parsed once, in
// packetdrill_interface_init, from "key=value" words separated by spaces or commas.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sluice/core/result.hh"
#include "sluice/net/tcp/connection.hh"
#include "sluice/net/tcp/connection_table.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::packetdrill {

struct host_flags {
    // packetdrill passes its --local_ip only in the packets: say it again here when it is
    // not tools/packetdrill's 198.18.0.1.
    net::wire::ipv4_address local = net::wire::ipv4_address::from_octets(198, 18, 0, 1);
    std::size_t mtu = 1500;
    net::tcp::connection_options options;
    net::tcp::table_limits limits;
};

// The flags, or one line naming the word that is wrong and the keys there are.
result<host_flags> parse_host_flags(std::string_view text);

// The keys, one line each with what they set (for the error message and the docs).
std::string host_flags_help();

}  // namespace sluice::packetdrill
