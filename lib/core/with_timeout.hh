// co_await with_timeout(limit, work): the value of `work`, or timed_out_error once
// `limit` has passed. On a timeout the work is not cancelled: it keeps running on this
// shard and its result is dropped when it ends, so it must own what it uses (capture by
// value, not references into the caller's frame). Call from a task on a shard.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "sluice/core/clock.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/task.hh"
#include "sluice/core/timer_wheel.hh"

namespace sluice {

class timed_out_error : public std::runtime_error {
public:
    timed_out_error() : std::runtime_error("operation timed out") {}
};

namespace detail {

// Shared by the waiting caller and the running work, both on one shard: a plain count.
template <typename T>
struct timeout_race : timer_node {
    using stored = std::conditional_t<std::is_void_v<T>, bool, T>;
    std::optional<stored> value;
    std::exception_ptr error;
    std::coroutine_handle<> waiter;
    shard* owner = nullptr;
    bool settled = false;
    bool timed_out = false;
    int references = 2;

    void settle() {
        settled = true;
        if (armed()) owner->timers().cancel(*this);
        if (waiter) owner->schedule(std::exchange(waiter, {}));
    }
    void drop_reference() {
        if (--references == 0) delete this;
    }
};

template <typename T>
task<void> race_work(timeout_race<T>* race, task<T> work) {
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(work);
            race->value.emplace(true);
        } else {
            race->value.emplace(co_await std::move(work));
        }
    } catch (...) {
        race->error = std::current_exception();
    }
    if (!race->settled) race->settle();
    race->drop_reference();
}

}  // namespace detail

template <typename T>
task<T> with_timeout(clock::duration limit, task<T> work) {
    auto* race = new detail::timeout_race<T>();
    race->owner = &this_shard();
    race->on_expiry = [](timer_node& node) {
        auto& self = static_cast<detail::timeout_race<T>&>(node);
        self.timed_out = true;
        self.settle();
    };
    // The caller's side lets go even if its frame is destroyed while waiting.
    struct caller_reference {
        detail::timeout_race<T>* race;
        ~caller_reference() {
            race->waiter = {};
            if (race->armed()) race->owner->timers().cancel(*race);
            race->drop_reference();
        }
    } hold{race};

    race->owner->timers().arm(*race, clock::now() + limit);
    spawn(detail::race_work<T>(race, std::move(work)));

    struct wait_awaiter {
        detail::timeout_race<T>* race;
        bool await_ready() const noexcept { return race->settled; }
        void await_suspend(std::coroutine_handle<> self) noexcept { race->waiter = self; }
        void await_resume() const noexcept {}
    };
    co_await wait_awaiter{race};

    if (race->timed_out) throw timed_out_error();
    if (race->error) std::rethrow_exception(race->error);
    if constexpr (!std::is_void_v<T>) {
        co_return std::move(*race->value);
    }
}

}  // namespace sluice
