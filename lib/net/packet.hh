// sluice::net::packet: the move-only owner of one mbuf chain — a received frame, or one
// being built for transmit — with zero-copy prepend/append/trim/chain and copies only when
// asked (linearize, copy_out, copy_of). Use a packet on the shard that owns its mbufs'
// pool; it frees its chain when destroyed unless release() handed the chain to a tx burst.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "sluice/net/buffer.hh"
#include "sluice/net/buffer_error.hh"
#include "sluice/net/packet_pool.hh"

struct rte_mbuf;
struct rte_mempool;

namespace sluice::net {

// What the device said about a received frame's checksums (its rx offload), so the stack
// verifies in software only what the device did not.
enum class checksum_status : std::uint8_t { unknown, good, bad };
struct received_checksums {
    checksum_status ipv4_header = checksum_status::unknown;
    checksum_status l4 = checksum_status::unknown;  // TCP or UDP
};
// tcp_segmentation: the TCP checksum and TSO (the segment must carry
// request_tcp_segmentation's fields, and its checksum field the pseudo-header sum taken
// with a length of zero, DPDK's rule for TSO).
enum class l4_checksum_offload : std::uint8_t { none, udp, tcp, tcp_segmentation };

// Sharing rule: a packet writes only into bytes no view can see. A segment that a buffer
// view (or an attached indirect mbuf) references is read-only to the packet — its data,
// its headroom and its tailroom — so prepend and append chain a fresh mbuf in front of or
// behind it instead, and writable() refuses it. Trims, chain and linearize only rewrite
// the packet's own mbuf fields, which views never read (buffer.hh).
//
// Pools: the calls that may allocate take an explicit pool, or use the thread's current
// pool (packet_pool::current(), set on each shard to its own pool). Off-shard, with no
// current pool, they fall back to the pool the packet's first segment came from.
class packet {
public:
    static constexpr std::size_t npos = std::size_t(-1);

    packet() noexcept = default;  // no bytes, no mbuf
    packet(packet&& other) noexcept : head_(other.head_) { other.head_ = nullptr; }
    packet& operator=(packet&& other) noexcept;
    packet(const packet&) = delete;  // share() makes views; copy_of() copies bytes
    packet& operator=(const packet&) = delete;
    ~packet() {
        if (head_ != nullptr) free_chain();
    }

    // Adopts a received chain (no copy); null gives an empty packet.
    static packet from_mbuf(rte_mbuf* chain) noexcept {
        packet adopted;
        adopted.head_ = chain;
        return adopted;
    }
    // One empty mbuf with packet_pool::headroom in front for headers.
    static buffer_result<packet> allocate(packet_pool& pool) noexcept;
    static buffer_result<packet> allocate() noexcept;
    // A packet holding a copy of `bytes`, as many segments as it takes.
    static buffer_result<packet> copy_of(std::span<const std::byte> bytes, packet_pool& pool) noexcept;
    static buffer_result<packet> copy_of(std::span<const std::byte> bytes) noexcept;
    // A chain of indirect mbufs (from `pool`) attached to the view's segments: shared bytes
    // handed to a NIC without a copy (a retransmission, a forwarded slice). A pool with
    // data_room 0 serves this well. The view stays valid and unchanged.
    static buffer_result<packet> from_buffer(const buffer& bytes, packet_pool& pool) noexcept;
    static buffer_result<packet> from_buffer(const buffer& bytes) noexcept;

    // Hands the chain over (to a tx burst) and leaves this packet empty.
    rte_mbuf* release() noexcept {
        rte_mbuf* chain = head_;
        head_ = nullptr;
        return chain;
    }
    // The first segment, still owned here: drivers set offload fields through it.
    rte_mbuf* mbuf() const noexcept { return head_; }

    std::size_t length() const noexcept;
    std::size_t segments() const noexcept;
    bool empty() const noexcept { return length() == 0; }
    std::size_t headroom() const noexcept;  // bytes prepend() takes without allocating
    std::size_t tailroom() const noexcept;  // bytes append() takes without allocating

