// stack: UDP (RFC 768, RFC 1122 4.1) — input checks and demultiplexing to the socket bound
// on this shard, and output with the checksum in software or by the device.
#include <algorithm>
#include <array>
#include <utility>

#include "lib/net/packet_checksum.hh"
#include "lib/net/stack.hh"
#include "lib/net/wire/byte_order.hh"
#include "lib/net/wire/checksum.hh"
#include "lib/net/wire/icmp.hh"
#include "lib/net/wire/ipv4.hh"
#include "lib/net/wire/udp.hh"

namespace sluice::net {

namespace {

// The pseudo header plus every byte of `datagram` (UDP header included), ready to verify
// (0 when intact) or to store (with the checksum field zero).
std::uint16_t udp_checksum(wire::ipv4_address source, wire::ipv4_address destination, const packet& datagram) {
    wire::internet_checksum sum;
    sum.add_ipv4_pseudo_header(source, destination, wire::ip_protocol_udp, std::uint16_t(datagram.length()));
    add_to_checksum(sum, datagram);
    return sum.finish();
}

}  // namespace

bool stack::bind_udp(std::uint16_t port, udp_receiver& receiver) {
    return port != 0 && udp_ports_.emplace(port, &receiver).second;
}

void stack::unbind_udp(std::uint16_t port) { udp_ports_.erase(port); }

void stack::udp_input(const wire::ipv4_header& header, packet&& datagram, clock::time_point now) {
    const auto head = datagram.linearize(std::min<std::size_t>(datagram.length(), wire::udp_header::length_bytes));
    if (!head) return drop(wire::drop_reason::udp_truncated);
    const auto udp = wire::udp_header::parse(*head, datagram.length());
    if (!udp) return drop(udp.reason());
    // Bytes IPv4 carried past the UDP length are not the datagram's (RFC 768 "Length").
    datagram.trim_back(datagram.length() - udp->length);
    // RFC 768: a zero checksum means the sender computed none.
    const checksum_status device = datagram.checksums().l4;
    if (udp->checksum != 0 && device != checksum_status::good) {
        if (device == checksum_status::bad ||
            udp_checksum(header.source, header.destination, datagram) != 0) {
            return drop(wire::drop_reason::udp_bad_checksum);
        }
    }
    ++counters_.udp_received;
    const auto bound = udp_ports_.find(udp->destination_port);
    if (bound == udp_ports_.end()) {
        drop(wire::drop_reason::udp_port_unreachable);
        return send_unreachable(wire::icmp_code_port_unreachable, header, datagram, now);  // RFC 1122 4.1.3.1
    }
    datagram.trim_front(wire::udp_header::length_bytes);
    udp_datagram delivered{header.source, udp->source_port, header.destination, udp->destination_port,
                           std::move(datagram).into_buffer()};
    if (!bound->second->deliver(std::move(delivered))) drop(wire::drop_reason::udp_socket_queue_full);
}

send_status stack::send_udp(std::uint16_t source_port, wire::ipv4_address destination, std::uint16_t destination_port,
                            std::span<const std::byte> payload, clock::time_point now) {
    if (payload.size() > max_udp_payload) return send_status::too_large;
    auto datagram = packet::allocate();
    if (!datagram || !datagram->append_copy(payload)) {
        ++counters_.no_mbufs;
        return send_status::no_mbufs;
    }
    return send_udp(source_port, destination, destination_port, std::move(*datagram), now);
}

send_status stack::send_udp(std::uint16_t source_port, wire::ipv4_address destination, std::uint16_t destination_port,
                            packet&& payload, clock::time_point now) {
    if (payload.length() > max_udp_payload) return send_status::too_large;
    auto header_bytes = payload.prepend(wire::udp_header::length_bytes);
    if (!header_bytes) {
        ++counters_.no_mbufs;
        return send_status::no_mbufs;
    }
    wire::udp_header udp;
    udp.source_port = source_port;
    udp.destination_port = destination_port;
    udp.length = std::uint16_t(payload.length());
    udp.checksum = 0;
    udp.emit(*header_bytes);
    const wire::ipv4_address source = config_.address.address;
    // The device can sum only a datagram that leaves in one frame.
    const bool one_frame = payload.length() + wire::ipv4_header::min_length <= config_.mtu;
    const bool offloaded = one_frame && offloads_.tx_udp_checksum;
    if (offloaded) {
        // DPDK's rule for the offload: the field holds the pseudo-header sum, not inverted.
        wire::internet_checksum pseudo;
        pseudo.add_ipv4_pseudo_header(source, destination, wire::ip_protocol_udp, udp.length);
        wire::store_be16(*header_bytes, wire::udp_header::checksum_offset, std::uint16_t(~pseudo.finish()));
    } else {
        std::uint16_t checksum = udp_checksum(source, destination, payload);
        if (checksum == 0) checksum = 0xffff;  // RFC 768: a computed zero is sent as all ones
        wire::store_be16(*header_bytes, wire::udp_header::checksum_offset, checksum);
    }
    const send_status status = ipv4_output(destination, wire::ip_protocol_udp, std::move(payload), now, offloaded);
    if (status == send_status::sent) ++counters_.udp_sent;
    return status;
}

}  // namespace sluice::net
