// sluice::net::socket_error and socket_result<T>: what a socket's awaitable calls answer
// instead of a value (docs/architecture.md, "Nothing waits for ever"): the socket was
// closed (or destroyed) while or before the task waited, or another task already waits on
// it. A small code, as on the rest of the data path; plain values, any shard.
#pragma once

#include <cstdint>
#include <string_view>

#include "sluice/net/wire/outcome.hh"

namespace sluice::net {

enum class socket_error : std::uint8_t {
    closed,          // close() or the destructor ran: nothing more will arrive
    already_waiting, // one task at a time may wait on a socket; this one was not queued
    invalid_group,   // join/leave: not a group a socket may join (224.0.0.0/4 outside 224.0.0.0/24)
    already_joined,  // join: this socket is already a member of the group
    not_joined,      // leave: this socket is not a member of the group
};

constexpr std::string_view describe(socket_error error) noexcept {
    switch (error) {
        case socket_error::closed: return "the socket is closed";
        case socket_error::already_waiting: return "another task is already waiting on this socket";
        case socket_error::invalid_group:
            return "not a multicast group a socket may join: use 224.0.0.0/4 outside 224.0.0.0/24 (e.g. 239.1.2.3)";
        case socket_error::already_joined: return "the socket is already a member of that group";
        case socket_error::not_joined: return "the socket is not a member of that group";
    }
    return "unknown socket error";
}

template <typename T>
using socket_result = wire::outcome<T, socket_error>;

}  // namespace sluice::net
