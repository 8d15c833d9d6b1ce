// sluice::spsc_ring<T, Signal>: a bounded single-producer single-consumer queue between
// two threads. Exactly one thread may call the producer side (push*) and exactly one the
// consumer side (pop*); the ring owns the elements it holds and destroys any left when it
// is destroyed. The algorithm and its memory ordering: docs/ring.md.
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace sluice {

inline constexpr std::size_t cache_line_size = 64;

// How the consumer learns that elements have arrived (docs/ring.md, "Two signals").
enum class ring_signal {
    tail_index,  // it reads the producer's tail: any element type; best for streaming
    slot_value,  // it reads the next slot itself: T is a pointer below 2^48, tagged with
                 // the lap it was written in; one cache line per hand-off and no write by
                 // the consumer to it, so the lowest latency (the cross-core mesh uses it)
};

namespace detail {
// Lets a test start both indices near the top of their range to exercise wrap-around.
struct ring_start_index {
    std::uint64_t value;
};
}  // namespace detail

template <typename T, ring_signal Signal = ring_signal::tail_index>
class spsc_ring {
    static_assert(std::is_nothrow_move_constructible_v<T>,
                  "spsc_ring elements move without throwing, so a push never half-fails");
    static_assert(std::is_nothrow_move_assignable_v<T>, "pop moves into the caller's elements");
    static_assert(std::is_nothrow_destructible_v<T>);
    static_assert(Signal != ring_signal::slot_value || std::is_pointer_v<T>,
                  "slot_value rings carry pointers, tagged in their top 16 bits");

    static constexpr bool by_slot = Signal == ring_signal::slot_value;
    // In slot_value mode a slot is a tagged pointer word; otherwise raw storage for a T.
    using slot = std::conditional_t<by_slot, std::atomic<std::uint64_t>, T>;
    static constexpr unsigned tag_shift = 48;  // x86-64 user pointers fit in 47 bits
    static constexpr std::align_val_t slot_alignment{std::max(alignof(slot), cache_line_size)};

public:
    // capacity: a power of two, at least 2.
    explicit spsc_ring(std::size_t capacity) : spsc_ring(capacity, detail::ring_start_index{0}) {}

    spsc_ring(std::size_t capacity, detail::ring_start_index start) {
        if (capacity < 2 || !std::has_single_bit(capacity)) {
            throw std::invalid_argument("spsc_ring capacity must be a power of two >= 2");
        }
        slots_ = static_cast<slot*>(::operator new(capacity * sizeof(slot), slot_alignment));
        lap_shift_ = unsigned(std::countr_zero(capacity));
        if constexpr (by_slot) {
            // Each slot starts tagged with the lap before the one its first index is in.
            for (std::uint64_t index = start.value; index != start.value + capacity; ++index) {
                std::construct_at(&slots_[index & (capacity - 1)], tag_of(index - capacity) << tag_shift);
            }
        }
        producer_.slots = consumer_.slots = slots_;
        producer_.mask = consumer_.mask = capacity - 1;
        producer_.tail.store(start.value, std::memory_order_relaxed);
        producer_.cached_head = start.value;
        consumer_.head.store(start.value, std::memory_order_relaxed);
        consumer_.cached_tail = start.value;
    }

    spsc_ring(const spsc_ring&) = delete;
    spsc_ring& operator=(const spsc_ring&) = delete;

    ~spsc_ring() {
        if constexpr (!by_slot) {
            const std::uint64_t tail = producer_.tail.load(std::memory_order_relaxed);
            for (std::uint64_t index = consumer_.head.load(std::memory_order_relaxed); index != tail; ++index) {
                std::destroy_at(&slots_[index & producer_.mask]);
            }
        }
        ::operator delete(slots_, slot_alignment);
    }

    std::size_t capacity() const noexcept { return producer_.mask + 1; }

    // slot_value: the 16-bit lap tag a value written at `index` carries.
    std::uint64_t tag_of(std::uint64_t index) const noexcept { return (index >> lap_shift_) & 0xffff; }

    // --- producer side -------------------------------------------------------------

    // Moves `value` in if there is room.
    [[nodiscard]] bool try_push(T&& value) noexcept { return push_moving(&value, 1, 1) == 1; }

    // Moves every element of `values` in, or none of them if they do not all fit.
    [[nodiscard]] bool try_push_bulk(std::span<T> values) noexcept {
        return push_moving(values.data(), values.size(), values.size()) == values.size();
    }

    // Moves in as many leading elements of `values` as fit; returns how many.
    [[nodiscard]] std::size_t push_burst(std::span<T> values) noexcept {
        return push_moving(values.data(), values.size(), 0);
    }

    // --- consumer side -------------------------------------------------------------

    [[nodiscard]] bool try_pop(T& out) noexcept { return pop_moving(&out, 1, 1) == 1; }

    // Moves exactly out.size() elements out, or none if fewer are queued.
    [[nodiscard]] bool try_pop_bulk(std::span<T> out) noexcept {
        return pop_moving(out.data(), out.size(), out.size()) == out.size();
    }

    // Moves out up to out.size() elements; returns how many.
    [[nodiscard]] std::size_t pop_burst(std::span<T> out) noexcept { return pop_moving(out.data(), out.size(), 0); }

    // Elements queued as the consumer sees them (exact on the consumer thread).
    std::size_t size_for_consumer() const noexcept {
        // acquire: pairs with the producer's release store of tail.
        return producer_.tail.load(std::memory_order_acquire) - consumer_.head.load(std::memory_order_relaxed);
    }

    bool empty_for_consumer() const noexcept { return size_for_consumer() == 0; }

private:
    // Calls copy(first_slot, first_element_offset, length) for the one or two contiguous
    // runs of slots that hold indices [start, start + n), so each copy loop runs over a
    // plain array (the compiler vectorises it) instead of masking every index.
    template <typename Copy>
    static void for_each_run(slot* slots, std::size_t mask, std::uint64_t start, std::size_t n, Copy copy) {
        const std::size_t first = std::size_t(start) & mask;
        const std::size_t first_run = std::min(n, mask + 1 - first);
        copy(slots + first, std::size_t(0), first_run);
        if (first_run < n) copy(slots, first_run, n - first_run);
    }

    // Pushes up to `count` (at least `minimum`, else nothing) elements from `source`.
    std::size_t push_moving(T* source, std::size_t count, std::size_t minimum) noexcept {
        auto& p = producer_;
        const std::uint64_t tail = p.tail.load(std::memory_order_relaxed);  // only we write it
        std::size_t room = p.mask + 1 - (tail - p.cached_head);
        if (room < std::max<std::size_t>(count, 1)) {
            // acquire: pairs with the consumer's release store of head, so the slots it
            // freed are finished being read before we overwrite them.
            p.cached_head = consumer_.head.load(std::memory_order_acquire);
            room = p.mask + 1 - (tail - p.cached_head);
        }
        const std::size_t n = std::min(room, count);
        if (n == 0 || n < minimum) {
            return 0;
        }
        for_each_run(p.slots, p.mask, tail, n, [this, source, tail](slot* run, std::size_t offset, std::size_t length) {
            for (std::size_t i = 0; i < length; ++i) {
                if constexpr (by_slot) {
                    const auto address = reinterpret_cast<std::uint64_t>(source[offset + i]);
                    assert(address >> tag_shift == 0 && "slot_value pointers fit in 48 bits");
                    // release: pairs with the consumer's acquire load of this slot.
                    run[i].store(address | tag_of(tail + offset + i) << tag_shift, std::memory_order_release);
                } else {
                    std::construct_at(&run[i], std::move(source[offset + i]));
                }
            }
        });
        // release: pairs with the consumer's acquire load of tail (tail_index mode, and
        // size_for_consumer); publishes the elements.
        p.tail.store(tail + n, std::memory_order_release);
        return n;
    }

    std::size_t pop_moving(T* destination, std::size_t count, std::size_t minimum) noexcept {
        auto& c = consumer_;
        const std::uint64_t head = c.head.load(std::memory_order_relaxed);  // only we write it
        std::size_t n;
        if constexpr (by_slot) {
            n = ready_by_slot(head, count, minimum);
        } else {
            n = ready_by_tail(head, count, minimum);
        }
        if (n == 0) {
            return 0;
        }
        for_each_run(c.slots, c.mask, head, n, [destination](slot* run, std::size_t offset, std::size_t length) {
            for (std::size_t i = 0; i < length; ++i) {
                if constexpr (by_slot) {
                    // relaxed: the acquire in ready_by_slot already ordered these slots. The
                    // slot is left as it is: its tag alone says it was consumed.
                    const std::uint64_t word = run[i].load(std::memory_order_relaxed);
                    destination[offset + i] = reinterpret_cast<T>(word & ((std::uint64_t(1) << tag_shift) - 1));
                } else {
                    destination[offset + i] = std::move(run[i]);
                    std::destroy_at(&run[i]);
                }
            }
        });
        // release: pairs with the producer's acquire load of head; hands the slots back.
        c.head.store(head + n, std::memory_order_release);
        return n;
    }

    // tail_index: how many of `count` are ready (0 if fewer than `minimum`).
    std::size_t ready_by_tail(std::uint64_t head, std::size_t count, std::size_t minimum) noexcept {
        auto& c = consumer_;
        std::size_t available = c.cached_tail - head;
        if (available < std::max<std::size_t>(count, 1)) {
            // acquire: pairs with the producer's release store of tail, so the elements
            // up to the new tail are fully constructed before we read them.
            c.cached_tail = producer_.tail.load(std::memory_order_acquire);
            available = c.cached_tail - head;
        }
        const std::size_t n = std::min(available, count);
        return n < minimum ? 0 : n;
    }

    // slot_value: a slot holds its index's value once it carries that index's lap tag
    // (until then it still carries the previous lap's). The producer fills slots in index
    // order, so if slot k is filled every slot before it is too: a bulk pop checks only
    // its last slot.
    std::size_t ready_by_slot(std::uint64_t head, std::size_t count, std::size_t minimum) noexcept {
        auto& c = consumer_;
        auto filled = [&](std::size_t k) {
            // acquire: pairs with the producer's release store into this slot.
            const std::uint64_t word = c.slots[(head + k) & c.mask].load(std::memory_order_acquire);
            return word >> tag_shift == tag_of(head + k);
        };
        // No more than one lap can be queued, and only a slot within a lap of head says
        // anything about head's lap; an all-or-nothing request for more fails at once.
        count = std::min(count, c.mask + 1);
        if (count < minimum) {
            return 0;
        }
        if (minimum != 0) {
            return filled(count - 1) ? count : 0;
        }
        std::size_t n = 0;
        while (n < count && filled(n)) ++n;
        return n;
    }

    // The producer's line: written by the producer, read by the consumer only on a miss.
    struct alignas(cache_line_size) producer_state {
        std::atomic<std::uint64_t> tail{0};
        std::uint64_t cached_head = 0;  // last head seen; refreshed only when the ring looks full
        slot* slots = nullptr;          // copies of the read-only fields, so neither
        std::size_t mask = 0;           // side touches the other's line to find a slot
    };
    // The consumer's line: written by the consumer, read by the producer only on a miss.
    struct alignas(cache_line_size) consumer_state {
        std::atomic<std::uint64_t> head{0};
        std::uint64_t cached_tail = 0;  // last tail seen; refreshed only when the ring looks empty
        slot* slots = nullptr;
        std::size_t mask = 0;
    };

    producer_state producer_;
    consumer_state consumer_;
    slot* slots_ = nullptr;
    unsigned lap_shift_ = 0;  // log2(capacity)
};

}  // namespace sluice
