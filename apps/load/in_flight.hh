// sluice::load::in_flight: the requests one connection has sent and not yet seen answered,
// oldest first, in a ring sized once (no allocation while the run goes). Sequence numbers
// are consecutive per connection, so a datagram's answer finds its entry by subtraction;
// a stream's answers come in order and always take the oldest.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "sluice/core/clock.hh"

namespace sluice::load {

class in_flight {
public:
    struct entry {
        std::uint64_t sequence = 0;
        clock::time_point intended{};  // the schedule's time: latency counts from here
        bool answered = false;
    };

    explicit in_flight(std::size_t capacity) : slots_(std::bit_ceil(capacity < 1 ? 1 : capacity)) {}

    std::size_t size() const noexcept { return std::size_t(next_ - oldest_); }
    bool empty() const noexcept { return next_ == oldest_; }
    bool full(std::size_t limit) const noexcept { return size() >= limit || size() >= slots_.size(); }
    std::uint64_t next_sequence() const noexcept { return next_; }

    // Records request next_sequence() as sent; the caller checked full() first.
    void push(clock::time_point intended) noexcept {
        slots_[next_ & mask()] = entry{next_, intended, false};
        ++next_;
    }
    const entry& oldest() const noexcept { return slots_[oldest_ & mask()]; }
    void pop_oldest() noexcept {
        ++oldest_;
        drop_answered();
    }

    // Each entry still outstanding, oldest first (a stream re-sends them after reconnecting).
    template <typename Visit>
    void for_each(Visit&& visit) const {
        for (std::uint64_t i = oldest_; i != next_; ++i) visit(slots_[i & mask()]);
    }

    // A datagram's answer: the entry still waiting for `sequence`, marked answered, or null
    // when it is not outstanding (timed out already, a duplicate, or never sent).
    const entry* answer(std::uint64_t sequence) noexcept {
        if (sequence < oldest_ || sequence >= next_) return nullptr;
        entry& found = slots_[sequence & mask()];
        if (found.answered) return nullptr;
        found.answered = true;
        return &found;
    }
    // Pops answered entries at the front after answer(); the caller has read its entry.
    void drop_answered() noexcept {
        while (oldest_ != next_ && slots_[oldest_ & mask()].answered) ++oldest_;
    }

private:
    std::uint64_t mask() const noexcept { return slots_.size() - 1; }

    std::vector<entry> slots_;
    std::uint64_t oldest_ = 0;
    std::uint64_t next_ = 0;
};

}  // namespace sluice::load
