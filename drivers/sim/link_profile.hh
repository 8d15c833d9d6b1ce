// sluice::sim::link_profile: what one direction of a simulated link does to frames (loss,
// duplication, reordering, delay, jitter, corruption, MTU, rate limit), and the wire's
// virtual time unit. Plain values: whoever builds one owns it; the wire keeps a copy.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace sluice::sim {

// Virtual time: nanoseconds since the wire was made. Only the wire's owner moves it.
using nanoseconds = std::chrono::nanoseconds;

struct link_profile {
    // Probabilities in [0, 1], drawn once per frame per destination (duplicate), then
    // once per copy (corrupt, reorder). 0 draws nothing from the random engine.
    double loss = 0;
    double duplicate = 0;  // a second, independent copy follows the first
    double corrupt = 0;    // one random bit flipped in a private copy of the frame
    double reorder = 0;    // the copy is held back so that later frames overtake it

    // A held-back copy is released after k later copies on the same link have been
    // scheduled, k drawn from [1, reorder_distance]; so no frame arrives more than
    // reorder_distance places late. If the link goes quiet, it is released anyway
    // reorder_max_hold after its own delivery time (then fewer than k overtook it).
    unsigned reorder_distance = 3;
    nanoseconds reorder_max_hold{1'000'000};

    // Delivery time = serialization done + delay + a uniform draw from [0, jitter].
    // Jitter larger than the gap between frames reorders them too (as a real path would).
    nanoseconds delay{0};
    nanoseconds jitter{0};

    // The largest payload after the 14-byte Ethernet header (IP's MTU); longer frames
    // are dropped and counted. 0 means no limit.
    std::uint32_t mtu = 0;

    // Bits per second on the link; 0 means no limit. Each frame occupies the link for
    // (length + framing_overhead_bytes) * 8 / rate, one after another; frames waiting
    // or being serialized form a queue of at most rate_queue_frames, past which the
    // newest frame is dropped (tail drop). 24 bytes = preamble 7, start delimiter 1,
    // FCS 4 (mbufs carry no FCS) and the inter-frame gap 12.
    std::uint64_t rate_bps = 0;
    std::uint32_t framing_overhead_bytes = 24;
    std::size_t rate_queue_frames = 256;
};

}  // namespace sluice::sim
