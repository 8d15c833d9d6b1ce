// sluice::net::tcp::send_buffer: the bytes an application wrote that the peer has not yet
// acknowledged, from SND.UNA on (RFC 9293 3.3.1). Owned by the connection, on the one shard
// that owns the current packet pool; it owns its mbufs, and the views it hands out share them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sluice/net/buffer.hh"
#include "sluice/net/buffer_error.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/tcp/seq.hh"

namespace sluice::net::tcp {

// Written bytes are copied once into mbufs (or taken as a view, no copy); transmit and
// retransmit take views of them, and an acknowledgment releases the mbufs it covers.
// Small writes go into the tail of one open packet, so they share mbufs instead of taking
// one each; the open packet becomes a read-only view once it holds `piece_bytes`.
class send_buffer {
public:
    // Bytes one piece holds before it is closed: a handful of mbufs, so a view of one
    // segment's bytes walks few fragments, and a window takes few pieces.
    static constexpr std::size_t piece_bytes = 16 * 1024;

    // `first`: the sequence number of the first data byte (ISS + 1).
    send_buffer(seq first, std::size_t capacity) noexcept : head_(first), capacity_(capacity) {}

    std::size_t capacity() const noexcept { return capacity_; }
    // Shrinking below size() keeps what is held and only stops new writes.
    void set_capacity(std::size_t capacity) noexcept { capacity_ = capacity; }
    std::size_t size() const noexcept { return size_; }
    std::size_t room() const noexcept { return size_ < capacity_ ? capacity_ - size_ : 0; }
    bool empty() const noexcept { return size_ == 0; }
    // The sequence number of the first byte held (SND.UNA once data flows).
    seq head() const noexcept { return head_; }
    // Where the next written byte goes.
    seq tail() const noexcept { return head_ + std::uint32_t(size_); }

    // Copies up to room() bytes of `bytes` into mbufs from the current pool; the count
    // taken. It may take fewer when the pool runs dry part way (what was taken stays);
    // pool_empty (or no_pool) only when it took nothing, and then nothing changed.
    buffer_result<std::size_t> write(std::span<const std::byte> bytes) noexcept;
    // Takes a view without copying (zero-copy write). All or nothing: false, and `bytes`
    // untouched, when bytes.size() > room().
    [[nodiscard]] bool write(buffer&& bytes);

    // A view of [from, from + max), clamped to what is held (empty when `from` lies
    // outside [head, tail)), for a first transmission or a retransmission.
    buffer view(seq from, std::size_t max) const;

    // Frees the bytes before `upto`, clamped to [head, tail] (an old or future
    // acknowledgment frees nothing more than it can); how many were freed.
    std::size_t acknowledge(seq upto) noexcept;

private:
    // Turns the open packet into a read-only piece, so later bytes start a new one.
    void close_open_piece();

    seq head_;
    std::size_t capacity_;
    std::size_t size_ = 0;
    // Closed pieces, oldest first from first_piece_ (then open_'s bytes). A vector with a
    // moving front: nothing is allocated until the first write, and acknowledging is a
    // step forward, compacted now and then (an idle connection holds no deque blocks).
    std::vector<buffer> pieces_;
    std::size_t first_piece_ = 0;
    packet open_;                // the newest bytes, still taking small writes
};

}  // namespace sluice::net::tcp