    // n writable bytes in front of the data, for a header: in the first segment's headroom,
    // or in a fresh mbuf chained in front (the payload is never moved). Fails with
    // pool_empty, or too_large when n is over one mbuf's room; the packet is then unchanged.
    buffer_result<std::span<std::byte>> prepend(std::size_t n, packet_pool& pool) noexcept;
    buffer_result<std::span<std::byte>> prepend(std::size_t n) noexcept;
    // n contiguous writable bytes after the data: in the last segment's tailroom, or in a
    // fresh segment chained behind (what the last one had left stays unused).
    buffer_result<std::span<std::byte>> append(std::size_t n, packet_pool& pool) noexcept;
    buffer_result<std::span<std::byte>> append(std::size_t n) noexcept;
    // Copies `bytes` after the data, filling each segment before chaining the next. All or
    // nothing: on pool_empty the packet is as it was.
    buffer_result<void> append_copy(std::span<const std::byte> bytes, packet_pool& pool) noexcept;
    buffer_result<void> append_copy(std::span<const std::byte> bytes) noexcept;

    // Drop bytes from either end (clamped to the length); emptied segments are released.
    void trim_front(std::size_t n) noexcept;
    void trim_back(std::size_t n) noexcept;
    // Links `tail`'s segments after ours (no copy) and leaves `tail` empty. On
    // too_many_segments or too_large (a length past 4 GiB) both stay as they were.
    buffer_result<void> chain(packet&& tail) noexcept;

    // Makes the first n bytes contiguous and returns them. Already contiguous: no copy.
    // Otherwise it pulls the bytes into the first segment when that one is unshared and
    // has the room, else into a fresh mbuf put in front. Fails with out_of_range (n past
    // the end), too_large (n over one mbuf) or pool_empty, leaving the packet unchanged.
    buffer_result<std::span<const std::byte>> linearize(std::size_t n, packet_pool& pool) noexcept;
    buffer_result<std::span<const std::byte>> linearize(std::size_t n) noexcept;

    // The n bytes at `offset` if they lie in one segment; nothing if they cross a boundary
    // or pass the end. Parsers take this fast path and fall back to copy_out or linearize.
    std::optional<std::span<const std::byte>> contiguous(std::size_t offset, std::size_t n) const noexcept;
    // The same bytes, writable, when they lie in one segment that no view shares.
    std::optional<std::span<std::byte>> writable(std::size_t offset, std::size_t n) noexcept;
    // Copies bytes from `offset` into dst; returns how many (fewer at the end).
    std::size_t copy_out(std::size_t offset, std::span<std::byte> dst) const noexcept;

    // The bytes from `offset` to the end, one span per segment, into `out`; returns how
    // many spans it wrote (it stops early when `out` is full). For checksums over a chain.
    std::size_t spans(std::size_t offset, std::span<std::span<const std::byte>> out) const noexcept;

    // Receive side: the device's verdict on this frame's checksums (rx offload).
    received_checksums checksums() const noexcept;
    // The device's receive timestamp, in its own clock's units, when the port turned the
    // timestamp offload on and the device stamped this frame (device_timestamp.hh).
    std::optional<std::uint64_t> device_timestamp() const noexcept;
    // Transmit side: asks the device to fill the IPv4 header checksum and/or the L4 one.
    // For L4 the checksum field must already hold the pseudo-header sum (DPDK's rule);
    // call only when the device's offload_flags say it can.
    void offload_checksums(std::uint16_t l2_length, std::uint16_t l3_length, bool ipv4_header,
                           l4_checksum_offload l4) noexcept;
    // TSO's part of the request, before IPv4 adds its own (offload_checksums with
    // tcp_segmentation): the TCP header's length and the data bytes each frame carries.
    void request_tcp_segmentation(std::uint16_t tcp_header_length, std::uint16_t segment_size) noexcept;

    // A view of bytes [offset, offset + n) (clamped) sharing these mbufs; it can outlive
    // the packet. While it lives, the segments it covers are read-only here.
    buffer share(std::size_t offset = 0, std::size_t n = npos) const;
    // The whole packet as a view, handing over the chain's references (no count changes).
    buffer into_buffer() &&;

private:
    rte_mempool* pool_for(rte_mempool* requested) const noexcept;
    buffer_result<std::span<std::byte>> prepend_from(std::size_t n, rte_mempool* pool) noexcept;
    buffer_result<std::span<std::byte>> append_from(std::size_t n, rte_mempool* pool) noexcept;
    buffer_result<void> append_copy_from(std::span<const std::byte> bytes, rte_mempool* pool) noexcept;
    buffer_result<std::span<const std::byte>> linearize_from(std::size_t n, rte_mempool* pool) noexcept;
    static buffer_result<packet> from_buffer_from(const buffer& bytes, rte_mempool* pool) noexcept;
    void free_chain() noexcept;

    rte_mbuf* head_ = nullptr;
};

}  // namespace sluice::net
