// sluice::net::send_status: what every send on the stack's data path answers — queued for
// the device, or the one reason it was not. A plain value; any shard.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::net {

enum class send_status : std::uint8_t {
    sent,        // queued for the device (or held while ARP asks)
    no_route,    // off-prefix destination and no gateway
    no_mbufs,    // the shard's pool is empty
    too_large,   // more than an IPv4 datagram holds
    queue_full,  // the transmit queue or the ARP wait queue is full
    closed,      // the socket was closed
};

constexpr std::string_view describe(send_status status) noexcept {
    switch (status) {
        case send_status::sent: return "sent";
        case send_status::no_route: return "no route to the destination (off the prefix and no gateway)";
        case send_status::no_mbufs: return "the packet pool has no free mbuf";
        case send_status::too_large: return "larger than an IPv4 datagram holds";
        case send_status::queue_full: return "the transmit queue (or the queue waiting for ARP) is full";
        case send_status::closed: return "the socket is closed";
    }
    return "unknown send status";
}

}  // namespace sluice::net
