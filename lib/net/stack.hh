// sluice::net::stack: one shard's IPv4 stack on one queue of one port — Ethernet, ARP,
// IPv4 (reassembly, fragmentation), ICMP and the UDP demultiplexer — run to completion
// from the receive stage (DESIGN rule 4). Owned and called by one shard only. The core
// is sans-I/O in time: every call takes `now`, so the sim suite drives it in virtual time;
// attach() plugs it into the shard's loop with the real clock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "lib/core/clock.hh"
#include "lib/core/shard.hh"
#include "lib/core/timer.hh"
#include "lib/net/arp_cache.hh"
#include "lib/net/buffer.hh"
#include "lib/net/device.hh"
#include "lib/net/interface_config.hh"
#include "lib/net/ipv4_reassembly.hh"
#include "lib/net/packet.hh"
#include "lib/net/token_bucket.hh"
#include "lib/net/wire/drop_reason.hh"
#include "lib/net/wire/ipv4.hh"
#include "lib/net/wire/ipv4_address.hh"

namespace sluice::net {

struct stack_limits {
    arp_limits arp;
    reassembly_limits reassembly;
    std::size_t transmit_queue = 1024;            // frames waiting for the next tx burst
    std::uint32_t icmp_errors_per_second = 100;   // RFC 1812 4.3.2.8 rate limit
    std::uint32_t icmp_error_burst = 20;
    clock::duration housekeeping_period = std::chrono::milliseconds(100);
};

struct stack_counters {
    std::uint64_t frames_received = 0;
    std::uint64_t frames_sent = 0;
    std::uint64_t transmit_queue_full = 0;  // frames dropped: the queue to the device was full
    std::uint64_t no_mbufs = 0;             // sends that found the pool empty
    std::uint64_t arp_requests_answered = 0;
    std::uint64_t arp_requests_sent = 0;
    std::uint64_t ipv4_received = 0;
    std::uint64_t fragments_sent = 0;
    std::uint64_t icmp_echo_replies = 0;
    std::uint64_t icmp_unreachable_sent = 0;
    std::uint64_t icmp_rate_limited = 0;
    std::uint64_t udp_received = 0;
    std::uint64_t udp_sent = 0;
    std::uint64_t no_route = 0;  // a destination off the prefix with no gateway
    wire::drop_counters dropped;  // every frame dropped on receive, by reason
};

// One received UDP datagram: its addresses and a view of its payload (no copy).
struct udp_datagram {
    wire::ipv4_address source;
    std::uint16_t source_port = 0;
    wire::ipv4_address destination;
    std::uint16_t destination_port = 0;
    buffer payload;
};

// What a bound UDP port hands its datagrams to (a udp_socket). Returns false when its
// queue is full; the stack then counts the drop.
class udp_receiver {
public:
    virtual ~udp_receiver() = default;
    virtual bool deliver(udp_datagram&& datagram) = 0;
};

enum class send_status : std::uint8_t {
    sent,            // queued for the device (or waiting for ARP)
    no_route,        // off-prefix destination and no gateway
    no_mbufs,        // the shard's pool is empty
    too_large,       // more than an IPv4 datagram holds (65,507 bytes of UDP payload)
    queue_full,      // the transmit queue or the ARP wait queue is full
};

class stack {
public:
    // The most a UDP datagram carries: 65,535 bytes of IPv4 less its 20-byte header and
    // UDP's 8 (RFC 768, RFC 791).
    static constexpr std::size_t max_udp_payload = 65535 - 20 - 8;

    // `queue` is the device queue this shard owns. The config must validate().
    stack(device& port, unsigned queue, interface_config config, stack_limits limits = {});
    stack(const stack&) = delete;
    stack& operator=(const stack&) = delete;
    ~stack();

    // --- data path (this shard only) ----------------------------------------------------
    // One rx burst, each frame run through the stack. True if any frame came.
    bool receive(clock::time_point now);
    // One frame through the stack (receive() calls this; tests call it directly).
    void handle_frame(packet&& frame, clock::time_point now);
    // Hands queued frames to the device. True if any went.
    bool transmit();
    // ARP retries and expiry, reassembly timeouts. Call every housekeeping_period.
    void housekeeping(clock::time_point now);

