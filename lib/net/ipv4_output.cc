// ipv4: output (RFC 791 3.2, RFC 1122 3.3.1) — route to the next hop, fragment above the
// MTU, hand the datagram to ARP (which holds it while it asks) or frame a broadcast or a
// multicast (RFC 1112 6.4).
#include <algorithm>
#include <array>
#include <utility>

#include "sluice/net/ipv4.hh"
#include "sluice/net/wire/ethernet.hh"
#include "sluice/net/wire/igmp.hh"
#include "sluice/net/wire/ipv4.hh"

namespace sluice::net {

send_status ipv4::send(wire::ipv4_address destination, std::uint8_t protocol, packet&& segment,
                       l4_checksum_offload offload, clock::time_point now) {
    datagram_options options;
    // RFC 1112 6.1: a multicast datagram leaves with TTL 1 unless asked otherwise.
    options.ttl = destination.is_multicast() ? 1 : 64;  // 64: RFC 1700's default, as Linux sends
    return send_datagram(options, destination, protocol, std::move(segment), offload, true, now);
}

send_status ipv4::send_with(const datagram_options& options, wire::ipv4_address destination, std::uint8_t protocol,
                            packet&& segment, clock::time_point now) {
    return send_datagram(options, destination, protocol, std::move(segment), l4_checksum_offload::none, false, now);
}

send_status ipv4::send_datagram(const datagram_options& options, wire::ipv4_address destination,
                                std::uint8_t protocol, packet&& segment, l4_checksum_offload offload,
                                bool may_fragment, clock::time_point now) {
    const std::size_t header_length =
        wire::ipv4_header::min_length + (options.router_alert ? wire::ipv4_router_alert_length : 0);
    if (segment.length() + header_length > wire::ipv4_header::max_datagram_length) return send_status::too_large;
    wire::ipv4_header header;
    header.ttl = options.ttl;
    header.protocol = protocol;
    header.source = config_.address.address;
    header.destination = destination;
    header.identification = next_identification_++;
    // A TSO segment leaves whole: the device cuts it into frames that fit (ipv4_output.hh).
    const bool device_segments = offload == l4_checksum_offload::tcp_segmentation;
    if (segment.length() + header_length > config_.mtu && !device_segments) {
        if (!may_fragment) return send_status::too_large;
        return fragment(header, std::move(segment), now);
    }

    header.total_length = std::uint16_t(segment.length() + header_length);
    auto bytes = segment.prepend(header_length);
    if (!bytes) {
        ++counters_.no_mbufs;
        return send_status::no_mbufs;
    }
    const bool device_sums = offloads_.tx_ipv4_checksum;
    if (options.router_alert) {
        header.emit(*bytes, std::span<const std::byte>(wire::ipv4_router_alert), !device_sums);
    } else {
        header.emit(*bytes, !device_sums);
    }
    if (device_sums || offload != l4_checksum_offload::none) {
        segment.offload_checksums(std::uint16_t(wire::ethernet_header_length), std::uint16_t(header_length),
                                  device_sums, offload);
    }
    return send_one(destination, std::move(segment), now);
}

// RFC 791 3.2, "Fragmentation": every piece but the last carries a multiple of 8 data
// bytes. Each piece is a copy (fragmentation is the slow path), so the original can go.
send_status ipv4::fragment(const wire::ipv4_header& whole, packet&& segment, clock::time_point now) {
    const std::size_t header_length = wire::ipv4_header::min_length;
    const std::size_t piece = (config_.mtu - header_length) / 8 * 8;
    const std::size_t total = segment.length();
    wire::ipv4_header header = whole;
    std::array<std::byte, wire::ipv4_header::min_length> header_bytes;
    send_status status = send_status::sent;
    for (std::size_t offset = 0; offset < total && status == send_status::sent; offset += piece) {
        const std::size_t length = std::min(piece, total - offset);
        auto fragment = packet::allocate();
        auto room = fragment ? fragment->append(length) : buffer_result<std::span<std::byte>>(fragment.error());
        if (!room || segment.copy_out(offset, *room) != length) {
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
        status = send_one(header.destination, std::move(*fragment), now);
        if (status == send_status::sent) ++counters_.fragments_sent;
    }
    return status;
}

send_status ipv4::send_one(wire::ipv4_address destination, packet&& datagram, clock::time_point now) {
    if (destination.is_broadcast() || config_.address.is_directed_broadcast(destination)) {
        return link_.output(wire::ethernet_broadcast, wire::ethertype_ipv4, std::move(datagram));
    }
    // RFC 1112 6.4: a group's datagrams go to its Ethernet address; no ARP.
    if (destination.is_multicast()) {
        return link_.output(wire::multicast_mac(destination), wire::ethertype_ipv4, std::move(datagram));
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
    return neighbours_.output(next_hop, std::move(datagram), now);
}

}  // namespace sluice::net
