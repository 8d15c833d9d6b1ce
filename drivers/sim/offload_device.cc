#include "sluice/sim/offload_device.hh"

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>
#include <span>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/tcp.hh"

namespace sluice::sim {
namespace {

constexpr std::size_t ipv4_length_offset = 2;
constexpr std::size_t ipv4_identification_offset = 4;
constexpr std::size_t tcp_sequence_offset = 4;
constexpr std::size_t tcp_flags_offset = 13;
constexpr std::size_t udp_checksum_offset = 6;

std::vector<std::byte> bytes_of(const rte_mbuf* frame) {
    std::vector<std::byte> bytes(rte_pktmbuf_pkt_len(frame));
    std::size_t at = 0;
    for (const rte_mbuf* segment = frame; segment != nullptr && at < bytes.size(); segment = segment->next) {
        const std::size_t n = std::min<std::size_t>(rte_pktmbuf_data_len(segment), bytes.size() - at);
        std::memcpy(bytes.data() + at, rte_pktmbuf_mtod(segment, const std::byte*), n);
        at += n;
    }
    return bytes;
}

// A fresh frame (a chain where one mbuf's room is short) holding `bytes`; null when the
// pool ran dry.
rte_mbuf* frame_of(rte_mempool* pool, std::span<const std::byte> bytes) {
    rte_mbuf* head = rte_pktmbuf_alloc(pool);
    if (head == nullptr) return nullptr;
    rte_mbuf* tail = head;
    for (std::size_t at = 0;;) {
        const std::size_t n = std::min<std::size_t>(rte_pktmbuf_tailroom(tail), bytes.size() - at);
        std::memcpy(rte_pktmbuf_append(head, std::uint16_t(n)), bytes.data() + at, n);
        at += n;
        if (at == bytes.size()) return head;
        rte_mbuf* more = rte_pktmbuf_alloc(pool);
        if (more == nullptr || rte_pktmbuf_chain(head, more) != 0) {
            rte_pktmbuf_free(more);
            rte_pktmbuf_free(head);
            return nullptr;
        }
        tail = more;
    }
}

// The checksums a NIC fills, in a frame laid out as l2 | l3 | l4. The L4 field is summed
// as it stands (the caller's seed); under TSO the seed lacks the length, added here.
unsigned fill(std::span<std::byte> frame, std::uint64_t flags, std::size_t l2, std::size_t l3, bool add_length) {
    namespace wire = net::wire;
    unsigned filled = 0;
    auto ip = frame.subspan(l2, l3);
    if ((flags & RTE_MBUF_F_TX_IP_CKSUM) != 0) {
        wire::store_be16(ip, wire::ipv4_header::checksum_offset, 0);
        wire::store_be16(ip, wire::ipv4_header::checksum_offset, wire::internet_checksum::of(ip));
        ++filled;
    }
    auto l4 = frame.subspan(l2 + l3);
    const std::uint64_t kind = flags & RTE_MBUF_F_TX_L4_MASK;
    if (kind == RTE_MBUF_F_TX_TCP_CKSUM || kind == RTE_MBUF_F_TX_UDP_CKSUM) {
        wire::internet_checksum sum;
        sum.add(l4);
        if (add_length) sum.add16(std::uint16_t(l4.size()));
        std::uint16_t value = sum.finish();
        if (kind == RTE_MBUF_F_TX_UDP_CKSUM) {
            if (value == 0) value = 0xffff;  // RFC 768: zero would mean "no checksum"
            wire::store_be16(l4, udp_checksum_offset, value);
        } else {
            wire::store_be16(l4, wire::tcp_header::checksum_offset, value);
        }
        ++filled;
    }
    return filled;
}

}  // namespace

offload_device::offload_device(net::device& inner, offload_device_config config)
    : inner_(inner), config_(config), name_(inner.name() + " (offloads)"), queues_(inner.queue_count()) {}

offload_device::~offload_device() {
    for (queue_state& state : queues_) {
        for (rte_mbuf* frame : state.waiting) rte_pktmbuf_free(frame);
    }
}

net::offload_flags offload_device::offloads() const {
    net::offload_flags flags = inner_.offloads();
    flags.tx_ipv4_checksum = config_.ipv4_checksum;
    flags.tx_tcp_checksum = config_.tcp_checksum;
    flags.tx_udp_checksum = config_.udp_checksum;
    flags.tx_tcp_segmentation = config_.tcp_segmentation && config_.ipv4_checksum && config_.tcp_checksum;
    flags.tx_max_chain = config_.max_chain;
    return flags;
}

offload_device_counters offload_device::total() const {
    offload_device_counters sum;
    for (const queue_state& state : queues_) {
        const offload_device_counters& c = state.counters;
        sum.frames += c.frames, sum.segmented += c.segmented, sum.segments_made += c.segments_made;
        sum.checksums_filled += c.checksums_filled, sum.malformed += c.malformed;
        sum.over_chain += c.over_chain, sum.no_mbufs += c.no_mbufs;
    }
    return sum;
}

std::vector<std::pair<std::string, std::uint64_t>> offload_device::extended_stats() const {
    auto stats = inner_.extended_stats();
    const offload_device_counters sum = total();
    stats.insert(stats.end(), {{"offload_frames", sum.frames},
                               {"offload_segmented", sum.segmented},
                               {"offload_segments_made", sum.segments_made},
                               {"offload_checksums_filled", sum.checksums_filled},
                               {"offload_malformed", sum.malformed},
                               {"offload_over_chain", sum.over_chain},
                               {"offload_no_mbufs", sum.no_mbufs}});
    return stats;
}

std::uint16_t offload_device::tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) {
    if (queue >= queues_.size()) return 0;
    queue_state& state = queues_[queue];
    flush(queue);
    std::uint16_t taken = 0;
    while (taken < count && state.waiting.size() < config_.max_waiting_per_queue) {
        process(state, frames[taken++]);
    }
    flush(queue);
    return taken;
}

