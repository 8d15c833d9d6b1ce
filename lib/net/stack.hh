// sluice::net::stack: one shard's IPv4 host stack on one queue of one port, composed of
// its layers — ethernet_link, arp, ipv4 (with reassembly), icmp, udp, igmp and tcp — each its own
// type behind the seams of l4_protocol.hh and ipv4_output.hh, so a protocol plugs into
// ipv4() by its number without editing the others (docs/architecture.md, "Protocols plug
// in"). The core is sans-I/O in time and in device: frames come in through
// handle_frame(), leave through transmit(send), and every call takes `now`. Only
// stack_attachment (lib/net/stack_attachment.hh) joins it to a shard's loop and device.
// Owned and called by one shard only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "sluice/core/clock.hh"
#include "sluice/net/arp.hh"
#include "sluice/net/arp_cache.hh"
#include "sluice/net/ethernet_link.hh"
#include "sluice/net/icmp.hh"
#include "sluice/net/igmp.hh"
#include "sluice/net/interface_config.hh"
#include "sluice/net/ipv4.hh"
#include "sluice/net/ipv4_reassembly.hh"
#include "sluice/net/multicast_groups.hh"
#include "sluice/net/offload_flags.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/rss.hh"
#include "sluice/net/send_status.hh"
#include "sluice/net/tcp/tcp_protocol.hh"
#include "sluice/net/udp.hh"
#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/ethernet_address.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net {

struct stack_limits {
    arp_limits arp;
    reassembly_limits reassembly;
    std::size_t transmit_queue = 1024;            // frames waiting for the next tx burst
    std::uint32_t icmp_errors_per_second = 100;   // RFC 1812 4.3.2.8 rate limit
    std::uint32_t icmp_error_burst = 20;
    clock::duration housekeeping_period = std::chrono::milliseconds(100);
    igmp_settings igmp;  // the multicast membership protocol's variables (RFC 3376 8)
    tcp::table_limits tcp;  // connections, TIME-WAIT, SYN cookies per shard
};

// What the stack needs to know of the device it runs on: plain values, read once.
struct link_properties {
    ethernet_address mac;
    offload_flags offloads;
};

// How the device spreads flows over the shards (docs/architecture.md rule 3), so that an
// active open picks a local port whose replies come back to the opening shard.
struct flow_steering {
    toeplitz_hasher hasher;
    redirection_table table;
    unsigned shard = 0;  // this stack's queue
};

// Every layer's counters in one snapshot (stack::counters()), for reports.
struct stack_counters {
    std::uint64_t frames_received = 0;
    std::uint64_t frames_sent = 0;
    std::uint64_t transmit_queue_full = 0;  // frames dropped: the queue to the device was full
    std::uint64_t no_mbufs = 0;             // sends that found the pool empty, in any layer
    std::uint64_t arp_requests_answered = 0;
    std::uint64_t arp_requests_sent = 0;
    std::uint64_t ipv4_received = 0;
    std::uint64_t fragments_sent = 0;
    std::uint64_t icmp_echo_replies = 0;
    std::uint64_t icmp_unreachable_sent = 0;
    std::uint64_t icmp_parameter_problems_sent = 0;
    std::uint64_t icmp_rate_limited = 0;
    std::uint64_t icmp_errors_received = 0;
    std::uint64_t udp_received = 0;
    std::uint64_t udp_sent = 0;
    std::uint64_t udp_multicast_received = 0;  // copies delivered to sockets of a group
    std::uint64_t igmp_queries_received = 0;
    std::uint64_t igmp_reports_sent = 0;
    std::uint64_t igmp_leaves_sent = 0;
    std::uint64_t tcp_received = 0;  // segments that passed TCP's checks
    std::uint64_t tcp_sent = 0;
    std::uint64_t tcp_connections = 0;  // open on this shard now, TIME-WAIT included
    std::uint64_t tcp_resets_for_no_connection = 0;
    std::uint64_t tcp_syn_cookies_sent = 0;
    std::uint64_t no_route = 0;  // a destination off the prefix with no gateway
    wire::drop_counters dropped;  // every frame dropped on receive, by reason
};

class stack {
public:
    static constexpr std::size_t max_udp_payload = udp::max_payload;

    // The config must validate().
    stack(link_properties link, interface_config config, stack_limits limits = {});
    stack(const stack&) = delete;
    stack& operator=(const stack&) = delete;

