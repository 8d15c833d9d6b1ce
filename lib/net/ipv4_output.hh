// sluice::net::ipv4_output: the one way an L4 protocol sends (docs/architecture.md,
// "Protocols plug in"): a destination, the protocol number, the L4 segment (its header
// first, checksum done or left to the device), which L4 checksum the device fills, and
// `now`. IPv4 routes, fragments above the MTU, resolves the next hop and frames it.
// Implemented by net::ipv4; called on the shard that owns the stack.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/core/clock.hh"
#include "lib/net/offload_flags.hh"
#include "lib/net/packet.hh"
#include "lib/net/send_status.hh"
#include "lib/net/wire/ipv4_address.hh"

namespace sluice::net {

class ipv4_output {
public:
    virtual ~ipv4_output() = default;

    // `offload` asks the device to fill that L4 checksum: the caller stored the pseudo
    // header sum in the field (wire::l4_offload_seed) and checked the segment leaves in
    // one frame (fits(length)) and the device offers it (offloads()).
    [[nodiscard]] virtual send_status send(wire::ipv4_address destination, std::uint8_t protocol, packet&& segment,
                                           l4_checksum_offload offload, clock::time_point now) = 0;

    // Our address, the source of every datagram sent (and the pseudo header's).
    virtual wire::ipv4_address source_address() const noexcept = 0;
    // The largest L4 segment that leaves in one IPv4 datagram without fragments.
    virtual std::size_t max_unfragmented_payload() const noexcept = 0;
    // The device's offloads, which an L4 protocol checks before asking for one.
    virtual offload_flags offloads() const noexcept = 0;
};

}  // namespace sluice::net
