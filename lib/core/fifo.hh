// sluice::fifo<T>: the one first-in-first-out queue of the tree — a power-of-two circular
// buffer that doubles when full, so a push is a store and an increment, and a pop never
// moves the rest. The shard's ready coroutines, the stack's frames for the device, frames
// steered between shards and a socket's datagrams all queue in one. Bounds are the
// owner's: check size() before push_back. Owned by one shard; not thread-safe.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <memory>
#include <span>
#include <utility>

namespace sluice {

template <typename T>
class fifo {
public:
    // `initial_capacity` is rounded up to a power of two (at least 1).
    explicit fifo(std::size_t initial_capacity = 16) {
        std::size_t capacity = 1;
        while (capacity < initial_capacity) capacity *= 2;
        slots_ = std::make_unique<T[]>(capacity);
        mask_ = capacity - 1;
    }
    fifo(fifo&&) noexcept = default;
    fifo& operator=(fifo&&) noexcept = default;

    void push_back(T value) {
        if (size() > mask_) grow();
        slots_[tail_++ & mask_] = std::move(value);
    }
    T& front() noexcept {
        assert(!empty());
        return slots_[head_ & mask_];
    }
    // Takes the oldest element out; its slot is left holding a moved-from T.
    T pop_front() noexcept {
        assert(!empty());
        return std::move(slots_[head_++ & mask_]);
    }
    // The oldest elements that sit next to each other in memory (up to the buffer's wrap),
    // for handing a burst to a device in place; drop_front(n) then forgets the n it took.
    std::span<T> front_run() noexcept {
        const std::size_t start = head_ & mask_;
        const std::size_t run = std::min(size(), mask_ + 1 - start);
        return {slots_.get() + start, run};
    }
    void drop_front(std::size_t count) noexcept {
        assert(count <= size());
        for (std::size_t i = 0; i < count; ++i) slots_[(head_ + i) & mask_] = T{};
        head_ += count;
    }

    void clear() noexcept { drop_front(size()); }

    bool empty() const noexcept { return head_ == tail_; }
    std::size_t size() const noexcept { return tail_ - head_; }
    std::size_t capacity() const noexcept { return mask_ + 1; }

private:
    void grow() {
        const std::size_t capacity = (mask_ + 1) * 2;
        auto bigger = std::make_unique<T[]>(capacity);
        const std::size_t count = size();
        for (std::size_t i = 0; i < count; ++i) bigger[i] = std::move(slots_[(head_ + i) & mask_]);
        head_ = 0;
        tail_ = count;
        slots_ = std::move(bigger);
        mask_ = capacity - 1;
    }

    std::unique_ptr<T[]> slots_;
    std::size_t mask_ = 0;
    std::size_t head_ = 0;  // counts up for ever; the slot is the count & mask_
    std::size_t tail_ = 0;
};

}  // namespace sluice
