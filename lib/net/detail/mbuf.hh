// The mbuf adapter's internals: the only lib/net header that includes DPDK's mbuf header
// (docs/architecture.md, rule 11). Included by packet.cc, buffer.cc, packet_pool.cc
// and software_rss.cc only; every helper runs on the shard that owns the mbufs it is given.
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace sluice::net::detail {

// Set by packet_pool::set_current; read on every release in debug builds.
extern thread_local rte_mempool* current_pool;
extern thread_local std::uint64_t foreign_frees;

// The bytes of a segment may be written (headroom, tailroom or data) only when nothing
// else can see them: the segment owns its buffer (not indirect, not external) and no
// buffer view or attached indirect mbuf holds a reference to it.
inline bool writable(const rte_mbuf* m) noexcept { return RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1; }

inline std::byte* bytes(const rte_mbuf* m) noexcept {
    return static_cast<std::byte*>(m->buf_addr) + m->data_off;
}

// Debug builds: count an mbuf released on a thread whose current pool is another one.
inline void note_release([[maybe_unused]] const rte_mbuf* m) noexcept {
#ifndef NDEBUG
    if (current_pool != nullptr && m->pool != current_pool) ++foreign_frees;
#endif
}

// One more reference to one segment (a buffer fragment). Never follows `next`.
inline void retain_segment(rte_mbuf* m) noexcept { rte_mbuf_refcnt_update(m, 1); }

// Drops one reference to one segment; the last one returns it to its pool (DPDK clears
// its stale `next` then). Never follows `next`.
inline void release_segment(rte_mbuf* m) noexcept {
    note_release(m);
    rte_pktmbuf_free_seg(m);
}

// Drops the chain's reference to every segment from `m` on.
inline void release_chain(rte_mbuf* m) noexcept {
#ifndef NDEBUG
    for (const rte_mbuf* seg = m; seg != nullptr; seg = seg->next) note_release(seg);
#endif
    rte_pktmbuf_free(m);
}

constexpr std::size_t max_length = UINT32_MAX;  // pkt_len is 32 bits

inline rte_mbuf* last_segment(rte_mbuf* m) noexcept {
    while (m->next != nullptr) m = m->next;
    return m;
}

// The segment holding byte `offset` and the offset within it; null past the end.
inline std::pair<rte_mbuf*, std::size_t> locate(rte_mbuf* m, std::size_t offset) noexcept {
    for (; m != nullptr; m = m->next) {
        if (offset < m->data_len) return {m, offset};
        offset -= m->data_len;
    }
    return {nullptr, 0};
}

// A chain of zero-length segments (a packet with no bytes left, perhaps unwritable) is
// replaced, not extended, when bytes arrive: chaining behind it would keep empty segments.
inline bool holds_no_bytes(const rte_mbuf* head) noexcept { return head != nullptr && head->pkt_len == 0; }

// An explicit pool, else the thread's current one, else the pool `fallback` came from.
inline rte_mempool* choose_pool(rte_mempool* requested, const rte_mbuf* fallback) noexcept {
    if (requested != nullptr) return requested;
    if (current_pool != nullptr) return current_pool;
    return fallback != nullptr ? fallback->pool : nullptr;
}

// Packet-wide fields live in the first segment; when another segment becomes the first,
// they move with it. Whether a segment is indirect or external is its own, not the packet's.
inline void move_packet_fields(rte_mbuf* to, const rte_mbuf* from) noexcept {
    constexpr std::uint64_t own = RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
    to->ol_flags = (to->ol_flags & own) | (from->ol_flags & ~own);
    to->port = from->port;
    to->packet_type = from->packet_type;
    to->hash = from->hash;
    to->vlan_tci = from->vlan_tci;
    to->vlan_tci_outer = from->vlan_tci_outer;
    to->tx_offload = from->tx_offload;
    rte_mbuf_dynfield_copy(to, from);
}

}  // namespace sluice::net::detail