    // --- data path (this shard only) ----------------------------------------------------
    // One received frame, run through the stack to completion.
    void handle_frame(packet&& frame, clock::time_point now);
    // Offers the queued frames to `send(rte_mbuf** frames, std::uint16_t count)` (the
    // device's tx burst), which returns how many it took. True if any went.
    template <typename Send>
    bool transmit(Send&& send) {
        return link_.transmit(std::forward<Send>(send));
    }
    // ARP retries and expiry, reassembly timeouts, IGMP reports due. Call every
    // housekeeping_period.
    void housekeeping(clock::time_point now);
    // A gratuitous ARP (RFC 5227 announcement): tells the link our MAC for our address.
    void announce() { arp_.announce(); }

    // --- the layers ---------------------------------------------------------------------
    ethernet_link& link_layer() noexcept { return link_; }
    arp& arp_layer() noexcept { return arp_; }
    ipv4& ipv4_layer() noexcept { return ipv4_; }
    icmp& icmp_layer() noexcept { return icmp_; }
    udp& udp_layer() noexcept { return udp_; }
    igmp& igmp_layer() noexcept { return igmp_; }
    tcp::tcp_protocol& tcp_layer() noexcept { return tcp_; }
    const tcp::tcp_protocol& tcp_layer() const noexcept { return tcp_; }

    // TCP's timers (retransmission, delayed ACK, persist, keepalive, TIME-WAIT), all in one
    // deadline: the loop runs tcp_timers() when it comes (stack_attachment does).
    clock::time_point tcp_deadline() const noexcept { return tcp_.next_deadline(); }
    void tcp_timers(clock::time_point now) { tcp_.on_timer(now); }

    // UDP, as udp_socket uses it.
    bool bind_udp(std::uint16_t port, udp_receiver& receiver, bool shared = false) {
        return udp_.bind(port, receiver, shared);
    }
    void unbind_udp(std::uint16_t port, udp_receiver& receiver) { udp_.unbind(port, receiver); }
    send_status send_udp(std::uint16_t source_port, wire::ipv4_address destination, std::uint16_t destination_port,
                         std::span<const std::byte> payload, clock::time_point now) {
        return udp_.send(source_port, destination, destination_port, payload, now);
    }
    send_status send_udp(std::uint16_t source_port, wire::ipv4_address destination, std::uint16_t destination_port,
                         packet&& payload, clock::time_point now) {
        return udp_.send(source_port, destination, destination_port, std::move(payload), now);
    }

    // Multicast (docs/user-guide.md, "Multicast"): one more (or one fewer) user of
    // `group` on this interface. The first join reports it and makes Ethernet, IPv4 and
    // UDP take its datagrams; the last leave says so (igmp.hh). The group must be
    // multicast; udp_socket::join checks that for its users.
    void join_group(wire::ipv4_address group, clock::time_point now);
    void leave_group(wire::ipv4_address group, clock::time_point now);
    // Told when the interface joins a group (joined) or leaves it (!joined), so that the
    // loop side programs the port's multicast filter. One listener.
    using group_listener = std::function<void(wire::ipv4_address group, bool joined)>;
    void on_group_membership_changed(group_listener listener) { group_listener_ = std::move(listener); }
    const multicast_groups& groups() const noexcept { return groups_; }

    // ARP learned on another shard (docs/architecture.md, "Neighbours across shards").
    void learn_neighbour(wire::ipv4_address address, ethernet_address mac, clock::time_point now) {
        arp_.learn_neighbour(address, mac, now);
    }
    void on_neighbour_learned(arp::neighbour_listener listener) { arp_.on_neighbour_learned(std::move(listener)); }

    // Set by the interface when several shards share a port whose RSS table it knows;
    // null otherwise (one shard, or a device that keeps a table of its own).
    void steer_active_opens(std::optional<flow_steering> steering) { steering_ = std::move(steering); }
    const flow_steering* active_open_steering() const noexcept { return steering_ ? &*steering_ : nullptr; }

    const interface_config& config() const noexcept { return config_; }
    const stack_limits& limits() const noexcept { return limits_; }
    ethernet_address mac() const noexcept { return link_.mac(); }
    stack_counters counters() const noexcept;
    const wire::drop_counters& dropped() const noexcept { return dropped_; }
    const arp_cache& neighbours() const noexcept { return arp_.cache(); }
    const ipv4_reassembly& reassembly() const noexcept { return ipv4_.reassembly(); }

private:
    interface_config config_;
    stack_limits limits_;
    wire::drop_counters dropped_;
    multicast_groups groups_;
    group_listener group_listener_;
    ethernet_link link_;
    arp arp_;
    ipv4 ipv4_;
    icmp icmp_;
    udp udp_;
    igmp igmp_;
    tcp::tcp_protocol tcp_;
    std::optional<flow_steering> steering_;
};

}  // namespace sluice::net