void offload_device::flush(unsigned queue) {
    auto& waiting = queues_[queue].waiting;
    std::size_t sent = 0;
    while (sent < waiting.size()) {
        const auto burst = std::uint16_t(std::min<std::size_t>(waiting.size() - sent, 64));
        const std::uint16_t n = inner_.tx_burst(queue, waiting.data() + sent, burst);
        sent += n;
        if (n < burst) break;
    }
    waiting.erase(waiting.begin(), waiting.begin() + std::ptrdiff_t(sent));
}

void offload_device::process(queue_state& state, rte_mbuf* frame) {
    ++state.counters.frames;
    const std::uint64_t flags = frame->ol_flags;
    if ((flags & RTE_MBUF_F_TX_TCP_SEG) != 0) return segment(state, frame);
    if ((flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)) != 0) return fill_checksums(state, frame);
    state.waiting.push_back(frame);
}

// The device reads the frame (DMA) and sends its own copy with the fields filled; the
// stack's mbufs may be shared views of its send buffer and are never written.
void offload_device::fill_checksums(queue_state& state, rte_mbuf* frame) {
    std::vector<std::byte> bytes = bytes_of(frame);
    const std::size_t l2 = frame->l2_len;
    const std::size_t l3 = frame->l3_len;
    const std::uint64_t flags = frame->ol_flags;
    rte_mempool* pool = frame->pool;
    rte_pktmbuf_free(frame);
    const bool l4_asked = (flags & RTE_MBUF_F_TX_L4_MASK) != 0;
    if (l3 < 20 || l2 + l3 + (l4_asked ? 8 : 0) > bytes.size()) {
        ++state.counters.malformed;
        return;
    }
    state.counters.checksums_filled += fill(bytes, flags, l2, l3, false);
    if (rte_mbuf* made = frame_of(pool, bytes)) {
        state.waiting.push_back(made);
    } else {
        ++state.counters.no_mbufs;
    }
}

// TSO as DPDK's RTE_MBUF_F_TX_TCP_SEG describes it (offload_device.hh).
void offload_device::segment(queue_state& state, rte_mbuf* frame) {
    namespace wire = net::wire;
    const std::size_t l2 = frame->l2_len;
    const std::size_t l3 = frame->l3_len;
    const std::size_t l4 = frame->l4_len;
    const std::size_t piece = frame->tso_segsz;
    const std::uint64_t flags = frame->ol_flags;
    const unsigned chain = frame->nb_segs;
    rte_mempool* pool = frame->pool;
    const std::vector<std::byte> whole = bytes_of(frame);
    rte_pktmbuf_free(frame);
    const std::size_t header = l2 + l3 + l4;
    if (config_.max_chain != 0 && chain > config_.max_chain) {
        ++state.counters.over_chain;
        return;
    }
    if (l3 < 20 || l4 < wire::tcp_header::min_length || piece == 0 || header >= whole.size() ||
        (flags & RTE_MBUF_F_TX_IP_CKSUM) == 0 || !config_.tcp_segmentation) {
        ++state.counters.malformed;
        return;
    }
    ++state.counters.segmented;
    const std::span<const std::byte> headers(whole.data(), header);
    const std::uint16_t identification = wire::load_be16(headers.subspan(l2), ipv4_identification_offset);
    const std::uint32_t sequence = wire::load_be32(headers.subspan(l2 + l3), tcp_sequence_offset);
    const std::uint8_t tcp_flags = std::uint8_t(headers[l2 + l3 + tcp_flags_offset]);
    const std::size_t total = whole.size() - header;
    std::vector<std::byte> out;
    for (std::size_t offset = 0, index = 0; offset < total; offset += piece, ++index) {
        const std::size_t n = std::min(piece, total - offset);
        out.assign(headers.begin(), headers.end());
        out.insert(out.end(), whole.begin() + std::ptrdiff_t(header + offset),
                   whole.begin() + std::ptrdiff_t(header + offset + n));
        const std::span<std::byte> ip = std::span(out).subspan(l2, l3);
        const std::span<std::byte> tcp = std::span(out).subspan(l2 + l3);
        wire::store_be16(ip, ipv4_length_offset, std::uint16_t(l3 + l4 + n));
        wire::store_be16(ip, ipv4_identification_offset, std::uint16_t(identification + index));
        wire::store_be32(tcp, tcp_sequence_offset, sequence + std::uint32_t(offset));
        std::uint8_t these = tcp_flags;
        if (offset + n < total) these &= std::uint8_t(~(wire::tcp_fin | wire::tcp_psh));
        if (index > 0) these &= std::uint8_t(~wire::tcp_cwr);
        tcp[tcp_flags_offset] = std::byte(these);
        wire::store_be16(tcp, wire::tcp_header::checksum_offset, wire::load_be16(headers.subspan(l2 + l3), wire::tcp_header::checksum_offset));
        state.counters.checksums_filled += fill(out, (flags & ~RTE_MBUF_F_TX_L4_MASK) | RTE_MBUF_F_TX_TCP_CKSUM, l2, l3, true);
        rte_mbuf* made = frame_of(pool, out);
        if (made == nullptr) {
            ++state.counters.no_mbufs;
            return;
        }
        ++state.counters.segments_made;
        state.waiting.push_back(made);
    }
}

}  // namespace sluice::sim
