// Software RSS. A frame is steered by the same Toeplitz hash and redirection table a NIC
// would use, so flows land where they would with hardware RSS. Frames cross to their
// shard in batches that are themselves cross-core messages: the batch travels to the
// target, which takes the frames, and comes back empty as its own reply, so steering
// allocates nothing once running.
#include "sluice/net/software_rss.hh"

#include "sluice/net/detail/mbuf.hh"

#include <algorithm>
#include <bit>

#include "sluice/core/fifo.hh"

#include "sluice/core/cross_core.hh"
#include "sluice/net/wire/ethernet.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/udp.hh"

namespace sluice::net {
namespace {

std::span<const std::byte> first_segment(const rte_mbuf* frame) {
    return {detail::bytes(frame), frame->data_len};
}

}  // namespace

std::optional<std::uint32_t> frame_rss_hash(const toeplitz_hasher& hasher, std::span<const std::byte> frame) {
    const auto ethernet = wire::ethernet_header::parse(frame);
    if (!ethernet || ethernet->ethertype != wire::ethertype_ipv4) return std::nullopt;
    // The frame may go on in later segments: its total length is not checked against this
    // one (the stack checks it on the shard the frame lands on).
    const auto ip = wire::ipv4_header::parse(frame.subspan(ethernet->length()), wire::ipv4_header::max_datagram_length,
                                             false);
    if (!ip) return std::nullopt;
    const std::uint32_t source = ip->source.value;
    const std::uint32_t destination = ip->destination.value;
    // RFC 791: every fragment of a datagram must reach the same shard for reassembly, and
    // only the first carries ports: fragments use the 2-tuple, as NICs do.
    if ((ip->protocol == wire::ip_protocol_tcp || ip->protocol == wire::ip_protocol_udp) && !ip->is_fragment()) {
        // TCP's ports sit where UDP's do, in the first four bytes (RFC 9293 3.1).
        const auto ports = wire::udp_header::parse_quoted(frame.subspan(ethernet->length() + ip->header_length));
        if (ports) return hasher.hash_ipv4_l4(source, destination, ports->source_port, ports->destination_port);
    }
    return hasher.hash_ipv4(source, destination);
}

// A batch of frames on its way to another shard: to be received there, or (from a shard
// with no device queue) to be sent from there.
struct frame_batch final : sluice::detail::cross_core_message {
    enum class purpose { receive, transmit };

    software_rss::shard_state* sender = nullptr;
    software_rss::shard_state* receiver = nullptr;
    purpose use = purpose::receive;
    std::uint16_t count = 0;
    rte_mbuf* frames[software_rss::batch_size];

    void run_on_target() noexcept override;
    void complete_on_source() noexcept override;
};

// Frees every frame still queued (teardown).
static void release_all(fifo<rte_mbuf*>& frames) noexcept {
    while (!frames.empty()) detail::release_chain(frames.pop_front());
}

struct software_rss::shard_state {
    unsigned id = 0;
    fifo<rte_mbuf*> inbox{software_rss::inbox_limit};  // steered here, waiting for rx_burst
    fifo<rte_mbuf*> to_transmit;                      // other shards' frames for our device queue
    // Polled frames whose peer had no free batch: retried first next turn, and the device
    // is not polled until they have gone, so the NIC's own rx ring absorbs the burst.
    std::vector<std::pair<unsigned, rte_mbuf*>> stalled;
    std::vector<std::unique_ptr<frame_batch>> batches;              // owned; reused
    std::vector<std::vector<frame_batch*>> free_batches;            // per peer
    std::vector<frame_batch*> filling[2];                           // per purpose, per peer
    software_rss_counters counters;

    // Appends `frame` to the batch for `peer`; false when all its batches are in flight.
    bool add(unsigned peer, rte_mbuf* frame, frame_batch::purpose use) {
        frame_batch*& batch = filling[unsigned(use)][peer];
        if (!batch) {
            if (free_batches[peer].empty()) return false;
            batch = free_batches[peer].back();
            free_batches[peer].pop_back();
            batch->use = use;
            batch->count = 0;
        }
        batch->frames[batch->count++] = frame;
        if (batch->count == batch_size) send(batch);
        return true;
    }

    void send(frame_batch*& batch) {
        batch->is_reply = false;
        sluice::cross_core::send(*batch);
        batch = nullptr;
    }

