// tcp_protocol: input checks and demultiplexing, and ICMP errors (output: segment_output.cc).
#include "sluice/net/tcp/tcp_protocol.hh"

#include <algorithm>
#include <array>

#include "sluice/net/packet_checksum.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/icmp.hh"
#include "sluice/net/wire/tcp.hh"

namespace sluice::net::tcp {

tcp_protocol::tcp_protocol(ipv4_output& ip, wire::drop_counters& dropped, const table_limits& limits)
    : ip_(ip), dropped_(dropped), table_(*this, limits) {}

connection_options tcp_protocol::options_for_interface(connection_options base) const noexcept {
    const std::size_t room = ip_.max_unfragmented_payload();
    base.mss = std::uint16_t(std::min<std::size_t>(room > wire::tcp_header::min_length ? room - 20 : 536, 65535));
    // With TSO a segment may carry as much as one IPv4 datagram holds beside the largest
    // TCP header; segment_output.cc cuts it here when the device cannot take it.
    if (ip_.offloads().tx_tcp_segmentation && base.segmentation_bytes == 0) {
        base.segmentation_bytes = std::uint32_t(wire::ipv4_header::max_datagram_length - wire::ipv4_header::min_length -
                                                wire::tcp_header::max_length);
    }
    return base;
}

void tcp_protocol::receive(const wire::ipv4_header& header, packet&& segment_bytes, clock::time_point now) {
    const std::size_t length = segment_bytes.length();
    if (length < wire::tcp_header::min_length) return dropped_.count(wire::drop_reason::tcp_truncated);
    // The most a header may be (60 bytes) in one piece, in one call: a received frame
    // holds it in its first segment already. parse() checks the data offset against it.
    auto whole = segment_bytes.linearize(std::min(length, wire::tcp_header::max_length));
    if (!whole) return dropped_.count(wire::drop_reason::no_mbufs);
    const auto parsed = wire::tcp_header::parse(*whole, length);
    if (!parsed) return dropped_.count(parsed.error());
    const checksum_status device = segment_bytes.checksums().l4;
    if (device == checksum_status::bad ||
        (device != checksum_status::good &&
         l4_checksum(header.source, header.destination, wire::ip_protocol_tcp, segment_bytes) != 0)) {
        return dropped_.count(wire::drop_reason::tcp_bad_checksum);
    }
    const std::uint8_t flags = parsed->flags;
    const bool syn = (flags & wire::tcp_syn) != 0;
    // Combinations no stack sends; scanners and attacks do (SYN+FIN, SYN+RST, "null").
    if ((syn && (flags & (wire::tcp_fin | wire::tcp_rst)) != 0) ||
        (flags & (wire::tcp_syn | wire::tcp_ack | wire::tcp_rst | wire::tcp_fin)) == 0) {
        return dropped_.count(wire::drop_reason::tcp_bad_flags);
    }
    if (header.source.is_broadcast() || header.source.is_multicast() || header.destination.is_broadcast() ||
        header.destination.is_multicast()) {
        return dropped_.count(wire::drop_reason::tcp_not_unicast);
    }
    if (header.source == header.destination && parsed->source_port == parsed->destination_port) {
        return dropped_.count(wire::drop_reason::tcp_land);
    }
    segment incoming;
    incoming.options = wire::tcp_options::parse(whole->subspan(wire::tcp_header::min_length,
                                                               parsed->header_length() - wire::tcp_header::min_length));
    if (incoming.options.malformed) return dropped_.count(wire::drop_reason::tcp_bad_option);
    incoming.sequence = seq(parsed->sequence);
    incoming.acknowledgment = seq(parsed->acknowledgment);
    incoming.flags = flags;
    incoming.window = parsed->window;
    segment_bytes.trim_front(parsed->header_length());
    if (!segment_bytes.empty()) incoming.payload = std::move(segment_bytes).into_buffer();
    ++counters_.segments_received;
    const four_tuple tuple{header.destination, parsed->destination_port, header.source, parsed->source_port};
    table_.deliver(tuple, std::move(incoming), now);
}

// RFC 5927: fragmentation needed lowers the MSS of the connection it names (checked there
// against data in flight); the other errors are soft (RFC 1122 4.2.3.9) and only counted.
void tcp_protocol::receive_icmp_error(const icmp_error& error, clock::time_point now) {
    const auto quoted = wire::tcp_header::parse_quoted(error.quoted_payload);
    if (!quoted) return dropped_.count(wire::drop_reason::icmp_truncated);
    const four_tuple tuple{error.quoted_header.source, quoted->source_port, error.quoted_header.destination,
                           quoted->destination_port};
    connection_entry* entry = table_.find(tuple);
    if (entry == nullptr) {
        ++counters_.icmp_unmatched;
        return dropped_.count(wire::drop_reason::icmp_error_unmatched);
    }
    ++counters_.icmp_errors;
    if (error.type == wire::icmp_type_destination_unreachable && error.code == wire::icmp_code_fragmentation_needed) {
        entry->conn.on_path_mtu(std::uint16_t(error.rest & 0xffff), seq(quoted->sequence), now);
        table_.updated(*entry, now);
    }
}

}  // namespace sluice::net::tcp
