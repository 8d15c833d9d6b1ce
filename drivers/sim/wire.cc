// sim::wire: where a sent frame goes and what happens to it on the way. For each frame the
// random draws come first (plan_faults, in its fixed order), so the trace depends only on
// the seed, the profiles and the calls; then the link (serializer, destination's
// in-flight limit), then the bytes (a copy only when the sender's frame is taken or
// must not be written).
#include "sluice/sim/wire.hh"

#include "sluice/sim/fault_plan.hh"

#include <rte_mbuf.h>

#include <algorithm>
#include <cassert>

namespace sluice::sim {
namespace {

constexpr std::uint32_t ethernet_header_length = 14;

// Rounded up, so back-to-back frames never go faster than the rate.
nanoseconds serialization_time(std::uint32_t length, const link_profile& profile) {
    const std::uint64_t bits = (std::uint64_t(length) + profile.framing_overhead_bytes) * 8;
    return nanoseconds((bits * 1'000'000'000ull + profile.rate_bps - 1) / profile.rate_bps);
}

}  // namespace

wire::wire(const wire_config& config) : config_(config), random_(config.seed) {}

wire::~wire() {
    for (auto& row : links_) {
        for (auto& path : row) {
            for (const held_frame& held : path.held) rte_pktmbuf_free(held.frame);
        }
    }
    ports_.clear();  // each port frees the frames waiting in its queues
}

port& wire::add_port(std::string name, net::ethernet_address mac, unsigned queues) {
    const unsigned index = unsigned(ports_.size());
    ports_.push_back(std::unique_ptr<port>(new port(*this, index, std::move(name), mac, std::max(queues, 1u))));
    for (auto& row : links_) row.push_back(link{config_.profile, {}, {}, {}});
    links_.emplace_back(index + 1, link{config_.profile, {}, {}, {}});
    return *ports_.back();
}

void wire::set_profile(const port& from, const port& to, const link_profile& profile) {
    assert(&from.wire_ == this && &to.wire_ == this);
    path(from, to).profile = profile;
}

void wire::set_profile_both_ways(const port& a, const port& b, const link_profile& profile) {
    set_profile(a, b, profile);
    set_profile(b, a, profile);
}

const link_profile& wire::profile(const port& from, const port& to) const {
    return links_[from.index_][to.index_].profile;
}

void wire::advance_to(nanoseconds time) {
    if (time < now_) return;
    release_expired(time);
    now_ = time;
}

std::optional<nanoseconds> wire::next_event() const {
    std::optional<nanoseconds> earliest;
    auto consider = [&](nanoseconds at) {
        if (!earliest || at < *earliest) earliest = at;
    };
    for (const auto& each : ports_) {
        for (const auto& queue : each->rx_queues_) {
            if (!queue.empty()) consider(queue.front().at);
        }
    }
    for (const auto& row : links_) {
        for (const auto& path : row) {
            for (const held_frame& held : path.held) consider(held.deadline);
        }
    }
    return earliest;
}

fault_counters wire::totals() const {
    fault_counters sum;
    for (const auto& each : ports_) sum += each->faults_;
    return sum;
}

std::size_t wire::in_flight() const noexcept {
    std::size_t sum = 0;
    for (const auto& each : ports_) sum += each->in_flight_;
    return sum;
}

void wire::send(port& from, rte_mbuf* frame) {
    ++from.faults_.sent;
    const std::uint32_t length = rte_pktmbuf_pkt_len(frame);
    if (length < ethernet_header_length) {
        ++from.faults_.dropped_runt;
        rte_pktmbuf_free(frame);
        return;
    }
    std::uint8_t scratch[6];
    const auto* destination = static_cast<const std::uint8_t*>(rte_pktmbuf_read(frame, 0, 6, scratch));
    bool original_used = false;
    if (destination[0] & 1) {  // group bit: broadcast or multicast floods every other port
        for (const auto& each : ports_) {
            if (each.get() != &from) send_to(from, *each, frame, length, original_used);
        }
    } else {
        port* to = nullptr;
        for (const auto& each : ports_) {
            if (each.get() != &from && std::equal(destination, destination + 6, each->mac_.bytes.begin())) {
                to = each.get();
                break;
            }
        }
        if (to != nullptr) {
            send_to(from, *to, frame, length, original_used);
        } else {
            ++from.faults_.dropped_unknown_unicast;
        }
    }
    if (!original_used) rte_pktmbuf_free(frame);
}

void wire::send_to(port& from, port& to, rte_mbuf* frame, std::uint32_t length, bool& original_used) {
    link& route = path(from, to);
    const link_profile& profile = route.profile;
    fault_counters& faults = from.faults_;
    if (profile.mtu != 0 && length > profile.mtu + ethernet_header_length) {
        ++faults.dropped_mtu;
        return;
    }
    const fault_plan plan = plan_faults(profile, random_, length);
    if (plan.lost) {
        ++faults.dropped_loss;
        return;
    }
    if (plan.duplicated) ++faults.duplicated;
    for (int copy = 0; copy < plan.copies; ++copy) {
        const copy_plan& drawn = plan.copy[std::size_t(copy)];
        const bool corrupt = drawn.corrupt;
        const std::uint64_t bit = drawn.bit;
        const nanoseconds jitter = drawn.jitter;
        const bool hold = drawn.hold;
        const int overtakers = drawn.overtakers;

        // The serializer: frames leave one after another at the link's rate; the copy
        // uses the line even if the receiver then drops it, as on a real link.
        nanoseconds sent_at = now_;
        if (profile.rate_bps != 0) {
            while (!route.serializing.empty() && route.serializing.front() <= now_) route.serializing.pop_front();
            if (route.serializing.size() >= profile.rate_queue_frames) {
                ++faults.dropped_rate_queue;
                continue;
            }
            sent_at = std::max(now_, route.busy_until) + serialization_time(length, profile);
            route.busy_until = sent_at;
            route.serializing.push_back(sent_at);
        }
        if (to.in_flight_ >= config_.in_flight_limit) {
            ++faults.dropped_in_flight_limit;
            continue;
        }
        // The sender's frame goes on once, untouched; anything else is a private copy,
        // since the sender (or another destination) may still read the original.
        rte_mbuf* out = frame;
        if (corrupt || original_used) {
            out = config_.pool ? rte_pktmbuf_copy(frame, config_.pool, 0, UINT32_MAX) : nullptr;
            if (out == nullptr) {
                ++faults.dropped_no_mbuf;
                continue;
            }
        } else {
            original_used = true;
        }
        if (corrupt) {
            flip_bit(out, bit);
            ++faults.corrupted;
        }
        const nanoseconds at = sent_at + profile.delay + jitter;
        ++to.in_flight_;
        ++faults.forwarded;
        if (hold) {
            route.held.push_back({at, at + profile.reorder_max_hold, overtakers, next_hold_serial_++, &to, out});
            ++held_total_;
            ++faults.reordered;
        } else {
            deliver(route, to, at, out);
        }
    }
}

void wire::deliver(link& route, port& to, nanoseconds at, rte_mbuf* frame) {
    // Each copy queued on the link overtakes every copy held on it. The first held (so
    // first sent) whose count has run out goes next, right behind, and counts in turn;
    // taking them in hold order means none is overtaken by more than it was allowed.
    for (;;) {
        to.enqueue(at, next_order_++, frame);
        if (route.held.empty()) return;
        for (held_frame& held : route.held) --held.remaining;
        const auto due = std::find_if(route.held.begin(), route.held.end(),
                                      [](const held_frame& held) { return held.remaining <= 0; });
        if (due == route.held.end()) return;
        at = std::max(due->at, at);
        frame = due->frame;
        route.held.erase(due);
        --held_total_;
    }
}

void wire::release_expired(nanoseconds time) {
    // Earliest deadline first (ties: first held), so the trace does not depend on
    // the order links are stored in.
    while (held_total_ != 0) {
        link* route = nullptr;
        std::size_t index = 0;
        for (auto& row : links_) {
            for (auto& candidate : row) {
                for (std::size_t i = 0; i < candidate.held.size(); ++i) {
                    const held_frame& held = candidate.held[i];
                    if (held.deadline > time) continue;
                    if (route == nullptr || held.deadline < route->held[index].deadline ||
                        (held.deadline == route->held[index].deadline && held.serial < route->held[index].serial)) {
                        route = &candidate;
                        index = i;
                    }
                }
            }
        }
        if (route == nullptr) return;
        const held_frame expired = route->held[index];
        route->held.erase(route->held.begin() + std::ptrdiff_t(index));
        --held_total_;
        deliver(*route, *expired.to, expired.deadline, expired.frame);
    }
}

}  // namespace sluice::sim
