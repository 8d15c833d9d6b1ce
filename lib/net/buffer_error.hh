// sluice::net::buffer_error and buffer_result<T>: how a packet-buffer operation on the data
// path says it could not be done — a small code, no string, no exception (STYLE, errors).
// Plain values usable on any shard; a result owns the value it carries, nothing else.
#pragma once

#include <cstdint>
#include <string_view>

#include "sluice/net/wire/outcome.hh"

namespace sluice::net {

enum class buffer_error : std::uint8_t {
    pool_empty,         // the pool had no free mbuf: drop, or retry on a later turn
    no_pool,            // no pool given, none current on this thread, and the packet has none
    too_large,          // more contiguous bytes than one mbuf holds, or a length past 4 GiB
    out_of_range,       // an offset or length past the end of the packet
    too_many_segments,  // the chain would pass DPDK's limit of 65535 segments
};

// A short phrase for logs and test failures ("the packet pool has no free mbuf").
constexpr std::string_view describe(buffer_error error) noexcept {
    switch (error) {
        case buffer_error::pool_empty: return "the packet pool has no free mbuf";
        case buffer_error::no_pool: return "no packet pool: pass one or set the shard's current pool";
        case buffer_error::too_large: return "more bytes than one mbuf (or one packet) can hold";
        case buffer_error::out_of_range: return "offset or length past the end of the packet";
        case buffer_error::too_many_segments: return "more than 65535 segments in one chain";
    }
    return "unknown buffer error";
}

// A packet-buffer operation's answer: the value, or the buffer_error that stopped it.
template <typename T>
using buffer_result = wire::outcome<T, buffer_error>;

}  // namespace sluice::net
