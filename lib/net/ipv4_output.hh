// sluice::net::ipv4_output: the one way an L4 protocol sends (docs/architecture.md,
// "Protocols plug in"): a destination, the protocol number, the L4 segment (its header
// first, checksum done or left to the device), which L4 checksum the device fills, and
// `now`. IPv4 routes, fragments above the MTU, resolves the next hop and frames it.
// Implemented by net::ipv4; called on the shard that owns the stack.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sluice/core/clock.hh"
#include "sluice/net/offload_flags.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/send_status.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net {

// What a datagram may ask of IPv4 beyond the defaults: its TTL and the Router Alert
// option (RFC 2113), which IGMP's messages carry with TTL 1 (RFC 3376 4, RFC 2236 2).
struct datagram_options {
    std::uint8_t ttl = 64;
    bool router_alert = false;
};

class ipv4_output {
public:
    virtual ~ipv4_output() = default;

    // `offload` asks the device to fill that L4 checksum: the caller stored the pseudo
    // header sum in the field (wire::l4_offload_seed) and checked the segment leaves in
    // one frame (max_unfragmented_payload()) and the device offers it (offloads()). With
    // tcp_segmentation the segment may be longer than one frame: it is never fragmented,
    // the device cuts it (TCP checked offloads().tx_tcp_segmentation first).
    [[nodiscard]] virtual send_status send(wire::ipv4_address destination, std::uint8_t protocol, packet&& segment,
                                           l4_checksum_offload offload, clock::time_point now) = 0;
    // A datagram with `options`, never fragmented (too_large when it does not fit one
    // frame) and with its L4 checksum done. A multicast destination goes to its group's
    // Ethernet address (RFC 1112 6.4), without ARP; so does one sent with send().
    [[nodiscard]] virtual send_status send_with(const datagram_options& options, wire::ipv4_address destination,
                                                std::uint8_t protocol, packet&& segment, clock::time_point now) = 0;

    // Our address, the source of every datagram sent (and the pseudo header's).
    virtual wire::ipv4_address source_address() const noexcept = 0;
    // The largest L4 segment that leaves in one IPv4 datagram without fragments.
    virtual std::size_t max_unfragmented_payload() const noexcept = 0;
    // The device's offloads, which an L4 protocol checks before asking for one.
    virtual offload_flags offloads() const noexcept = 0;
};

}  // namespace sluice::net
