// sluice::net::tcp::receive_buffer: RCV.NXT and the bytes received — in order, readable by
// the application as views (no copy), and out of order, held for reassembly within a bound.
// Owned by the connection on one shard; it holds the payload views handed to insert().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sluice/core/fifo.hh"
#include "sluice/net/buffer.hh"
#include "sluice/net/tcp/seq.hh"
#include "sluice/net/wire/tcp.hh"

namespace sluice::net::tcp {

struct receive_limits {
    std::size_t capacity = 256 * 1024;           // the receive window's bytes (readable + reorderable)
    std::size_t max_out_of_order_segments = 64;  // bounded reassembly: pieces held beyond a hole
};

struct receive_counters {
    std::uint64_t out_of_order_segments = 0;  // pieces kept beyond a hole
    std::uint64_t duplicate_bytes = 0;        // bytes already received (before RCV.NXT or held)
    std::uint64_t out_of_window_bytes = 0;    // bytes past RCV.NXT + RCV.WND, cut
    std::uint64_t out_of_order_dropped = 0;   // pieces dropped or evicted at the segment bound
};

// Memory: at most `capacity` bytes, and at most max_out_of_order_segments held pieces (each
// one received segment's view, so the bound also limits the mbufs held beyond a hole).
// RFC 9293 3.10.7.4: "segments with higher beginning sequence numbers may be held".
class receive_buffer {
public:
    receive_buffer(seq next, const receive_limits& limits);

    struct insert_result {
        std::uint32_t advanced = 0;  // bytes RCV.NXT moved
        bool out_of_order = false;   // kept beyond a hole
        bool dropped = false;        // bound hit, or nothing new
    };
    // Payload starting at sequence number `start` (one segment's, under 2^31 bytes): bytes
    // before next() and beyond next() + window() are cut; an in-order piece advances next()
    // and pulls any held pieces it now reaches; a later one is held (overlap with held
    // pieces trimmed, so each byte is held once).
    insert_result insert(seq start, buffer&& payload);

    seq next() const noexcept { return next_; }  // RCV.NXT
    // The peer's FIN, reached in order, takes one sequence number (RFC 9293 3.10.7.4
    // eighth: "advance RCV.NXT over the FIN"). Nothing follows a FIN, so held pieces go.
    void advance_past_fin() noexcept;
    // What the peer may still send past next(): capacity - readable(). Bytes held out of
    // order lie inside it and do not shrink it. At most 2^30 (RFC 7323 2.3).
    std::uint32_t window() const noexcept;
    std::size_t readable() const noexcept { return readable_bytes_; }
    // Up to `max` bytes from the front as one view (no copy): the application's read.
    buffer read(std::size_t max);

    // The SACK blocks to send, at most out.size(): the block holding the most recently
    // received piece first (RFC 2018 4), then the others by recency; a block is a run of
    // held pieces that touch. Returns the count written.
    std::size_t sack_blocks(std::span<wire::tcp_sack_block> out) const noexcept;

    std::size_t out_of_order_bytes() const noexcept { return held_bytes_; }
    std::size_t out_of_order_segments() const noexcept { return held_.size(); }
    bool has_out_of_order() const noexcept { return !held_.empty(); }
    const receive_counters& counters() const noexcept { return counters_; }
    std::size_t capacity() const noexcept { return limits_.capacity; }
    // A smaller capacity also cuts held pieces that now lie past the window's right edge
    // (RFC 9293 allows discarding out-of-order data; RFC 2018 8 lets SACKed data go).
    void set_capacity(std::size_t capacity) noexcept;

private:
    struct held_piece {
        seq start;
        buffer bytes;
        std::uint64_t arrival = 0;  // larger is more recent; orders the SACK blocks
        seq end() const noexcept { return start + std::uint32_t(bytes.size()); }
    };

    // Appends an in-order piece to the readable bytes and moves next() past it.
    void take_in_order(buffer&& payload);
    // Moves held pieces that next() now reaches to the readable bytes; bytes advanced.
    std::uint32_t pull_held();
    // Keeps a piece that starts past next() (already cut to the window).
    insert_result hold(seq start, buffer&& payload);
    // Offset of `s` from next(); held pieces and the window lie within 2^31 of it.
    std::int64_t offset_of(seq s) const noexcept { return std::int64_t(s - next_); }

    seq next_;
    receive_limits limits_;
    fifo<buffer> readable_{2};  // in-order pieces, oldest first; grows as it must
    std::size_t readable_bytes_ = 0;
    std::vector<held_piece> held_;  // sorted by start, no two overlapping; reserved at the first hole
    std::size_t held_bytes_ = 0;
    std::uint64_t arrivals_ = 0;
    receive_counters counters_;
};

}  // namespace sluice::net::tcp
