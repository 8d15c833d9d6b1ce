// sluice::spsc_ring<T>: a bounded single-producer single-consumer queue between two
// threads. Exactly one thread may call the producer side (push*) and exactly one the
// consumer side (pop*, front); the ring owns the elements it holds and destroys any
// left when it is destroyed. The algorithm and its memory ordering: docs/ring.md.
#pragma once

#include <algorithm>
#include <atomic>
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

namespace detail {
// Lets a test start both indices near the top of their range to exercise wrap-around.
struct ring_start_index {
    std::uint64_t value;
};
}  // namespace detail

template <typename T>
class spsc_ring {
    static_assert(std::is_nothrow_move_constructible_v<T>,
                  "spsc_ring elements move without throwing, so a push never half-fails");
    static_assert(std::is_nothrow_move_assignable_v<T>, "pop moves into the caller's elements");
    static_assert(std::is_nothrow_destructible_v<T>);

public:
    // capacity: a power of two, at least 2.
    explicit spsc_ring(std::size_t capacity) : spsc_ring(capacity, detail::ring_start_index{0}) {}

    spsc_ring(std::size_t capacity, detail::ring_start_index start) {
        if (capacity < 2 || !std::has_single_bit(capacity)) {
            throw std::invalid_argument("spsc_ring capacity must be a power of two >= 2");
        }
        slots_ = static_cast<slot*>(::operator new(capacity * sizeof(slot), std::align_val_t{alignof(slot)}));
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
        const std::uint64_t tail = producer_.tail.load(std::memory_order_relaxed);
        for (std::uint64_t index = consumer_.head.load(std::memory_order_relaxed); index != tail; ++index) {
            element(index)->~T();
        }
        ::operator delete(slots_, std::align_val_t{alignof(slot)});
    }

    std::size_t capacity() const noexcept { return producer_.mask + 1; }

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
    struct alignas(T) slot {
        std::byte bytes[sizeof(T)];
    };

    T* element(std::uint64_t index) const noexcept {
        return std::launder(reinterpret_cast<T*>(slots_[index & producer_.mask].bytes));
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
        for (std::size_t i = 0; i < n; ++i) {
            std::construct_at(reinterpret_cast<T*>(p.slots[(tail + i) & p.mask].bytes), std::move(source[i]));
        }
        // release: pairs with the consumer's acquire load of tail; publishes the elements.
        p.tail.store(tail + n, std::memory_order_release);
        return n;
    }

    std::size_t pop_moving(T* destination, std::size_t count, std::size_t minimum) noexcept {
        auto& c = consumer_;
        const std::uint64_t head = c.head.load(std::memory_order_relaxed);  // only we write it
        std::size_t available = c.cached_tail - head;
        if (available < std::max<std::size_t>(count, 1)) {
            // acquire: pairs with the producer's release store of tail, so the elements
            // up to the new tail are fully constructed before we read them.
            c.cached_tail = producer_.tail.load(std::memory_order_acquire);
            available = c.cached_tail - head;
        }
        const std::size_t n = std::min(available, count);
        if (n == 0 || n < minimum) {
            return 0;
        }
        for (std::size_t i = 0; i < n; ++i) {
            T* source = std::launder(reinterpret_cast<T*>(c.slots[(head + i) & c.mask].bytes));
            destination[i] = std::move(*source);
            source->~T();
        }
        // release: pairs with the producer's acquire load of head; hands the slots back.
        c.head.store(head + n, std::memory_order_release);
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
};

}  // namespace sluice
