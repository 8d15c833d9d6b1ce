// sluice::net::arp: the stack's ARP (RFC 826) — answers requests for our address, learns
// neighbours, resolves next hops for IPv4 output (holding packets while it asks, bounded
// by arp_cache) and retries on housekeeping. Sans-I/O: frames go to the ethernet_link,
// time comes in as `now`. One shard's stack owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "sluice/core/clock.hh"
#include "sluice/net/arp_cache.hh"
#include "sluice/net/ethernet_link.hh"
#include "sluice/net/interface_config.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/send_status.hh"
#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net {

struct arp_protocol_counters {
    std::uint64_t requests_answered = 0;
    std::uint64_t requests_sent = 0;
    std::uint64_t no_mbufs = 0;
};

class arp {
public:
    using neighbour_listener = std::function<void(wire::ipv4_address, ethernet_address)>;

    arp(ethernet_link& link, const interface_config& config, arp_limits limits, wire::drop_counters& dropped);

    // An ARP message (the Ethernet payload).
    void receive(std::span<const std::byte> message, clock::time_point now);
    // Sends an IPv4 packet to the on-link `next_hop`, asking for its MAC first if needed.
    send_status output(wire::ipv4_address next_hop, packet&& ip_packet, clock::time_point now);
    // A gratuitous ARP (RFC 5227 announcement): tells the link our MAC for our address.
    void announce();
    // Retries and expiry; every housekeeping period.
    void housekeeping(clock::time_point now);

    // A neighbour another shard learned (docs/architecture.md, "Neighbours across shards").
    void learn_neighbour(wire::ipv4_address address, ethernet_address mac, clock::time_point now);
    // Called when this shard learns a neighbour from an ARP packet, to tell the others.
    void on_neighbour_learned(neighbour_listener listener) { listener_ = std::move(listener); }

    const arp_cache& cache() const noexcept { return cache_; }
    const arp_protocol_counters& counters() const noexcept { return counters_; }

private:
    void send(std::uint16_t operation, ethernet_address target_mac, wire::ipv4_address target_ip,
              ethernet_address ethernet_destination);
    void release_waiting(ethernet_address mac, std::vector<packet>&& waiting);

    ethernet_link& link_;
    const interface_config& config_;
    wire::drop_counters& dropped_;
    arp_cache cache_;
    neighbour_listener listener_;
    arp_protocol_counters counters_;
};

}  // namespace sluice::net
