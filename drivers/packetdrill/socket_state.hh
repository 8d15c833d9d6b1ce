// sluice::packetdrill::socket_state: what socket_table keeps per file descriptor — its
// flags, the options its connection will take, what it is bound to, and the listener or
// connection it holds. Private to socket_table (socket_table.cc, socket_options.cc).
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "sluice/net/tcp/connection.hh"
#include "sluice/net/tcp/connection_table.hh"
#include "sluice/net/tcp/listener.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::packetdrill {

struct socket_state {
    int fd = -1;
    bool nonblocking = false;
    net::tcp::connection_options options;  // taken at listen() or connect()
    net::wire::ipv4_address bound_address;      // 0.0.0.0: any of ours
    std::uint16_t bound_port = 0;
    bool reuse_address = false;
    net::tcp::listener* listening = nullptr;
    net::tcp::connection_entry* entry = nullptr;  // held until release
    bool error_taken = false;                     // SO_ERROR is reported once (Linux's sk_err)
    bool connect_reported = false;                // a later connect() says EISCONN
    bool read_shut = false;
    bool write_shut = false;
    bool linger_abort = false;  // SO_LINGER with a zero timeout: close() sends RST
};

// One line on stderr naming what packetdrill asked for that we do not do
// (docs/packetdrill.md), and the answer: ENOTSUP.
inline int unsupported(const char* call, std::string_view what) {
    std::fprintf(stderr, "sluice_packetdrill: %s: %.*s is not supported\n", call, int(what.size()), what.data());
    return -ENOTSUP;
}

}  // namespace sluice::packetdrill
