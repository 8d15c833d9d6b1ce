// sluice::spawn: start a task on the current shard without waiting for it. The shard
// keeps the task alive until it ends; an exception that escapes it is reported on
// stderr with where it was spawned and counted (shard_counters::tasks_failed).
#pragma once

#include <concepts>
#include <coroutine>
#include <exception>
#include "sluice/core/source_location.hh"
#include <type_traits>
#include <utility>

#include "sluice/core/shard.hh"
#include "sluice/core/task.hh"

namespace sluice {
namespace detail {

struct detached_task;

struct detached_promise {
    static void* operator new(std::size_t bytes) { return allocate_frame(bytes); }
    static void operator delete(void* frame, std::size_t bytes) noexcept { free_frame(frame, bytes); }

    detached_promise();
    ~detached_promise();
    detached_task get_return_object() noexcept;
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }  // the frame frees itself
    void return_void() noexcept {}
    void unhandled_exception() noexcept;

    shard* owner;
    sluice::source_location origin;
    detached_promise* next = nullptr;  // the owner's list of live detached tasks
    detached_promise* prev = nullptr;
};

struct detached_task {
    using promise_type = detached_promise;
    std::coroutine_handle<detached_promise> handle;
};

template <typename T>
detached_task run_detached(task<T> work) {
    co_await std::move(work);
}

// Takes the callable by value so it lives in this frame for as long as the coroutine it
// returns may use its captures.
template <typename Fn>
detached_task run_detached_callable(Fn fn) {
    co_await fn();
}

void start_detached(detached_task started, sluice::source_location origin);

}  // namespace detail

template <typename T>
void spawn(task<T> work, sluice::source_location origin = sluice::source_location::current()) {
    detail::start_detached(detail::run_detached(std::move(work)), origin);
}

// spawn([captures]() -> task<> {...}): the lambda is kept alive until its task ends.
template <typename Fn>
    requires std::invocable<Fn&>
void spawn(Fn fn, sluice::source_location origin = sluice::source_location::current()) {
    detail::start_detached(detail::run_detached_callable(std::move(fn)), origin);
}

}  // namespace sluice
