// packet: building and trimming the mbuf chain. DPDK keeps packet-wide fields (pkt_len,
// nb_segs, offload flags) in the first segment; every edit below keeps them right, moving
// them along when another segment becomes the first. Bytes are written only where
// detail::writable allows (packet.hh, sharing rule). Reading and views: packet_access.cc.
#include "sluice/net/packet.hh"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "sluice/net/detail/mbuf.hh"

namespace sluice::net {

using detail::bytes;
using detail::choose_pool;
using detail::holds_no_bytes;
using detail::last_segment;
using detail::max_length;

packet& packet::operator=(packet&& other) noexcept {
    if (this != &other) {
        if (head_ != nullptr) free_chain();
        head_ = other.head_;
        other.head_ = nullptr;
    }
    return *this;
}

void packet::free_chain() noexcept {
    detail::release_chain(head_);
    head_ = nullptr;
}

rte_mempool* packet::pool_for(rte_mempool* requested) const noexcept { return choose_pool(requested, head_); }

std::size_t packet::length() const noexcept { return head_ ? head_->pkt_len : 0; }
std::size_t packet::segments() const noexcept { return head_ ? head_->nb_segs : 0; }
std::size_t packet::headroom() const noexcept { return head_ && detail::writable(head_) ? head_->data_off : 0; }
std::size_t packet::tailroom() const noexcept {
    if (head_ == nullptr) return 0;
    rte_mbuf* last = last_segment(head_);
    return detail::writable(last) ? rte_pktmbuf_tailroom(last) : 0;
}

// --- building ---------------------------------------------------------------------------

buffer_result<packet> packet::allocate(packet_pool& pool) noexcept {
    if (pool.mempool() == nullptr) return buffer_error::no_pool;
    rte_mbuf* m = rte_pktmbuf_alloc(pool.mempool());
    if (m == nullptr) return buffer_error::pool_empty;
    return from_mbuf(m);
}

buffer_result<packet> packet::allocate() noexcept {
    if (detail::current_pool == nullptr) return buffer_error::no_pool;
    rte_mbuf* m = rte_pktmbuf_alloc(detail::current_pool);
    if (m == nullptr) return buffer_error::pool_empty;
    return from_mbuf(m);
}

buffer_result<packet> packet::copy_of(std::span<const std::byte> source, packet_pool& pool) noexcept {
    auto made = allocate(pool);
    if (!made) return made.error();
    if (auto copied = made->append_copy_from(source, pool.mempool()); !copied) return copied.error();
    return std::move(made).value();
}

buffer_result<packet> packet::copy_of(std::span<const std::byte> source) noexcept {
    auto made = allocate();
    if (!made) return made.error();
    if (auto copied = made->append_copy_from(source, nullptr); !copied) return copied.error();
    return std::move(made).value();
}

buffer_result<std::span<std::byte>> packet::prepend(std::size_t n, packet_pool& pool) noexcept {
    return prepend_from(n, pool.mempool());
}
buffer_result<std::span<std::byte>> packet::prepend(std::size_t n) noexcept { return prepend_from(n, nullptr); }

buffer_result<std::span<std::byte>> packet::prepend_from(std::size_t n, rte_mempool* pool) noexcept {
    if (n == 0) return std::span<std::byte>{};
    if (n > max_length - length()) return buffer_error::too_large;
    if (head_ != nullptr && detail::writable(head_) && n <= head_->data_off) {
        head_->data_off -= std::uint16_t(n);
        head_->data_len += std::uint16_t(n);
        head_->pkt_len += std::uint32_t(n);
        return std::span<std::byte>(bytes(head_), n);
    }
    rte_mempool* mp = pool_for(pool);
    if (mp == nullptr) return buffer_error::no_pool;
    if (n > rte_pktmbuf_data_room_size(mp)) return buffer_error::too_large;
    const bool replace = head_ == nullptr || holds_no_bytes(head_);
    if (!replace && head_->nb_segs == RTE_MBUF_MAX_NB_SEGS) return buffer_error::too_many_segments;
    rte_mbuf* m = rte_pktmbuf_alloc(mp);
    if (m == nullptr) return buffer_error::pool_empty;

    // The header goes at the very end of the fresh buffer, so the headers in front of
    // it (IP, then Ethernet) fit in the same mbuf.
    m->data_off = std::uint16_t(m->buf_len - n);
    m->data_len = std::uint16_t(n);
    if (head_ != nullptr) detail::move_packet_fields(m, head_);
    if (replace) {
        m->pkt_len = std::uint32_t(n);
        if (head_ != nullptr) detail::release_chain(head_);
    } else {
        m->next = head_;
        m->nb_segs = std::uint16_t(head_->nb_segs + 1);
        m->pkt_len = head_->pkt_len + std::uint32_t(n);
    }
    head_ = m;
    return std::span<std::byte>(bytes(m), n);
}

buffer_result<std::span<std::byte>> packet::append(std::size_t n, packet_pool& pool) noexcept {
    return append_from(n, pool.mempool());
}
buffer_result<std::span<std::byte>> packet::append(std::size_t n) noexcept { return append_from(n, nullptr); }

buffer_result<std::span<std::byte>> packet::append_from(std::size_t n, rte_mempool* pool) noexcept {
    if (n == 0) return std::span<std::byte>{};
    if (n > max_length - length()) return buffer_error::too_large;
    rte_mbuf* last = head_ ? last_segment(head_) : nullptr;
    if (last != nullptr && detail::writable(last) && n <= rte_pktmbuf_tailroom(last)) {
        std::byte* at = bytes(last) + last->data_len;
        last->data_len += std::uint16_t(n);
        head_->pkt_len += std::uint32_t(n);
        return std::span<std::byte>(at, n);
    }
    rte_mempool* mp = pool_for(pool);
    if (mp == nullptr) return buffer_error::no_pool;
    const std::size_t room = rte_pktmbuf_data_room_size(mp);
    if (n > room) return buffer_error::too_large;
    const bool replace = head_ == nullptr || holds_no_bytes(head_);
    if (!replace && head_->nb_segs == RTE_MBUF_MAX_NB_SEGS) return buffer_error::too_many_segments;
    rte_mbuf* m = rte_pktmbuf_alloc(mp);
    if (m == nullptr) return buffer_error::pool_empty;

    m->data_len = std::uint16_t(n);
    if (replace) {
        // The packet's first bytes: keep what headroom fits in front of them.
        m->data_off = std::uint16_t(std::min<std::size_t>(packet_pool::headroom, room - n));
        m->pkt_len = std::uint32_t(n);
        if (head_ != nullptr) {
            detail::move_packet_fields(m, head_);
            detail::release_chain(head_);
        }
        head_ = m;
    } else {
        m->data_off = 0;  // a middle segment needs no headroom
        last->next = m;
        head_->nb_segs += 1;
        head_->pkt_len += std::uint32_t(n);
    }
    return std::span<std::byte>(bytes(m), n);
}

buffer_result<void> packet::append_copy(std::span<const std::byte> source, packet_pool& pool) noexcept {
    return append_copy_from(source, pool.mempool());
}
buffer_result<void> packet::append_copy(std::span<const std::byte> source) noexcept {
    return append_copy_from(source, nullptr);
}

buffer_result<void> packet::append_copy_from(std::span<const std::byte> source, rte_mempool* pool) noexcept {
    if (source.empty()) return {};
    if (source.size() > max_length - length()) return buffer_error::too_large;
    rte_mempool* mp = pool_for(pool);
    const bool had_head = head_ != nullptr;
    const std::size_t before = length();
    if (!had_head) {
        // A first segment with headroom, so headers can go in front later without a copy.
        if (mp == nullptr) return buffer_error::no_pool;
        head_ = rte_pktmbuf_alloc(mp);
        if (head_ == nullptr) return buffer_error::pool_empty;
    }
    std::size_t done = 0;
    if (rte_mbuf* last = last_segment(head_); detail::writable(last)) {
        done = std::min<std::size_t>(rte_pktmbuf_tailroom(last), source.size());
        std::memcpy(bytes(last) + last->data_len, source.data(), done);
        last->data_len += std::uint16_t(done);
        head_->pkt_len += std::uint32_t(done);
    }
    const std::size_t room = mp ? rte_pktmbuf_data_room_size(mp) : 0;
    while (done < source.size()) {
        // The tail is full now, so each append takes a fresh segment and fills it.
        const std::size_t chunk = std::min(source.size() - done, room);
        // A pool with no data room (one for indirect mbufs) cannot take bytes.
        auto space = chunk == 0 ? buffer_result<std::span<std::byte>>(buffer_error::too_large) : append_from(chunk, mp);
        if (!space) {
            // All or nothing: take back what this call added.
            trim_back(length() - before);
            if (!had_head) free_chain();
            return space.error();
        }
        std::memcpy(space->data(), source.data() + done, chunk);
        done += chunk;
    }
    return {};
}

buffer_result<void> packet::chain(packet&& tail) noexcept {
    if (&tail == this || tail.head_ == nullptr) return {};
    if (tail.length() == 0) {
        tail.free_chain();
        return {};
    }
    if (head_ == nullptr || holds_no_bytes(head_)) {
        *this = std::move(tail);
        return {};
    }
    if (std::size_t(head_->nb_segs) + tail.head_->nb_segs > RTE_MBUF_MAX_NB_SEGS) {
        return buffer_error::too_many_segments;
    }
    if (tail.length() > max_length - length()) return buffer_error::too_large;
    last_segment(head_)->next = tail.head_;
    head_->nb_segs = std::uint16_t(head_->nb_segs + tail.head_->nb_segs);
    head_->pkt_len += tail.head_->pkt_len;  // tail's packet-wide fields go with its old head
    tail.head_ = nullptr;
    return {};
}

// --- trimming ---------------------------------------------------------------------------

void packet::trim_front(std::size_t n) noexcept {
    if (head_ == nullptr) return;
    n = std::min(n, length());
    while (n != 0 || (head_->data_len == 0 && head_->next != nullptr)) {
        if (head_->next != nullptr && n >= head_->data_len) {
            rte_mbuf* next = head_->next;
            detail::move_packet_fields(next, head_);
            next->nb_segs = std::uint16_t(head_->nb_segs - 1);
            next->pkt_len = head_->pkt_len - head_->data_len;
            n -= head_->data_len;
            head_->next = nullptr;
            detail::release_segment(head_);
            head_ = next;
        } else {
            head_->data_off += std::uint16_t(n);
            head_->data_len -= std::uint16_t(n);
            head_->pkt_len -= std::uint32_t(n);
            n = 0;
        }
    }
}

void packet::trim_back(std::size_t n) noexcept {
    if (head_ == nullptr) return;
    n = std::min(n, length());
    if (n == 0) return;
    const std::size_t keep = length() - n;
    // The segment holding the last kept byte (the first one when nothing is kept).
    rte_mbuf* seg = head_;
    std::size_t before = 0;
    std::uint16_t count = 1;
    while (seg->next != nullptr && before + seg->data_len < keep) {
        before += seg->data_len;
        seg = seg->next;
        ++count;
    }
    seg->data_len = std::uint16_t(keep - before);
    if (seg->next != nullptr) {
        rte_mbuf* rest = seg->next;
        seg->next = nullptr;
        detail::release_chain(rest);
    }
    head_->nb_segs = count;
    head_->pkt_len = std::uint32_t(keep);
}

}  // namespace sluice::net
