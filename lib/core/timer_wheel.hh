// sluice::timer_wheel: a hierarchical timing wheel (Varghese & Lauck) owned by one shard.
// Arm and cancel are O(1); advancing costs O(levels) plus the timers it fires or moves.
// Only the owning shard touches a wheel and the timer_nodes armed on it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "sluice/core/clock.hh"

namespace sluice {

class timer_wheel;

// An intrusive timer entry. Its owner keeps it alive while it is armed (or cancels it
// first); the wheel calls on_expiry once when it fires, after unlinking it.
struct timer_node {
    timer_node() = default;
    timer_node(const timer_node&) = delete;
    timer_node& operator=(const timer_node&) = delete;

    bool armed() const noexcept { return next != nullptr; }

    void (*on_expiry)(timer_node&) = nullptr;

private:
    friend class timer_wheel;
    timer_node* next = nullptr;
    timer_node* prev = nullptr;
    std::uint64_t expiry_tick = 0;
    std::uint16_t level = 0;
    std::uint16_t slot = 0;
};

class timer_wheel {
public:
    // One tick is 2^10 ns (1.024 us): resolution well inside the 10 us the loop needs.
    static constexpr unsigned tick_shift = 10;
    static constexpr unsigned slot_bits = 6;
    static constexpr unsigned slots_per_level = 1u << slot_bits;
    // Eleven levels of 64 slots cover every 64-bit tick: no timer is too far to arm.
    static constexpr unsigned levels = (64 + slot_bits - 1) / slot_bits;

    explicit timer_wheel(clock::time_point start = clock::now()) noexcept;
    timer_wheel(const timer_wheel&) = delete;
    timer_wheel& operator=(const timer_wheel&) = delete;
    // Unlinks anything still armed, so owners may outlive the wheel safely.
    ~timer_wheel();

    // Arms (or re-arms) `node` to fire at the first advance() at or after `when`.
    void arm(timer_node& node, clock::time_point when) noexcept;
    // Disarms `node`; returns false if it was not armed.
    bool cancel(timer_node& node) noexcept;

    // Fires, tick by tick in expiry order, every timer due at `now` (timers due on the
    // same tick fire in no promised order).
    // Callbacks may arm and cancel timers, including the one firing.
    std::size_t advance(clock::time_point now);

    // A lower bound on the next expiry (exact when it is within the current 64 ticks),
    // or nothing when no timer is armed. The loop sleeps at most until then.
    std::optional<clock::time_point> next_deadline() const noexcept;

    std::size_t armed_count() const noexcept { return armed_; }

    // The tick holding `t` (rounded down); deadlines are rounded up to a tick.
    static std::uint64_t to_tick(clock::time_point t) noexcept;
    static clock::time_point from_tick(std::uint64_t tick) noexcept;

private:
    struct event {
        std::uint64_t tick;
        unsigned level;
        unsigned slot;
    };
    std::optional<event> next_event() const noexcept;
    void link(timer_node& node) noexcept;
    void unlink(timer_node& node) noexcept;

    // Every tick before now_ has been processed. A timer with expiry e sits at the level
    // holding the highest bit in which e and now_ differ when it was linked, in the slot e
    // has there (now_ may since have entered that slot's window: it cascades next).
    std::uint64_t now_ = 0;
    std::size_t armed_ = 0;
    std::array<std::uint64_t, levels> occupied_{};  // bit s set: slot s is non-empty
    std::array<std::array<timer_node, slots_per_level>, levels> heads_;  // list sentinels
};

}  // namespace sluice