    // UDP (udp_socket uses these). A port has at most one receiver per shard.
    bool bind_udp(std::uint16_t port, udp_receiver& receiver);
    void unbind_udp(std::uint16_t port);
    // Copies `payload` once into a new packet and sends it; fragments above the MTU.
    send_status send_udp(std::uint16_t source_port, wire::ipv4_address destination, std::uint16_t destination_port,
                         std::span<const std::byte> payload, clock::time_point now);
    // Sends an owned payload packet without copying it.
    send_status send_udp(std::uint16_t source_port, wire::ipv4_address destination, std::uint16_t destination_port,
                         packet&& payload, clock::time_point now);

    // A gratuitous ARP (RFC 5227 announcement): tells the link our MAC for our address.
    void announce(clock::time_point now);

    // ARP learned on another shard (docs/architecture.md, "Neighbours across shards").
    void learn_neighbour(wire::ipv4_address address, ethernet_address mac, clock::time_point now);
    // Called when this shard learns a neighbour from an ARP packet, to tell the others.
    void on_neighbour_learned(std::function<void(wire::ipv4_address, ethernet_address)> listener) {
        neighbour_listener_ = std::move(listener);
    }

    // --- loop integration (control path, on the owning shard) --------------------------
    // Polls receive in the receive stage and transmit in the transmit stage, and runs
    // housekeeping on a timer. announce()s on shard 0's queue only when `announce_now`.
    void attach(shard& owner, bool announce_now);
    void detach();

    const interface_config& config() const noexcept { return config_; }
    ethernet_address mac() const noexcept { return mac_; }
    const stack_counters& counters() const noexcept { return counters_; }
    const arp_cache& neighbours() const noexcept { return arp_; }
    const ipv4_reassembly& reassembly() const noexcept { return reassembly_; }
    unsigned queue() const noexcept { return queue_; }

private:
    // receive side (stack.cc, arp_input.cc, ipv4_input.cc, icmp.cc, udp_input.cc)
    void arp_input(std::span<const std::byte> message, clock::time_point now);
    void ipv4_input(packet&& frame, std::size_t l2_length, clock::time_point now);
    void ipv4_deliver(const wire::ipv4_header& header, packet&& payload, clock::time_point now);
    void icmp_input(const wire::ipv4_header& header, packet&& message, clock::time_point now);
    void udp_input(const wire::ipv4_header& header, packet&& datagram, clock::time_point now);
    // Destination unreachable with `code` (port or protocol) about `datagram`, whose IP
    // header was `header`; rate-limited, never about broadcasts.
    void send_unreachable(std::uint8_t code, const wire::ipv4_header& header, const packet& datagram,
                          clock::time_point now);

    // transmit side (ipv4_output.cc)
    send_status ipv4_output(wire::ipv4_address destination, std::uint8_t protocol, packet&& l4_packet,
                            clock::time_point now, bool l4_checksum_offloaded);
    send_status ipv4_send_one(wire::ipv4_address destination, packet&& ip_packet, clock::time_point now);
    send_status ethernet_output(ethernet_address destination, std::uint16_t ethertype, packet&& payload);
    void send_arp(std::uint16_t operation, ethernet_address target_mac, wire::ipv4_address target_ip,
                  ethernet_address ethernet_destination);
    bool enqueue(packet&& frame);
    void drop(wire::drop_reason reason) noexcept { counters_.dropped.count(reason); }

    device& port_;
    unsigned queue_;
    interface_config config_;
    stack_limits limits_;
    ethernet_address mac_;
    offload_flags offloads_;
    arp_cache arp_;
    ipv4_reassembly reassembly_;
    token_bucket icmp_errors_;
    std::uint16_t next_identification_ = 1;
    std::unordered_map<std::uint16_t, udp_receiver*> udp_ports_;
    std::vector<rte_mbuf*> transmit_queue_;  // frames handed over, oldest first
    std::size_t transmit_head_ = 0;
    std::function<void(wire::ipv4_address, ethernet_address)> neighbour_listener_;
    stack_counters counters_;

    // Loop integration.
    struct stage_poller : poller {
        stack* owner = nullptr;
        bool receive_stage = true;
        bool poll() override { return receive_stage ? owner->receive(clock::now()) : owner->transmit(); }
    };
    stage_poller receive_poller_;
    stage_poller transmit_poller_;
    std::unique_ptr<timer> housekeeping_timer_;
    shard* owner_ = nullptr;
};

}  // namespace sluice::net