    void send_partial_batches() {
        for (auto& per_peer : filling) {
            for (frame_batch*& batch : per_peer) {
                if (batch && batch->count != 0) send(batch);
            }
        }
    }
};

void frame_batch::run_on_target() noexcept {
    auto& waiting = use == purpose::receive ? receiver->inbox : receiver->to_transmit;
    for (std::uint16_t i = 0; i < count; ++i) {
        if (waiting.size() < software_rss::inbox_limit) {
            waiting.push_back(frames[i]);
        } else {
            detail::release_chain(frames[i]);
            ++receiver->counters.dropped_inbox_full;
        }
    }
    count = 0;
    is_reply = true;
    sluice::cross_core::send(*this);
}

void frame_batch::complete_on_source() noexcept { sender->free_batches[target].push_back(this); }

software_rss::software_rss(device& inner, unsigned shards, const toeplitz_key& key)
    : inner_(inner),
      shards_(shards),
      name_(inner.name() + " (software RSS)"),
      hasher_(key),
      // The table a NIC would hold: entry i -> shard i % shards.
      reta_(redirection_table::create(shards, std::bit_ceil(std::max(shards, 128u))).value()),
      // The device hashes with the symmetric key (drivers/dpdk/port.cc): its hash serves
      // only when this table hashes with that key too.
      device_hash_(inner.offloads().rss_hash_in_mbuf &&
                   std::ranges::equal(key.bytes(), symmetric_toeplitz_key(key.bytes().size()).bytes())) {
    for (unsigned s = 0; s < shards; ++s) {
        auto state = std::make_unique<shard_state>();
        state->id = s;
        state->free_batches.resize(shards);
        state->filling[0].assign(shards, nullptr);
        state->filling[1].assign(shards, nullptr);
        states_.push_back(std::move(state));
    }
    for (auto& state : states_) {
        for (unsigned peer = 0; peer < shards; ++peer) {
            if (peer == state->id) continue;
            for (std::size_t b = 0; b < batches_per_peer; ++b) {
                auto batch = std::make_unique<frame_batch>();
                batch->sender = state.get();
                batch->receiver = states_[peer].get();
                batch->source = state->id;
                batch->target = peer;
                state->free_batches[peer].push_back(batch.get());
                state->batches.push_back(std::move(batch));
            }
        }
    }
}

software_rss::~software_rss() {
    for (auto& state : states_) {
        release_all(state->inbox);
        release_all(state->to_transmit);
        for (auto& [peer, frame] : state->stalled) detail::release_chain(frame);
        for (auto& batch : state->batches) {  // still filling, or stranded by the stop
            for (std::uint16_t i = 0; i < batch->count; ++i) detail::release_chain(batch->frames[i]);
        }
    }
}

offload_flags software_rss::offloads() const {
    offload_flags flags = inner_.offloads();
    flags.rss = true;
    return flags;
}

std::vector<std::pair<std::string, std::uint64_t>> software_rss::extended_stats() const {
    auto stats = inner_.extended_stats();
    for (const auto& state : states_) {
        const std::string shard = "software_rss_shard" + std::to_string(state->id) + "_";
        const auto& c = state->counters;
        stats.emplace_back(shard + "steered", c.steered);
        stats.emplace_back(shard + "kept", c.kept);
        stats.emplace_back(shard + "unhashed", c.unhashed);
        stats.emplace_back(shard + "stalled", c.stalled);
        stats.emplace_back(shard + "dropped_inbox_full", c.dropped_inbox_full);
        stats.emplace_back(shard + "forwarded_tx", c.forwarded_tx);
    }
    return stats;
}

unsigned software_rss::owner_of(std::span<const std::byte> frame, unsigned polling_shard) const {
    const auto hash = frame_rss_hash(hasher_, frame);
    return hash ? shard_for_hash(reta_, *hash) : polling_shard;
}

unsigned software_rss::owner_of(const rte_mbuf* frame, unsigned polling_shard) const {
    const auto hash = hash_of(frame);
    return hash ? shard_for_hash(reta_, *hash) : polling_shard;
}

std::optional<std::uint32_t> software_rss::hash_of(const rte_mbuf* frame) const {
    // The device's hash saves reading the headers; a frame it did not hash (ARP) has no flag.
    if (device_hash_ && (frame->ol_flags & RTE_MBUF_F_RX_RSS_HASH)) return frame->hash.rss;
    return frame_rss_hash(hasher_, first_segment(frame));
}

const software_rss_counters& software_rss::counters_of(unsigned shard) const { return states_[shard]->counters; }

std::uint16_t software_rss::rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) {
    shard_state& self = *states_[queue];
    // Frames other shards steered here first: they arrived before this turn's poll.
    std::uint16_t out = 0;
    while (out < max && !self.inbox.empty()) frames[out++] = self.inbox.pop_front();

    if (queue < inner_.queue_count()) {
        // Frames for a shard with no device queue go out from here.
        if (!self.to_transmit.empty()) {
            const auto waiting = self.to_transmit.front_run();
            const auto sent = inner_.tx_burst(queue, waiting.data(),
                                              std::uint16_t(std::min<std::size_t>(waiting.size(), batch_size)));
            self.to_transmit.drop_front(sent);
        }
        // Back-pressure: retry what waited for a batch, in order, before polling again.
        std::size_t retried = 0;
        while (retried < self.stalled.size() &&
               self.add(self.stalled[retried].first, self.stalled[retried].second, frame_batch::purpose::receive)) {
            ++self.counters.steered;
            ++retried;
        }
        self.stalled.erase(self.stalled.begin(), self.stalled.begin() + std::ptrdiff_t(retried));
        if (out < max && self.stalled.empty()) {
            rte_mbuf* polled[batch_size];
            const std::uint16_t n = inner_.rx_burst(queue, polled, std::min<std::uint16_t>(batch_size, max - out));
            for (std::uint16_t i = 0; i < n; ++i) {
                const auto hash = hash_of(polled[i]);
                const unsigned owner = hash ? shard_for_hash(reta_, *hash) : queue;
                if (owner == queue) {
                    ++(hash ? self.counters.kept : self.counters.unhashed);
                    frames[out++] = polled[i];
                } else if (self.stalled.empty() && self.add(owner, polled[i], frame_batch::purpose::receive)) {
                    ++self.counters.steered;
                } else {
                    // Once one frame stalls, later ones queue behind it: a flow keeps its order.
                    self.stalled.emplace_back(owner, polled[i]);
                    ++self.counters.stalled;
                }
            }
        }
        self.send_partial_batches();
    }
    return out;
}

std::uint16_t software_rss::tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) {
    if (queue < inner_.queue_count()) return inner_.tx_burst(queue, frames, count);
    shard_state& self = *states_[queue];
    const unsigned sender = queue % inner_.queue_count();
    std::uint16_t accepted = 0;
    while (accepted < count && self.add(sender, frames[accepted], frame_batch::purpose::transmit)) ++accepted;
    self.counters.forwarded_tx += accepted;
    self.send_partial_batches();
    return accepted;  // the rest stay the caller's: back-pressure, not loss
}

}  // namespace sluice::net
