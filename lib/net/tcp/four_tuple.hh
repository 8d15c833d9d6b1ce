// sluice::net::tcp::four_tuple: what names a connection (RFC 9293 3.3.2: local and remote
// address and port), as the connection table keys it and as ISNs and SYN cookies hash it.
// A plain value; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net::tcp {

struct four_tuple {
    wire::ipv4_address local;
    std::uint16_t local_port = 0;
    wire::ipv4_address remote;
    std::uint16_t remote_port = 0;

    friend bool operator==(const four_tuple&, const four_tuple&) = default;
};

// For the connection table's hash map: the ports and addresses mixed so that flows that
// differ only in the remote port (many clients of one server) spread.
struct four_tuple_hash {
    std::size_t operator()(const four_tuple& t) const noexcept {
        std::uint64_t x = (std::uint64_t(t.remote.value) << 32) ^ (std::uint64_t(t.remote_port) << 16) ^ t.local_port;
        x ^= std::uint64_t(t.local.value) * 0x9e3779b97f4a7c15ull;
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ull;
        x ^= x >> 32;
        return std::size_t(x);
    }
};

}  // namespace sluice::net::tcp
