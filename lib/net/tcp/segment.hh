// sluice::net::tcp::segment and outgoing_segment: a TCP segment as the protocol core sees
// it — not a packet. `segment` is one that arrived, its header fields and options parsed
// and its payload a view of the received mbufs; `outgoing_segment` is what the core wants
// sent, which the stack's TCP layer turns into a packet. Plain values; one shard.
#pragma once

#include <cstdint>

#include "sluice/core/clock.hh"

#include "sluice/net/buffer.hh"
#include "sluice/net/tcp/four_tuple.hh"
#include "sluice/net/tcp/seq.hh"
#include "sluice/net/wire/tcp.hh"

namespace sluice::net::tcp {

struct segment {
    seq sequence;
    seq acknowledgment;
    std::uint8_t flags = 0;    // wire::tcp_syn ...
    std::uint16_t window = 0;  // as on the wire: not yet scaled
    wire::tcp_options options;
    buffer payload;  // the data, no header

    bool has(std::uint8_t flag) const noexcept { return (flags & flag) != 0; }
    // SEG.LEN (RFC 9293 3.3.1): data bytes plus one for SYN and one for FIN.
    std::uint32_t length() const noexcept {
        return std::uint32_t(payload.size()) + (has(wire::tcp_syn) ? 1 : 0) + (has(wire::tcp_fin) ? 1 : 0);
    }
    seq end() const noexcept { return sequence + length(); }
};

struct outgoing_segment {
    seq sequence;
    seq acknowledgment;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;  // already shifted by our window scale
    wire::tcp_options options;
    buffer payload;  // a view of the send buffer: the stack hands it to the device without a copy
    // Nonzero when the payload is longer than one MSS (connection_options'
    // segmentation_bytes allowed it): it leaves as frames of this many data bytes each,
    // cut by the device (TSO) or by the stack's TCP layer.
    std::uint16_t segment_size = 0;

    bool has(std::uint8_t flag) const noexcept { return (flags & flag) != 0; }
    std::uint32_t length() const noexcept {
        return std::uint32_t(payload.size()) + (has(wire::tcp_syn) ? 1 : 0) + (has(wire::tcp_fin) ? 1 : 0);
    }
};

// Where a connection puts what it sends: the stack's TCP layer (which builds packets and
// hands them to IPv4) or a test that records them. Called during on_segment, on_timer and
// the application calls, on the connection's shard.
class segment_sink {
public:
    virtual ~segment_sink() = default;
    virtual void send(const four_tuple& tuple, outgoing_segment&& out, clock::time_point now) = 0;
};

}  // namespace sluice::net::tcp
