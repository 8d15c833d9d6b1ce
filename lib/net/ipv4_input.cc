// stack: IPv4 input (RFC 791 3.2, RFC 1122 3.2.1) — header checks, our address, padding
// trimmed, fragments reassembled — then delivery to ICMP or UDP.
#include <algorithm>
#include <utility>

#include "lib/net/stack.hh"
#include "lib/net/wire/icmp.hh"
#include "lib/net/wire/ipv4.hh"

namespace sluice::net {

void stack::ipv4_input(packet&& frame, std::size_t l2_length, clock::time_point now) {
    ++counters_.ipv4_received;
    const std::size_t available = frame.length() - l2_length;
    const std::size_t header_room = std::min(available, wire::ipv4_header::max_length);
    const auto pulled = frame.linearize(l2_length + header_room);  // in place when contiguous
    if (!pulled) return drop(wire::drop_reason::no_mbufs);
    const std::span<const std::byte> head = pulled->subspan(l2_length);
    const received_checksums device = frame.checksums();
    if (device.ipv4_header == checksum_status::bad) return drop(wire::drop_reason::ipv4_bad_checksum);
    const auto header = wire::ipv4_header::parse(head, available, device.ipv4_header != checksum_status::good);
    if (!header) return drop(header.reason());

    // RFC 1122 3.2.1.3: a host takes datagrams for its address and for broadcasts, and
    // drops the rest silently (we do not forward). A source that is a broadcast or
    // multicast address is bogus.
    const wire::ipv4_address own = config_.address.address;
    const wire::ipv4_address to = header->destination;
    if (to != own && !to.is_broadcast() && !(config_.address.length < 31 && to == config_.address.broadcast())) {
        return drop(wire::drop_reason::ipv4_not_for_us);
    }
    const wire::ipv4_address from = header->source;
    if (from.is_broadcast() || from.is_multicast() || (config_.address.length < 31 && from == config_.address.broadcast())) {
        return drop(wire::drop_reason::ipv4_bad_source);
    }

    // TTL is not checked on the way in: a host must not drop a datagram for a low TTL
    // (RFC 1122 3.2.1.7); ours leave with 64 (ipv4_output.cc).

    // Keep only the IP payload: the headers in front, Ethernet padding behind.
    frame.trim_back(available - header->total_length);
    frame.trim_front(l2_length + header->header_length);
    if (!header->is_fragment()) return ipv4_deliver(*header, std::move(frame), now);

    const fragment_key key{from.value, to.value, header->identification, header->protocol};
    auto whole = reassembly_.add(key, header->fragment_offset, header->more_fragments, std::move(frame), now);
    if (!whole) return;  // waiting for more, or dropped and counted by the reassembly
    wire::ipv4_header reassembled = *header;
    reassembled.more_fragments = false;
    reassembled.fragment_offset = 0;
    reassembled.header_length = wire::ipv4_header::min_length;
    reassembled.total_length = std::uint16_t(std::min<std::size_t>(whole->length() + reassembled.header_length, 65535));
    ipv4_deliver(reassembled, std::move(*whole), now);
}

void stack::ipv4_deliver(const wire::ipv4_header& header, packet&& payload, clock::time_point now) {
    switch (header.protocol) {
        case wire::ip_protocol_udp: return udp_input(header, std::move(payload), now);
        case wire::ip_protocol_icmp: return icmp_input(header, std::move(payload), now);
        default:
            // RFC 1122 3.2.2.1: a host SHOULD say protocol unreachable (rate-limited
            // like every ICMP error here).
            drop(wire::drop_reason::ipv4_protocol_unsupported);
            return send_unreachable(wire::icmp_code_protocol_unreachable, header, payload, now);
    }
}

}  // namespace sluice::net
