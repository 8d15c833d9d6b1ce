// The two calls that move frames between a stack and its device queue: one rx burst into
// the stack, and the stack's queued frames into one tx burst. The stack itself never
// calls a device (it is sans-I/O); stack_attachment polls these from the shard's loop and
// the sim suite calls them in virtual time. The shard that owns `queue` only.
#pragma once

#include "sluice/core/clock.hh"
#include "sluice/net/device.hh"
#include "sluice/net/stack.hh"

namespace sluice::net {

// Up to 32 frames (a burst, docs/architecture.md "The loop") through the stack. True if
// any came.
bool receive_burst(stack& host, device& port, unsigned queue, clock::time_point now);
// Hands the stack's queued frames to the device. True if any went.
bool transmit_burst(stack& host, device& port, unsigned queue);

// What the stack needs to know of `port`.
inline link_properties properties_of(const device& port) { return {port.mac(), port.offloads()}; }

}  // namespace sluice::net
