// sluice::net::buffer: a read-only, reference-counted view of packet bytes (docs/architecture.md, rule 9).
// Many buffers can share one packet's mbufs; each holds one mbuf reference per fragment,
// and the mbufs go back to their pool when the last view of them is gone. Use a buffer
// only on the shard that owns its mbufs' pool; move it across shards, don't share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

struct rte_mbuf;

namespace sluice::net {

class packet;

// One contiguous run of a buffer's bytes and the mbuf segment whose reference keeps them.
class fragment {
public:
    const std::byte* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    // The segment this fragment holds a reference to (for tests and the mbuf adapter).
    const rte_mbuf* segment() const noexcept { return segment_; }

private:
    friend class buffer;
    friend class packet;
    fragment() = default;
    fragment(const std::byte* data, rte_mbuf* segment, std::uint32_t size) noexcept
        : data_(data), segment_(segment), size_(size) {}

    // No initializers: a fragment stays trivial, so buffer can keep it in a union.
    const std::byte* data_;
    rte_mbuf* segment_;
    std::uint32_t size_;
};

// Why a list of fragments and not (chain, offset, length): the packet a view came from may
// go on changing its chain — trim, prepend, append, chain, linearize rewrite the mbufs'
// data_off, data_len and next. A view that kept its own (pointer, length) per segment does
// not care: it never reads those fields. The packet, for its part, never writes into bytes
// of a segment that a view references (see packet.hh), so what a view shows never changes.
//
// Reference counts are DPDK's own per-mbuf counts (rte_mbuf_refcnt_update), one per
// fragment, so a packet, its views and rte_pktmbuf_free agree on when a segment is free.
// They are atomic in DPDK's build (an uncontended add on a line this core owns; a count
// of 1 is changed without one), and change only when a view is made or dropped, never
// per byte. Indirect mbufs would cost an mbuf per segment per view and could fail on an
// empty pool, so they come in only to hand shared bytes to a NIC (packet::from_buffer).
class buffer {
public:
    static constexpr std::size_t npos = std::size_t(-1);
    // Fragments kept inside the object; more spill to the heap. Two cover a received frame
    // and a frame that crosses one segment boundary, and keep a buffer in one cache line.
    static constexpr std::size_t inline_fragments = 2;

    buffer() noexcept : inline_{} {}
    buffer(const buffer& other);  // one more reference per fragment
    // Moves are on every segment's path (packet to segment to receive buffer to reader):
    // inline, and the fragments are taken over as they lie, whichever union member holds them.
    buffer(buffer&& other) noexcept { take(other); }
    buffer& operator=(const buffer& other);
    buffer& operator=(buffer&& other) noexcept {
        if (this != &other) {
            if (count_ != 0 || on_heap_) drop_all();
            take(other);
        }
        return *this;
    }
    ~buffer() {
        if (count_ != 0 || on_heap_) drop_all();
    }

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::span<const fragment> fragments() const noexcept { return {items(), count_}; }
    void reset() noexcept { *this = buffer(); }

    // Bytes [offset, offset + n), clamped to the end, as a new view of the same mbufs.
    buffer slice(std::size_t offset, std::size_t n = npos) const;
    // [0, at) and [at, size()). The rvalue form reuses this buffer's references.
    std::pair<buffer, buffer> split(std::size_t at) const&;
    std::pair<buffer, buffer> split(std::size_t at) &&;
    // Drop bytes from either end (clamped); whole fragments dropped release their mbuf.
    void trim_front(std::size_t n) noexcept;
    void trim_back(std::size_t n) noexcept;
    // Adds `tail`'s bytes after these (no copy). Adjacent bytes of one segment merge into
    // one fragment, so splitting and appending back gives the original fragments.
    void append(buffer&& tail);

    // The n bytes at `offset` if they lie in one fragment; nothing if they cross a boundary
    // or pass the end. Parsers take the fast path on the first and fall back to copy_out.
    std::optional<std::span<const std::byte>> contiguous(std::size_t offset, std::size_t n) const noexcept {
        if (count_ != 0 && offset <= items()[0].size_ && n <= items()[0].size_ - offset) {
            return items()[0].bytes().subspan(offset, n);
        }
        return contiguous_slow(offset, n);
    }
    // Copies bytes from `offset` into dst; returns how many (fewer at the end).
    std::size_t copy_out(std::size_t offset, std::span<std::byte> dst) const noexcept;

private:
    friend class packet;

    const fragment* items() const noexcept { return on_heap_ ? heap_.items : inline_; }
    fragment* items() noexcept { return on_heap_ ? heap_.items : inline_; }
    std::size_t capacity() const noexcept { return on_heap_ ? heap_.capacity : inline_fragments; }
    // Adds a fragment whose reference the caller already took (or hands over).
    void push_back(const fragment& piece);
    void reserve(std::size_t count);
    void drop_all() noexcept;
    // Takes other's fragments (this holds none); other is left empty.
    void take(buffer& other) noexcept {
        if (other.on_heap_) {
            heap_ = other.heap_;
        } else {
            for (std::uint32_t i = 0; i < other.count_; ++i) inline_[i] = other.inline_[i];
        }
        on_heap_ = other.on_heap_;
        count_ = other.count_;
        size_ = other.size_;
        other.on_heap_ = false;
        other.count_ = 0;
        other.size_ = 0;
    }
    std::optional<std::span<const std::byte>> contiguous_slow(std::size_t offset, std::size_t n) const noexcept;

    struct heap_items {
        fragment* items;
        std::size_t capacity;
    };
    union {
        fragment inline_[inline_fragments];
        heap_items heap_;
    };
    std::size_t size_ = 0;
    std::uint32_t count_ = 0;
    bool on_heap_ = false;
};

}  // namespace sluice::net
