// sluice::net::udp: the stack's UDP (RFC 768, RFC 1122 4.1) as the l4_protocol of number
// 17 — input checks and demultiplexing to the receiver bound on this shard (port
// unreachable when none) or, for a multicast group, to every receiver that joined it, ICMP errors passed to that receiver, and output with the checksum
// in software or by the device. Sans-I/O; one shard's stack owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/net/buffer.hh"
#include "sluice/net/ipv4_output.hh"
#include "sluice/net/l4_protocol.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/send_status.hh"
#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net {

// One received UDP datagram: its addresses, a view of its payload (no copy), and when it
// arrived, for an application that measures its own wire-to-reply time.
struct udp_datagram {
    wire::ipv4_address source;
    std::uint16_t source_port = 0;
    wire::ipv4_address destination;
    std::uint16_t destination_port = 0;
    buffer payload;
    // The loop's clock reading at the rx burst that brought the frame (every device).
    clock::time_point received_at{};
    // The device's own timestamp (its clock's units), where the port turned the timestamp
    // offload on and the device offers it (docs/user-guide.md, "Receive timestamps").
    std::optional<std::uint64_t> device_timestamp;
};

// What a bound UDP port hands its datagrams to (a udp_socket).
class udp_receiver {
public:
    virtual ~udp_receiver() = default;
    // False when its queue is full; UDP then counts the drop.
    virtual bool deliver(udp_datagram&& datagram) = 0;
    // An ICMP error about a datagram sent from this port (port unreachable, say).
    virtual void icmp_error(const net::icmp_error&) {}
    // Whether it joined `group`: datagrams to a group reach every receiver on the port
    // that did, each with its own view of the one packet.
    virtual bool member_of(wire::ipv4_address) const { return false; }
};

struct udp_counters {
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    std::uint64_t icmp_errors = 0;  // passed to a bound receiver
    std::uint64_t multicast_delivered = 0;  // copies of group datagrams handed to receivers
    std::uint64_t no_mbufs = 0;
};

class udp final : public l4_protocol {
public:
    // The most a UDP datagram carries: 65,535 bytes of IPv4 less its 20-byte header and
    // UDP's 8 (RFC 768, RFC 791).
    static constexpr std::size_t max_payload = 65535 - 20 - 8;

    udp(ipv4_output& ip, icmp_error_sender& errors, wire::drop_counters& dropped);

    // A port has one receiver per shard, or several that all bound it `shared` (as with
    // SO_REUSEADDR, for sockets of one multicast group). Unicast and broadcast datagrams go
    // to the first bound; a group's go to every receiver that is a member_of() it.
    bool bind(std::uint16_t port, udp_receiver& receiver, bool shared = false);
    void unbind(std::uint16_t port, udp_receiver& receiver);

    // Copies `payload` once into a new packet and sends it; fragments above the MTU.
    send_status send(std::uint16_t source_port, wire::ipv4_address destination, std::uint16_t destination_port,
                     std::span<const std::byte> payload, clock::time_point now);
    // Sends an owned payload packet without copying it.
    send_status send(std::uint16_t source_port, wire::ipv4_address destination, std::uint16_t destination_port,
                     packet&& payload, clock::time_point now);

    void receive(const wire::ipv4_header& header, packet&& datagram, clock::time_point now) override;
    void receive_icmp_error(const icmp_error& error, clock::time_point now) override;

    const udp_counters& counters() const noexcept { return counters_; }

private:
    struct binding {
        std::vector<udp_receiver*> receivers;  // in bind order; never empty
        bool shared = false;
    };
    void deliver_to_group(const wire::ipv4_header& header, const binding& bound, std::uint16_t source_port,
                          std::uint16_t destination_port, packet&& datagram, clock::time_point now);

    ipv4_output& ip_;
    icmp_error_sender& errors_;
    wire::drop_counters& dropped_;
    std::unordered_map<std::uint16_t, binding> ports_;
    udp_counters counters_;
};

}  // namespace sluice::net
