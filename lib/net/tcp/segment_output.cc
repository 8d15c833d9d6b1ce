// tcp_protocol: output. An outgoing_segment becomes one packet: header in front, payload
// the send buffer's mbufs attached without a copy. A segment of several MSS (TSO allowed
// by connection_options::segmentation_bytes) goes to the device whole when it can cut it,
// else it is cut here into the frames the device would have made.
#include <algorithm>

#include "sluice/net/packet_checksum.hh"
#include "sluice/net/tcp/tcp_protocol.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ethernet.hh"
#include "sluice/net/wire/tcp.hh"

namespace sluice::net::tcp {

void tcp_protocol::send(const four_tuple& tuple, outgoing_segment&& out, clock::time_point now) {
    const std::size_t header_length = wire::tcp_header::min_length + out.options.length();
    if (out.segment_size == 0 || out.payload.size() <= out.segment_size) return send_packet(tuple, std::move(out), 0, now);
    // Each frame's data: one MSS, less any options beyond those the MSS allowed for (SACK
    // blocks), so that header and data still fit the MTU.
    const std::size_t room = ip_.max_unfragmented_payload();
    const std::uint16_t piece = std::uint16_t(
        std::max<std::size_t>(1, std::min<std::size_t>(out.segment_size, room > header_length ? room - header_length : 1)));
    if (device_segments(out, header_length)) {
        const std::size_t frame_limit = ip_.offloads().tx_tso_max_frame;
        const std::size_t headers = wire::ethernet_header_length + wire::ipv4_header::min_length + header_length;
        const std::uint16_t device_piece =
            frame_limit > headers ? std::uint16_t(std::min<std::size_t>(piece, frame_limit - headers)) : piece;
        return send_packet(tuple, std::move(out), device_piece, now);
    }
    send_in_pieces(tuple, std::move(out), piece, now);
}

// The device cuts it if it has TSO, the datagram stays under IPv4's 64 KiB and the mbuf
// chain (the header's mbuf and the payload's) within the device's descriptor limit.
bool tcp_protocol::device_segments(const outgoing_segment& out, std::size_t header_length) const noexcept {
    const offload_flags offloads = ip_.offloads();
    // Each frame's IPv4 length and checksum change, so TSO needs the header checksum too.
    if (!offloads.tx_tcp_segmentation || !offloads.tx_ipv4_checksum) return false;
    if (wire::ipv4_header::min_length + header_length + out.payload.size() > wire::ipv4_header::max_datagram_length) {
        return false;
    }
    return offloads.tx_max_chain == 0 || out.payload.fragments().size() + 1 <= offloads.tx_max_chain;
}

// What a device's TSO does (and sim::offload_device checks): the same header on every
// frame, sequence numbers advanced, PSH and FIN only on the last (RFC 9293 3.9, "SEND").
void tcp_protocol::send_in_pieces(const four_tuple& tuple, outgoing_segment&& out, std::uint16_t piece,
                                  clock::time_point now) {
    ++counters_.segmented_in_software;
    const std::uint8_t last_only = wire::tcp_psh | wire::tcp_fin;
    const std::size_t total = out.payload.size();
    for (std::size_t offset = 0; offset < total; offset += piece) {
        const bool last = offset + piece >= total;
        outgoing_segment frame;
        frame.sequence = out.sequence + std::uint32_t(offset);
        frame.acknowledgment = out.acknowledgment;
        frame.flags = last ? out.flags : std::uint8_t(out.flags & ~last_only);
        frame.window = out.window;
        frame.options = out.options;
        frame.payload = out.payload.slice(offset, piece);
        send_packet(tuple, std::move(frame), 0, now);
    }
}

// One packet to IPv4. device_piece nonzero: a TSO segment, its checksum field seeded with
// the pseudo header of length zero (DPDK's rule: the device adds each frame's length).
void tcp_protocol::send_packet(const four_tuple& tuple, outgoing_segment&& out, std::uint16_t device_piece,
                               clock::time_point now) {
    const std::size_t header_length = wire::tcp_header::min_length + out.options.length();
    packet bytes;
    if (!out.payload.empty()) {
        // The send buffer's mbufs go to the device attached, not copied (rule 9).
        auto attached = packet::from_buffer(out.payload);
        if (!attached) {
            ++counters_.no_mbufs;
            return;
        }
        bytes = std::move(*attached);
    } else {
        auto fresh = packet::allocate();
        if (!fresh) {
            ++counters_.no_mbufs;
            return;
        }
        bytes = std::move(*fresh);
    }
    auto header_bytes = bytes.prepend(header_length);
    if (!header_bytes) {
        ++counters_.no_mbufs;
        return;
    }
    wire::tcp_header header;
    header.source_port = tuple.local_port;
    header.destination_port = tuple.remote_port;
    header.sequence = out.sequence.value;
    header.acknowledgment = out.has(wire::tcp_ack) ? out.acknowledgment.value : 0;
    header.data_offset_words = std::uint8_t(header_length / 4);
    header.flags = out.flags;
    header.window = out.window;
    header.emit(*header_bytes);
    out.options.emit(header_bytes->subspan(wire::tcp_header::min_length));
    const wire::ipv4_address source = ip_.source_address();
    l4_checksum_offload offload = l4_checksum_offload::none;
    std::uint16_t checksum = 0;
    if (device_piece != 0) {
        offload = l4_checksum_offload::tcp_segmentation;
        checksum = wire::l4_offload_seed(source, tuple.remote, wire::ip_protocol_tcp, 0);
        bytes.request_tcp_segmentation(std::uint16_t(header_length), device_piece);
        ++counters_.segmentation_offloaded;
    } else if (bytes.length() <= ip_.max_unfragmented_payload() && ip_.offloads().tx_tcp_checksum) {
        offload = l4_checksum_offload::tcp;
        checksum = wire::l4_offload_seed(source, tuple.remote, wire::ip_protocol_tcp, std::uint16_t(bytes.length()));
        ++counters_.checksum_offloaded;
    } else {
        checksum = l4_checksum(source, tuple.remote, wire::ip_protocol_tcp, bytes);
    }
    wire::store_be16(*header_bytes, wire::tcp_header::checksum_offset, checksum);
    const send_status status = ip_.send(tuple.remote, wire::ip_protocol_tcp, std::move(bytes), offload, now);
    if (status == send_status::sent) {
        ++counters_.segments_sent;
    } else {
        ++counters_.not_sent;
    }
}

}  // namespace sluice::net::tcp
