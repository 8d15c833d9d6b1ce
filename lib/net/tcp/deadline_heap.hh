// sluice::net::tcp::deadline_heap<T>: the TCP layer's timers — a binary min-heap of items
// by deadline, intrusive (each item keeps its own heap slot), so moving an item's deadline
// is one sift and nothing stale piles up however often a connection re-arms. The loop
// arms one shard timer for top(); the sans-I/O core needs no wheel of the loop's.
// Owned by one shard's TCP layer; items are owned elsewhere and must leave before dying.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "sluice/core/clock.hh"

namespace sluice::net::tcp {

// What an item carries to sit in the heap (a member named `deadline_slot`).
struct deadline_slot {
    static constexpr std::size_t none = std::size_t(-1);
    clock::time_point deadline = clock::time_point::max();
    std::size_t index = none;  // position in the heap, or none
};

template <typename T>  // T has a public `deadline_slot deadline_slot;`
class deadline_heap {
public:
    bool empty() const noexcept { return items_.empty(); }
    std::size_t size() const noexcept { return items_.size(); }
    clock::time_point next() const noexcept {
        return items_.empty() ? clock::time_point::max() : items_.front()->deadline_slot.deadline;
    }
    T* top() const noexcept { return items_.empty() ? nullptr : items_.front(); }

    // Puts `item` at `deadline`, or takes it out when the deadline is max().
    void set(T& item, clock::time_point deadline) {
        auto& slot = item.deadline_slot;
        if (deadline == clock::time_point::max()) return remove(item);
        if (slot.index == deadline_slot::none) {
            slot.deadline = deadline;
            slot.index = items_.size();
            items_.push_back(&item);
            sift_up(slot.index);
            return;
        }
        const bool earlier = deadline < slot.deadline;
        slot.deadline = deadline;
        if (earlier) {
            sift_up(slot.index);
        } else {
            sift_down(slot.index);
        }
    }

    void remove(T& item) noexcept {
        auto& slot = item.deadline_slot;
        if (slot.index == deadline_slot::none) return;
        const std::size_t at = slot.index;
        slot.index = deadline_slot::none;
        slot.deadline = clock::time_point::max();
        T* last = items_.back();
        items_.pop_back();
        if (last == &item) return;
        items_[at] = last;
        last->deadline_slot.index = at;
        sift_down(at);
        sift_up(at);
    }

private:
    bool before(std::size_t a, std::size_t b) const noexcept {
        return items_[a]->deadline_slot.deadline < items_[b]->deadline_slot.deadline;
    }
    void swap_slots(std::size_t a, std::size_t b) noexcept {
        std::swap(items_[a], items_[b]);
        items_[a]->deadline_slot.index = a;
        items_[b]->deadline_slot.index = b;
    }
    void sift_up(std::size_t at) noexcept {
        while (at > 0) {
            const std::size_t parent = (at - 1) / 2;
            if (!before(at, parent)) return;
            swap_slots(at, parent);
            at = parent;
        }
    }
    void sift_down(std::size_t at) noexcept {
        for (;;) {
            const std::size_t left = 2 * at + 1;
            if (left >= items_.size()) return;
            std::size_t smallest = left;
            if (left + 1 < items_.size() && before(left + 1, left)) smallest = left + 1;
            if (!before(smallest, at)) return;
            swap_slots(at, smallest);
            at = smallest;
        }
    }

    std::vector<T*> items_;
};

}  // namespace sluice::net::tcp
