// packet: reading (linearize, contiguous, writable, copy_out) and sharing (share,
// into_buffer, from_buffer). Same rules as packet.cc: packet-wide fields stay in the first
// segment, and bytes are written only where detail::writable allows.
#include "sluice/net/packet.hh"

#include <rte_mbuf_dyn.h>

#include "sluice/net/device_timestamp.hh"
#include "sluice/net/packet_checksum.hh"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "sluice/net/detail/mbuf.hh"

namespace sluice::net {

using detail::bytes;
using detail::choose_pool;
using detail::holds_no_bytes;
using detail::locate;
using detail::max_length;

// --- reading ----------------------------------------------------------------------------

buffer_result<std::span<const std::byte>> packet::linearize(std::size_t n, packet_pool& pool) noexcept {
    return linearize_from(n, pool.mempool());
}
buffer_result<std::span<const std::byte>> packet::linearize(std::size_t n) noexcept {
    return linearize_from(n, nullptr);
}

buffer_result<std::span<const std::byte>> packet::linearize_from(std::size_t n, rte_mempool* pool) noexcept {
    using span = std::span<const std::byte>;
    if (n > length()) return buffer_error::out_of_range;
    if (n == 0) return span{};
    if (n <= head_->data_len) return span(bytes(head_), n);

    if (detail::writable(head_) && n <= head_->buf_len) {
        // Pull the bytes into the first segment, sliding its data toward the front of its
        // buffer first if the room behind it is short.
        if (head_->data_off + n > head_->buf_len) {
            const auto front = std::uint16_t(head_->buf_len - n);
            std::memmove(static_cast<std::byte*>(head_->buf_addr) + front, bytes(head_), head_->data_len);
            head_->data_off = front;
        }
        rte_mbuf* prev = head_;
        while (head_->data_len < n) {
            rte_mbuf* seg = prev->next;
            const std::size_t take = std::min<std::size_t>(n - head_->data_len, seg->data_len);
            std::memcpy(bytes(head_) + head_->data_len, bytes(seg), take);
            head_->data_len += std::uint16_t(take);
            seg->data_off += std::uint16_t(take);
            seg->data_len -= std::uint16_t(take);
            if (seg->data_len == 0) {
                prev->next = seg->next;
                seg->next = nullptr;
                detail::release_segment(seg);
                head_->nb_segs -= 1;
            } else {
                prev = seg;
            }
        }
        return span(bytes(head_), n);
    }

    // The first segment is shared or too small: copy the n bytes into a fresh mbuf in front.
    rte_mempool* mp = pool_for(pool);
    if (mp == nullptr) return buffer_error::no_pool;
    const std::size_t room = rte_pktmbuf_data_room_size(mp);
    if (n > room) return buffer_error::too_large;
    rte_mbuf* m = rte_pktmbuf_alloc(mp);
    if (m == nullptr) return buffer_error::pool_empty;
    m->data_off = std::uint16_t(std::min<std::size_t>(packet_pool::headroom, room - n));
    m->data_len = std::uint16_t(copy_out(0, std::span<std::byte>(bytes(m), n)));
    // Dropping n > data_len bytes releases at least the first segment, so adding m cannot
    // pass the segment limit.
    trim_front(n);
    detail::move_packet_fields(m, head_);
    if (holds_no_bytes(head_)) {
        m->pkt_len = std::uint32_t(n);
        detail::release_chain(head_);
    } else {
        m->next = head_;
        m->nb_segs = std::uint16_t(head_->nb_segs + 1);
        m->pkt_len = head_->pkt_len + std::uint32_t(n);
    }
    head_ = m;
    return span(bytes(m), n);
}

std::optional<std::span<const std::byte>> packet::contiguous(std::size_t offset, std::size_t n) const noexcept {
    const std::size_t len = length();
    if (offset > len || n > len - offset) return std::nullopt;
    if (n == 0) return std::span<const std::byte>{};
    auto [seg, at] = locate(head_, offset);
    if (n > seg->data_len - at) return std::nullopt;
    return std::span<const std::byte>(bytes(seg) + at, n);
}

std::optional<std::span<std::byte>> packet::writable(std::size_t offset, std::size_t n) noexcept {
    const std::size_t len = length();
    if (offset > len || n > len - offset) return std::nullopt;
    if (n == 0) return std::span<std::byte>{};
    auto [seg, at] = locate(head_, offset);
    if (n > seg->data_len - at || !detail::writable(seg)) return std::nullopt;
    return std::span<std::byte>(bytes(seg) + at, n);
}

std::size_t packet::copy_out(std::size_t offset, std::span<std::byte> dst) const noexcept {
    const std::size_t len = length();
    if (offset >= len) return 0;
    const std::size_t total = std::min(dst.size(), len - offset);
    std::size_t copied = 0;
    for (auto [seg, at] = locate(head_, offset); copied < total; seg = seg->next, at = 0) {
        const std::size_t take = std::min<std::size_t>(seg->data_len - at, total - copied);
        std::memcpy(dst.data() + copied, bytes(seg) + at, take);
        copied += take;
    }
    return copied;
}

std::size_t packet::spans(std::size_t offset, std::span<std::span<const std::byte>> out) const noexcept {
    std::size_t written = 0;
    for (auto [seg, at] = locate(head_, offset); seg != nullptr && written < out.size(); seg = seg->next, at = 0) {
        if (seg->data_len > at) out[written++] = std::span<const std::byte>(bytes(seg) + at, seg->data_len - at);
    }
    return written;
}

void add_to_checksum(wire::internet_checksum& sum, const packet& bytes) noexcept {
    for (const rte_mbuf* segment = bytes.mbuf(); segment != nullptr; segment = segment->next) {
        sum.add(std::span<const std::byte>(rte_pktmbuf_mtod(segment, const std::byte*), segment->data_len));
    }
}

// --- offloads ---------------------------------------------------------------------------

namespace {
device_timestamp_field timestamp_field;  // written once before the shards start (device_timestamp.hh)
}  // namespace

void set_device_timestamp_field(device_timestamp_field field) noexcept { timestamp_field = field; }
device_timestamp_field current_device_timestamp_field() noexcept { return timestamp_field; }

std::optional<std::uint64_t> packet::device_timestamp() const noexcept {
    const device_timestamp_field field = timestamp_field;
    if (head_ == nullptr || field.offset < 0 || (head_->ol_flags & field.flag) == 0) return std::nullopt;
    return *RTE_MBUF_DYNFIELD(head_, field.offset, const std::uint64_t*);
}

received_checksums packet::checksums() const noexcept {
    received_checksums result;
    if (head_ == nullptr) return result;
    const std::uint64_t flags = head_->ol_flags;
    const std::uint64_t ip = flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
    if (ip == RTE_MBUF_F_RX_IP_CKSUM_GOOD) result.ipv4_header = checksum_status::good;
    if (ip == RTE_MBUF_F_RX_IP_CKSUM_BAD) result.ipv4_header = checksum_status::bad;
    const std::uint64_t l4 = flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
    if (l4 == RTE_MBUF_F_RX_L4_CKSUM_GOOD) result.l4 = checksum_status::good;
    if (l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD) result.l4 = checksum_status::bad;
    return result;
}

void packet::offload_checksums(std::uint16_t l2_length, std::uint16_t l3_length, bool ipv4_header,
                               l4_checksum_offload l4) noexcept {
    if (head_ == nullptr) return;
    head_->l2_len = l2_length;
    head_->l3_len = l3_length;
    std::uint64_t flags = RTE_MBUF_F_TX_IPV4;
    if (ipv4_header) flags |= RTE_MBUF_F_TX_IP_CKSUM;
    if (l4 == l4_checksum_offload::udp) flags |= RTE_MBUF_F_TX_UDP_CKSUM;
    if (l4 == l4_checksum_offload::tcp) flags |= RTE_MBUF_F_TX_TCP_CKSUM;
    if (l4 == l4_checksum_offload::tcp_segmentation) flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM;
    head_->ol_flags |= flags;
}

void packet::request_tcp_segmentation(std::uint16_t tcp_header_length, std::uint16_t segment_size) noexcept {
    if (head_ == nullptr) return;
    head_->l4_len = tcp_header_length;
    head_->tso_segsz = segment_size;
}

// --- views ------------------------------------------------------------------------------

buffer packet::share(std::size_t offset, std::size_t n) const {
    buffer out;
    const std::size_t len = length();
    if (offset >= len) return out;
    n = std::min(n, len - offset);
    if (n == 0) return out;
    const auto [first, start] = locate(head_, offset);
    // Count first, reserve, then take references: a failed allocation leaves none taken.
    std::size_t pieces = 0;
    std::size_t left = n;
    for (auto [seg, at] = std::pair{first, start}; left != 0; seg = seg->next, at = 0) {
        const std::size_t take = std::min<std::size_t>(seg->data_len - at, left);
        pieces += take != 0;
        left -= take;
    }
    out.reserve(pieces);
    left = n;
    for (auto [seg, at] = std::pair{first, start}; left != 0; seg = seg->next, at = 0) {
        const std::size_t take = std::min<std::size_t>(seg->data_len - at, left);
        if (take == 0) continue;
        detail::retain_segment(seg);
        out.push_back(fragment(bytes(seg) + at, seg, std::uint32_t(take)));
        left -= take;
    }
    return out;
}

buffer packet::into_buffer() && {
    buffer out;
    if (head_ == nullptr) return out;
    std::size_t pieces = 0;
    for (const rte_mbuf* seg = head_; seg != nullptr; seg = seg->next) pieces += seg->data_len != 0;
    out.reserve(pieces);
    // Each segment's reference moves from the chain to one fragment. The stale `next`
    // links stay; views never follow them and DPDK clears them on the final free.
    rte_mbuf* seg = release();
    while (seg != nullptr) {
        rte_mbuf* next = seg->next;
        if (seg->data_len != 0) {
            out.push_back(fragment(bytes(seg), seg, seg->data_len));
        } else {
            detail::release_segment(seg);
        }
        seg = next;
    }
    return out;
}

buffer_result<packet> packet::from_buffer(const buffer& view, packet_pool& pool) noexcept {
    return from_buffer_from(view, pool.mempool());
}
buffer_result<packet> packet::from_buffer(const buffer& view) noexcept { return from_buffer_from(view, nullptr); }

buffer_result<packet> packet::from_buffer_from(const buffer& view, rte_mempool* pool) noexcept {
    if (view.empty()) return packet();
    if (view.fragments().size() > RTE_MBUF_MAX_NB_SEGS) return buffer_error::too_many_segments;
    if (view.size() > max_length) return buffer_error::too_large;
    rte_mempool* mp = choose_pool(pool, view.fragments()[0].segment_);
    if (mp == nullptr) return buffer_error::no_pool;
    packet out;
    rte_mbuf* last = nullptr;
    for (const fragment& piece : view.fragments()) {
        rte_mbuf* mi = rte_pktmbuf_alloc(mp);
        if (mi == nullptr) return buffer_error::pool_empty;  // `out` releases what was built
        // Takes a reference to the memory's owner (the direct mbuf, or the external
        // buffer's shared info), so the bytes outlive the view if the NIC is slow.
        rte_pktmbuf_attach(mi, piece.segment_);
        // attach copied the segment's packet fields; a chain for transmit starts clean.
        mi->ol_flags &= RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
        mi->port = RTE_MBUF_PORT_INVALID;
        mi->packet_type = 0;
        mi->tx_offload = 0;
        mi->vlan_tci = 0;
        mi->vlan_tci_outer = 0;
        std::memset(&mi->hash, 0, sizeof mi->hash);
        mi->data_off = std::uint16_t(piece.data_ - static_cast<const std::byte*>(mi->buf_addr));
        mi->data_len = std::uint16_t(piece.size_);
        mi->pkt_len = mi->data_len;
        if (last == nullptr) {
            out.head_ = mi;
        } else {
            last->next = mi;
            out.head_->nb_segs += 1;
            out.head_->pkt_len += mi->data_len;
        }
        last = mi;
    }
    return out;
}

}  // namespace sluice::net
