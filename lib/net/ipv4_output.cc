// stack: IPv4 output (RFC 791 3.2, RFC 1122 3.3.1) — route to the next hop, fragment
// above the MTU, resolve the next hop's MAC (holding the packet while ARP asks), frame it.
#include <algorithm>
#include <array>
#include <utility>

#include "lib/net/stack.hh"
#include "lib/net/wire/arp.hh"
#include "lib/net/wire/ethernet.hh"
#include "lib/net/wire/ipv4.hh"

namespace sluice::net {

send_status stack::ipv4_output(wire::ipv4_address destination, std::uint8_t protocol, packet&& l4_packet,
                               clock::time_point now, bool l4_checksum_offloaded) {
    const std::size_t header_length = wire::ipv4_header::min_length;
    if (l4_packet.length() + header_length > wire::ipv4_header::max_datagram_length) return send_status::too_large;
    wire::ipv4_header header;
    header.ttl = 64;  // RFC 1700's default, as Linux sends
    header.protocol = protocol;
    header.source = config_.address.address;
    header.destination = destination;
    header.identification = next_identification_++;

    if (l4_packet.length() + header_length <= config_.mtu) {
        header.total_length = std::uint16_t(l4_packet.length() + header_length);
        auto bytes = l4_packet.prepend(header_length);
        if (!bytes) {
            ++counters_.no_mbufs;
            return send_status::no_mbufs;
        }
        const bool device_sums = offloads_.tx_ipv4_checksum;
        header.emit(*bytes, !device_sums);
        if (device_sums || l4_checksum_offloaded) {
            l4_packet.offload_checksums(std::uint16_t(wire::ethernet_header_length), std::uint16_t(header_length),
                                        device_sums,
                                        l4_checksum_offloaded ? l4_checksum_offload::udp : l4_checksum_offload::none);
        }
        return ipv4_send_one(destination, std::move(l4_packet), now);
    }

    // RFC 791 3.2, "Fragmentation": every piece but the last carries a multiple of 8 data
    // bytes. Each piece is a copy (fragmentation is the slow path), so the original can go.
    const std::size_t piece = (config_.mtu - header_length) / 8 * 8;
    const std::size_t total = l4_packet.length();
    std::array<std::byte, wire::ipv4_header::min_length> header_bytes;
    send_status status = send_status::sent;
    for (std::size_t offset = 0; offset < total && status == send_status::sent; offset += piece) {
        const std::size_t length = std::min(piece, total - offset);
        auto fragment = packet::allocate();
        if (!fragment) {
            ++counters_.no_mbufs;
            return send_status::no_mbufs;
        }
        auto room = fragment->append(length);
        if (!room || l4_packet.copy_out(offset, *room) != length) {
            ++counters_.no_mbufs;
            return send_status::no_mbufs;
        }
        header.total_length = std::uint16_t(length + header_length);
        header.fragment_offset = std::uint16_t(offset);
        header.more_fragments = offset + length < total;
        header.emit(header_bytes, true);
        auto front = fragment->prepend(header_length);
        if (!front) {
            ++counters_.no_mbufs;
            return send_status::no_mbufs;
        }
        std::copy(header_bytes.begin(), header_bytes.end(), front->begin());
        status = ipv4_send_one(destination, std::move(*fragment), now);
        if (status == send_status::sent) ++counters_.fragments_sent;
    }
    return status;
}

send_status stack::ipv4_send_one(wire::ipv4_address destination, packet&& ip_packet, clock::time_point now) {
    if (destination.is_broadcast() || (config_.address.length < 31 && destination == config_.address.broadcast())) {
        return ethernet_output(wire::ethernet_broadcast, wire::ethertype_ipv4, std::move(ip_packet));
    }
    // RFC 1122 3.3.1.1: on-link destinations directly, the rest through the gateway.
    wire::ipv4_address next_hop = destination;
    if (!config_.address.contains(destination)) {
        if (!config_.gateway) {
            ++counters_.no_route;
            return send_status::no_route;
        }
        next_hop = *config_.gateway;
    }
    const auto found = arp_.find(next_hop, now);
    if (found.mac) {
        if (found.send_refresh) send_arp(wire::arp_operation_request, ethernet_address{}, next_hop, *found.mac);
        return ethernet_output(*found.mac, wire::ethertype_ipv4, std::move(ip_packet));
    }
    switch (arp_.hold(next_hop, std::move(ip_packet), now)) {
        case arp_cache::hold_outcome::held_send_request:
            send_arp(wire::arp_operation_request, ethernet_address{}, next_hop, wire::ethernet_broadcast);
            return send_status::sent;
        case arp_cache::hold_outcome::held: return send_status::sent;
        case arp_cache::hold_outcome::dropped: return send_status::queue_full;
    }
    return send_status::queue_full;
}

}  // namespace sluice::net
