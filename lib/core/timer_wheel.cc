// The wheel keeps one invariant (see timer_wheel.hh): a timer lives at the level of the
// highest bit where its expiry differs from now_. So a timer at level L shares every bit
// above level L with now_, and its slot at L is ahead of now_'s, or equal to it once now_
// has stepped into that slot's window, until the slot cascades. Advancing finds the
// nearest event with one count-trailing-zeros per level: a level-0 slot to fire, or a
// higher slot whose window now_ has reached, whose timers move down ("cascade").
#include "sluice/core/timer_wheel.hh"

#include <bit>

namespace sluice {
namespace {

constexpr std::uint64_t low_mask(unsigned bits) noexcept { return bits >= 64 ? ~0ull : (1ull << bits) - 1; }

}  // namespace

std::uint64_t timer_wheel::to_tick(clock::time_point t) noexcept {
    const auto ns = t.time_since_epoch().count();
    return ns <= 0 ? 0 : std::uint64_t(ns) >> tick_shift;
}

clock::time_point timer_wheel::from_tick(std::uint64_t tick) noexcept {
    return clock::time_point(clock::duration(std::int64_t(tick << tick_shift)));
}

timer_wheel::timer_wheel(clock::time_point start) noexcept : now_(to_tick(start)) {
    for (auto& level : heads_) {
        for (auto& head : level) {
            head.next = head.prev = &head;
        }
    }
}

timer_wheel::~timer_wheel() {
    for (unsigned level = 0; level < levels; ++level) {
        for (auto& head : heads_[level]) {
            while (head.next != &head) {
                unlink(*head.next);
            }
        }
    }
}

void timer_wheel::link(timer_node& node) noexcept {
    // An expiry behind now_ would land in a slot every scan has passed; it is due now.
    if (node.expiry_tick < now_) node.expiry_tick = now_;
    const std::uint64_t differing = node.expiry_tick ^ now_;
    const unsigned level = differing == 0 ? 0 : unsigned(63 - std::countl_zero(differing)) / slot_bits;
    const unsigned slot = unsigned(node.expiry_tick >> (level * slot_bits)) & (slots_per_level - 1);
    timer_node& head = heads_[level][slot];
    node.level = std::uint16_t(level);
    node.slot = std::uint16_t(slot);
    node.prev = head.prev;  // append: timers due on the same tick fire in arming order
    node.next = &head;
    head.prev->next = &node;
    head.prev = &node;
    occupied_[level] |= 1ull << slot;
}

void timer_wheel::unlink(timer_node& node) noexcept {
    node.prev->next = node.next;
    node.next->prev = node.prev;
    node.next = node.prev = nullptr;
    const timer_node& head = heads_[node.level][node.slot];
    if (head.next == &head) {
        occupied_[node.level] &= ~(1ull << node.slot);
    }
}

void timer_wheel::arm(timer_node& node, clock::time_point when) noexcept {
    if (node.armed()) {
        unlink(node);
        --armed_;
    }
    // Round up: a timer fires on the first advance() whose time is at or past `when`.
    const auto ns = when.time_since_epoch().count();
    const std::uint64_t tick = ns <= 0 ? 0 : (std::uint64_t(ns) + (1u << tick_shift) - 1) >> tick_shift;
    node.expiry_tick = tick;  // link() makes an already due one fire on the next advance
    link(node);
    ++armed_;
}

bool timer_wheel::cancel(timer_node& node) noexcept {
    if (!node.armed()) {
        return false;
    }
    unlink(node);
    --armed_;
    return true;
}

std::optional<timer_wheel::event> timer_wheel::next_event() const noexcept {
    // A higher slot whose window now_ has already entered (a level-0 firing or the end of
    // an advance carried now_ into it) cascades first: its timers may be due before
    // anything armed at lower levels since, and once now_ leaves the window it is
    // behind every scan below.
    for (unsigned level = 1; level < levels; ++level) {
        const unsigned current = unsigned(now_ >> (level * slot_bits)) & (slots_per_level - 1);
        if (occupied_[level] >> current & 1) {
            return event{now_, level, current};
        }
    }
    for (unsigned level = 0; level < levels; ++level) {
        const unsigned shift = level * slot_bits;
        const unsigned current = unsigned(now_ >> shift) & (slots_per_level - 1);
        const std::uint64_t ahead = occupied_[level] & ~low_mask(current);  // slots >= current
        if (ahead == 0) {
            continue;
        }
        const unsigned slot = unsigned(std::countr_zero(ahead));
        // Start of that slot's window; for the current slot that is now_ itself.
        const std::uint64_t window_start =
            (now_ & ~low_mask(shift + slot_bits)) | (std::uint64_t(slot) << shift);
        // With no entered window left to cascade, lower levels only hold ticks before
        // any higher level's window: the first level with a slot ahead holds the nearest.
        return event{window_start < now_ ? now_ : window_start, level, slot};
    }
    return std::nullopt;
}

std::size_t timer_wheel::advance(clock::time_point now) {
    const std::uint64_t target = to_tick(now);
    std::size_t fired = 0;
    while (armed_ != 0 && now_ <= target) {
        const auto next = next_event();
        if (!next || next->tick > target) {
            break;
        }
        timer_node& head = heads_[next->level][next->slot];
        if (next->level == 0) {
            // Every timer in this slot expires at next->tick. Anything armed by a callback
            // for that tick or earlier lands on now_ = tick + 1, a different slot, so this
            // list only shrinks while we fire it and a re-arming callback cannot spin here.
            // Callbacks may cancel timers still in the list: take one at a time.
            now_ = next->tick + 1;
            while (head.next != &head) {
                timer_node& node = *head.next;
                unlink(node);
                --armed_;
                ++fired;
                node.on_expiry(node);
            }
        } else {
            // now_ has entered this slot's window: its timers move to lower levels.
            now_ = next->tick;
            while (head.next != &head) {
                timer_node& node = *head.next;
                unlink(node);
                link(node);
            }
        }
    }
    if (now_ <= target) {
        now_ = target + 1;
    }
    return fired;
}

std::optional<clock::time_point> timer_wheel::next_deadline() const noexcept {
    if (armed_ == 0) {
        return std::nullopt;
    }
    const auto next = next_event();
    return next ? std::optional(from_tick(next->tick)) : std::nullopt;
}

}  // namespace sluice
