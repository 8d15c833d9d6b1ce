// co_await submit_to(target, fn): runs fn on shard `target` and brings back its value or
// exception (docs/architecture.md, rule 6). fn may return a plain value or a task<T>.
//
// Lifetimes, for fn and for what it returns:
// - fn is moved into the awaiter on the calling shard (the awaiter lives in the caller's
//   coroutine frame, so a call allocates nothing); on the target it is moved out, invoked
//   and destroyed there — for a task-returning fn, after that task has finished.
// - The value is constructed on the target into the awaiter, then moved out and destroyed
//   on the calling shard. An exception travels the same way.
// - Submitting to the calling shard itself runs fn in place, with no ring hop; fn is then
//   destroyed when the co_await expression ends.
// Ordering: calls from one shard to another start on the target in the order they were
// made (one FIFO ring per ordered pair); fn that suspends may of course finish later.
#pragma once

#include <concepts>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "sluice/core/cross_core.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/task.hh"

namespace sluice {
namespace detail {

template <typename T>
struct is_task : std::false_type {};
template <typename T>
struct is_task<task<T>> : std::true_type {};

template <typename Fn>
using fn_result_t = std::invoke_result_t<Fn&>;

template <typename Fn>
struct submit_value {
    using type = fn_result_t<Fn>;
};
template <typename Fn>
    requires is_task<fn_result_t<Fn>>::value
struct submit_value<Fn> {
    using type = typename fn_result_t<Fn>::value_type;
};

// Storage for the outcome; void has nothing to hold.
template <typename T>
struct outcome {
    std::optional<T> value;
    std::exception_ptr error;
    T take() {
        if (error) std::rethrow_exception(error);
        return std::move(*value);
    }
    template <typename Fn>
    void set_from(Fn& fn) { value.emplace(fn()); }
};
template <>
struct outcome<void> {
    std::exception_ptr error;
    void take() {
        if (error) std::rethrow_exception(error);
    }
    template <typename Fn>
    void set_from(Fn& fn) { fn(); }
};

template <typename Fn>
class submit_awaiter final : public cross_core_message {
    using value_type = typename submit_value<Fn>::type;
    static constexpr bool returns_task = is_task<fn_result_t<Fn>>::value;

public:
    submit_awaiter(unsigned target_shard, Fn&& fn) : fn_(std::move(fn)) { target = target_shard; }
    submit_awaiter(const submit_awaiter&) = delete;

    bool await_ready() {
        source = this_shard().id();
        if (target >= shard_count()) {
            outcome_.error = std::make_exception_ptr(std::out_of_range("submit_to: no such shard"));
            return true;
        }
        if constexpr (returns_task) {
            return false;
        } else {
            if (target != source) return false;
            run_here();  // a plain fn on our own shard: no suspension at all
            return true;
        }
    }

    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) {
        caller_ = caller;
        if constexpr (returns_task) {
            if (target == source) {  // a task on our own shard: run it as a child; fn
                local_ = (*fn_)();   // stays alive in this awaiter until the task is done
                local_awaiter_.emplace(std::move(local_).operator co_await());
                return local_awaiter_->await_suspend(caller);
            }
        }
        cross_core::send(*this);
        return std::noop_coroutine();
    }

    value_type await_resume() {
        if constexpr (returns_task) {
            if (local_.valid()) {
                return std::move(*local_awaiter_).await_resume();
            }
        }
        return outcome_.take();
    }

private:
    void run_here() noexcept {
        {
            Fn fn = std::move(*fn_);  // destroyed on this (the target) shard, at the brace
            fn_.reset();
            try {
                outcome_.set_from(fn);
            } catch (...) {
                outcome_.error = std::current_exception();
            }
        }
    }

    void run_on_target() noexcept override {
        if constexpr (returns_task) {
            spawn(run_task_on_target(this));
        } else {
            run_here();
            reply();
        }
    }

    static task<void> run_task_on_target(submit_awaiter* self) {
        {
            Fn fn = std::move(*self->fn_);  // kept in this frame while its task runs
            self->fn_.reset();
            try {
                if constexpr (std::is_void_v<value_type>) {
                    co_await fn();
                } else {
                    self->outcome_.value.emplace(co_await fn());
                }
            } catch (...) {
                self->outcome_.error = std::current_exception();
            }
        }
        self->reply();
    }

    void reply() noexcept {
        is_reply = true;
        cross_core::send(*this);
    }

    // Resume the caller right here, in the inbound stage: the reply is its wake-up, and a
    // trip through the ready queue would cost the rest of this turn and half the next.
    void complete_on_source() noexcept override { caller_.resume(); }

    std::optional<Fn> fn_;
    outcome<value_type> outcome_;
    std::coroutine_handle<> caller_;
    struct no_task {
        bool valid() const noexcept { return false; }
    };
    using local_task = std::conditional_t<returns_task, task<value_type>, no_task>;
    local_task local_;
    using local_awaiter = decltype(std::declval<task<value_type>>().operator co_await());
    std::optional<local_awaiter> local_awaiter_;
};

}  // namespace detail

template <typename Fn>
    requires std::invocable<Fn&>
[[nodiscard]] detail::submit_awaiter<std::decay_t<Fn>> submit_to(unsigned target, Fn&& fn) {
    std::decay_t<Fn> callable(std::forward<Fn>(fn));
    return detail::submit_awaiter<std::decay_t<Fn>>(target, std::move(callable));
}

}  // namespace sluice
