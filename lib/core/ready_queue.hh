// sluice::ready_queue: a shard's FIFO of coroutines ready to resume. A power-of-two
// circular buffer that doubles when full, so scheduling is a store and an increment.
// Owned by one shard; not thread-safe.
#pragma once

#include <coroutine>
#include <cstddef>
#include <memory>

namespace sluice {

class ready_queue {
public:
    explicit ready_queue(std::size_t initial_capacity = 1024)
        : slots_(std::make_unique<std::coroutine_handle<>[]>(initial_capacity)), mask_(initial_capacity - 1) {}

    void push(std::coroutine_handle<> handle) {
        if (tail_ - head_ > mask_) {
            grow();
        }
        slots_[tail_++ & mask_] = handle;
    }

    std::coroutine_handle<> pop() noexcept { return slots_[head_++ & mask_]; }

    bool empty() const noexcept { return head_ == tail_; }
    std::size_t size() const noexcept { return tail_ - head_; }
    void clear() noexcept { head_ = tail_; }

private:
    void grow() {
        const std::size_t capacity = (mask_ + 1) * 2;
        auto bigger = std::make_unique<std::coroutine_handle<>[]>(capacity);
        for (std::size_t i = 0; i < size(); ++i) {
            bigger[i] = slots_[(head_ + i) & mask_];
        }
        tail_ = size();
        head_ = 0;
        slots_ = std::move(bigger);
        mask_ = capacity - 1;
    }

    std::unique_ptr<std::coroutine_handle<>[]> slots_;
    std::size_t mask_;
    std::size_t head_ = 0;
    std::size_t tail_ = 0;
};

}  // namespace sluice
