// sluice::net::software_rss: serves one queue per shard over a device that has fewer
// (docs/architecture.md, rule 3). Shard s < N (the device's queue count) polls device queue s, computes
// each frame's Toeplitz hash in software — the same symmetric key a NIC would use, so
// both directions of a flow meet — and hands frames owned by other shards to them over
// the cross-core rings, in batches, one batch per destination per burst. Shards s >= N
// send their frames through shard s % N. Build it before the runtime starts; afterwards
// rx_burst/tx_burst for queue s run only on shard s.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/net/device.hh"
#include "sluice/net/rss.hh"

namespace sluice::net {

// The RSS hash of one Ethernet frame as a NIC computes it: the IPv4 4-tuple for TCP and
// UDP (first fragments only: later ones carry no ports), the 2-tuple for other IPv4, an
// 802.1Q tag skipped. Nothing for a frame that is not IPv4 or is too short to tell.
std::optional<std::uint32_t> frame_rss_hash(const toeplitz_hasher& hasher, std::span<const std::byte> frame);

struct software_rss_counters {
    std::uint64_t steered = 0;           // frames handed to another shard
    std::uint64_t kept = 0;              // frames the polling shard owned itself
    std::uint64_t unhashed = 0;          // not IPv4 (ARP, ...): kept by the polling shard
    std::uint64_t stalled = 0;           // frames that waited a turn for a free batch
    std::uint64_t dropped_inbox_full = 0;
    std::uint64_t forwarded_tx = 0;      // frames sent for a shard without a device queue
};

class software_rss final : public device {
public:
    // Frames waiting for a shard beyond this are dropped and counted (bounded memory).
    static constexpr std::size_t inbox_limit = 8192;
    // Batches one shard may have in flight to each other shard.
    static constexpr std::size_t batches_per_peer = 64;
    static constexpr std::uint16_t batch_size = 32;

    // `inner` must outlive this and have at most `shards` queues.
    software_rss(device& inner, unsigned shards, const toeplitz_key& key = symmetric_toeplitz_key());
    software_rss(const software_rss&) = delete;
    software_rss& operator=(const software_rss&) = delete;
    ~software_rss() override;  // frees frames still waiting in inboxes

    const std::string& name() const override { return name_; }
    unsigned queue_count() const override { return shards_; }
    offload_flags offloads() const override;
    ethernet_address mac() const override { return inner_.mac(); }
    link_status link() const override { return inner_.link(); }
    std::vector<queue_counters> counters() const override { return inner_.counters(); }
    std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const override;

    std::uint16_t rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) override;
    std::uint16_t tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) override;

    // The shard a frame belongs to, as rx_burst decides it: by the hash the device left in
    // the mbuf when it hashes as frame_rss_hash does (offload_flags::rss_hash_in_mbuf),
    // else by hashing the frame's bytes.
    unsigned owner_of(std::span<const std::byte> frame, unsigned polling_shard) const;
    unsigned owner_of(const rte_mbuf* frame, unsigned polling_shard) const;

    // Read on the owning shard (or after the runtime has stopped).
    const software_rss_counters& counters_of(unsigned shard) const;

    struct shard_state;  // internal: one per shard, touched only by that shard

private:
    std::optional<std::uint32_t> hash_of(const rte_mbuf* frame) const;

    device& inner_;
    unsigned shards_;
    std::string name_;
    toeplitz_hasher hasher_;
    redirection_table reta_;
    bool device_hash_ = false;  // inner_ leaves frame_rss_hash's value in each mbuf
    std::vector<std::unique_ptr<shard_state>> states_;
};

}  // namespace sluice::net
