#include "sluice/sim/fault_device.hh"

#include <rte_mbuf.h>

#include <algorithm>

#include "sluice/core/clock.hh"
#include "sluice/sim/fault_plan.hh"

namespace sluice::sim {
namespace {

// A different stream per queue and direction, all fixed by the one seed (splitmix64's
// finalizer spreads neighbouring inputs apart).
std::uint64_t stream_seed(std::uint64_t seed, unsigned queue, unsigned direction) {
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ull * (std::uint64_t(queue) * 2 + direction + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void free_all(std::vector<rte_mbuf*>&& frames) {
    for (rte_mbuf* frame : frames) rte_pktmbuf_free(frame);
}

}  // namespace

fault_device::fault_device(net::device& inner, fault_device_config config)
    : inner_(inner), config_(std::move(config)), name_(inner.name() + " (faults)") {
    if (!config_.now) config_.now = [] { return nanoseconds(clock::now().time_since_epoch()); };
    for (unsigned q = 0; q < inner_.queue_count(); ++q) {
        receive_.emplace_back(stream_seed(config_.seed, q, 0));
        transmit_.emplace_back(stream_seed(config_.seed, q, 1));
    }
}

fault_device::~fault_device() {
    std::vector<rte_mbuf*> frames;
    for (auto* side : {&receive_, &transmit_}) {
        for (direction& state : *side) {
            for (const due_frame& due : state.due) frames.push_back(due.frame);
            for (const held_frame& held : state.held) frames.push_back(held.frame);
        }
    }
    free_all(std::move(frames));
}

std::size_t fault_device::waiting() const noexcept {
    std::size_t sum = 0;
    for (const direction& state : receive_) sum += state.size();
    for (const direction& state : transmit_) sum += state.size();
    return sum;
}

std::vector<std::pair<std::string, std::uint64_t>> fault_device::extended_stats() const {
    auto stats = inner_.extended_stats();
    for (const auto& [prefix, side] : {std::pair{"fault_rx_", &receive_}, std::pair{"fault_tx_", &transmit_}}) {
        fault_device_counters sum;
        for (const direction& state : *side) {
            const fault_device_counters& c = state.counters;
            sum.passed += c.passed, sum.lost += c.lost, sum.duplicated += c.duplicated, sum.corrupted += c.corrupted;
            sum.reordered += c.reordered, sum.delayed += c.delayed, sum.over_limit += c.over_limit;
            sum.no_mbufs += c.no_mbufs;
        }
        const std::string p = prefix;
        stats.insert(stats.end(), {{p + "passed", sum.passed},         {p + "lost", sum.lost},
                                   {p + "duplicated", sum.duplicated}, {p + "corrupted", sum.corrupted},
                                   {p + "reordered", sum.reordered},   {p + "delayed", sum.delayed},
                                   {p + "over_limit", sum.over_limit}, {p + "no_mbufs", sum.no_mbufs}});
    }
    return stats;
}

// The wire's model, frame by frame: the plan's draws first, then its copies.
void fault_device::apply(direction& state, const link_profile& profile, rte_mbuf* frame, nanoseconds now) {
    const fault_plan plan = plan_faults(profile, state.random, rte_pktmbuf_pkt_len(frame));
    if (plan.lost) {
        ++state.counters.lost;
        rte_pktmbuf_free(frame);
        return;
    }
    if (plan.duplicated) ++state.counters.duplicated;
    bool original_used = false;
    for (int i = 0; i < plan.copies; ++i) {
        const copy_plan& copy = plan.copy[std::size_t(i)];
        // The frame goes on once untouched; a corrupt or second copy is a private copy.
        rte_mbuf* out = frame;
        if (copy.corrupt || original_used) {
            out = rte_pktmbuf_copy(frame, frame->pool, 0, UINT32_MAX);
            if (out == nullptr) {
                ++state.counters.no_mbufs;
                continue;
            }
            if (copy.corrupt) {
                flip_bit(out, copy.bit);
                ++state.counters.corrupted;
            }
        } else {
            original_used = true;
        }
        const nanoseconds at = now + profile.delay + copy.jitter;
        if (at > now) ++state.counters.delayed;
        if (copy.hold) {
            state.held.push_back({at, at + profile.reorder_max_hold, copy.overtakers, out});
            ++state.counters.reordered;
        } else {
            schedule(state, at, out);
        }
    }
    if (!original_used) rte_pktmbuf_free(frame);
}

void fault_device::schedule(direction& state, nanoseconds at, rte_mbuf* frame) {
    // As on the wire: each copy scheduled overtakes every held one; the first held whose
    // count ran out goes right behind it, and counts in turn.
    for (;;) {
        const due_frame entry{at, state.next_order++, frame};
        const auto place = std::upper_bound(state.due.begin(), state.due.end(), entry, [](const due_frame& a, const due_frame& b) {
            return a.at < b.at || (a.at == b.at && a.order < b.order);
        });
        state.due.insert(place, entry);
        if (state.held.empty()) return;
        for (held_frame& held : state.held) --held.remaining;
        const auto ready = std::find_if(state.held.begin(), state.held.end(),
                                        [](const held_frame& held) { return held.remaining <= 0; });
        if (ready == state.held.end()) return;
        at = std::max(ready->at, at);
        frame = ready->frame;
        state.held.erase(ready);
    }
}

void fault_device::release_expired(direction& state, nanoseconds now) {
    for (;;) {
        const auto expired = std::find_if(state.held.begin(), state.held.end(),
                                          [now](const held_frame& held) { return held.deadline <= now; });
        if (expired == state.held.end()) return;
        const held_frame released = *expired;
        state.held.erase(expired);
        schedule(state, released.deadline, released.frame);
    }
}

std::uint16_t fault_device::rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) {
    direction& state = receive_.at(queue);
    const nanoseconds now = config_.now();
    release_expired(state, now);
    rte_mbuf* pulled[64];
    const std::uint16_t n = inner_.rx_burst(queue, pulled, std::min<std::uint16_t>(max, 64));
    for (std::uint16_t i = 0; i < n; ++i) {
        if (state.size() >= config_.max_waiting_per_queue) {
            ++state.counters.over_limit;
            rte_pktmbuf_free(pulled[i]);
            continue;
        }
        apply(state, config_.receive, pulled[i], now);
    }
    std::uint16_t out = 0;
    while (out < max && out < state.due.size() && state.due[out].at <= now) {
        frames[out] = state.due[out].frame;
        ++out;
    }
    state.due.erase(state.due.begin(), state.due.begin() + out);
    state.counters.passed += out;
    (void)flush_transmit(queue, now);
    return out;
}

std::uint16_t fault_device::tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) {
    direction& state = transmit_.at(queue);
    const nanoseconds now = config_.now();
    release_expired(state, now);
    std::uint16_t accepted = 0;
    while (accepted < count && state.size() < config_.max_waiting_per_queue) {
        apply(state, config_.transmit, frames[accepted], now);
        ++accepted;
    }
    (void)flush_transmit(queue, now);
    return accepted;
}

std::uint16_t fault_device::flush_transmit(unsigned queue, nanoseconds now) {
    direction& state = transmit_.at(queue);
    release_expired(state, now);
    rte_mbuf* ready[64];
    std::uint16_t count = 0;
    while (count < 64 && count < state.due.size() && state.due[count].at <= now) {
        ready[count] = state.due[count].frame;
        ++count;
    }
    if (count == 0) return 0;
    const std::uint16_t sent = inner_.tx_burst(queue, ready, count);  // the rest wait, first in line
    state.due.erase(state.due.begin(), state.due.begin() + sent);
    state.counters.passed += sent;
    return sent;
}

}  // namespace sluice::sim
