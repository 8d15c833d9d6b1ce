// sluice-fwd's loop stage: on one shard, receive a burst from each port's queue, swap
// the Ethernet addresses and send it out of the paired port's same queue (testpmd's
// "macswap"), run to completion with no copy. One forwarder per shard, owned by it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/core/result.hh"
#include "sluice/core/shard.hh"
#include "sluice/net/device.hh"

struct rte_mempool;

namespace sluice::fwd {

struct direction_counters {
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    std::uint64_t dropped = 0;  // the paired port's tx queue was full: freed, counted
};

class forwarder final : public poller {
public:
    // ports: forwarded in pairs, 0<->1, 2<->3, ...; queue: this shard's queue on each.
    forwarder(std::vector<net::device*> ports, unsigned queue, std::uint16_t burst);

    bool poll() override;

    // One per port: frames received on it and what became of them on its pair.
    const std::vector<direction_counters>& counters() const noexcept { return counters_; }
    // Frames sent out of any port so far.
    std::uint64_t sent() const noexcept {
        std::uint64_t total = 0;
        for (const auto& c : counters_) total += c.sent;
        return total;
    }
    std::string report(unsigned shard_id) const;

private:
    std::vector<net::device*> ports_;
    unsigned queue_;
    std::uint16_t burst_;
    std::vector<direction_counters> counters_;
};

// Sends `bursts` bursts of 64-byte frames (a local experimental EtherType, 0x88b5) out of
// `device`'s `queue`, allocated from `pool`; frames the queue refuses are freed.
result<void> send_first_bursts(net::device& device, unsigned queue, rte_mempool* pool, unsigned bursts,
                               std::uint16_t burst);

}  // namespace sluice::fwd
