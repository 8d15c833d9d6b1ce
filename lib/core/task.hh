// sluice::task<T>: a lazy coroutine that produces a T (docs/architecture.md, rule 8). It starts when
// awaited, is awaited exactly once, and an exception it throws reaches the awaiter. The
// task object owns its frame; frames come from the current shard's frame_allocator.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include "sluice/core/frame_allocator.hh"

namespace sluice {

template <typename T = void>
class task;

namespace detail {

struct promise_base {
    static void* operator new(std::size_t bytes) { return allocate_frame(bytes); }
    static void operator delete(void* frame, std::size_t bytes) noexcept { free_frame(frame, bytes); }

    std::suspend_always initial_suspend() noexcept { return {}; }

    // Symmetric transfer back to the awaiter: no stack growth along a chain of tasks.
    struct final_awaiter {
        bool await_ready() noexcept { return false; }
        template <typename Promise>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
            return self.promise().continuation;
        }
        void await_resume() noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }

    void unhandled_exception() noexcept { exception = std::current_exception(); }

    std::coroutine_handle<> continuation = std::noop_coroutine();
    std::exception_ptr exception;
};

template <typename T>
struct task_promise : promise_base {
    task<T> get_return_object() noexcept;

    template <typename U>
        requires std::is_convertible_v<U&&, T>
    void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        ::new (static_cast<void*>(storage)) T(std::forward<U>(value));
        has_value = true;
    }

    T take() {
        if (exception) {
            std::rethrow_exception(exception);
        }
        return std::move(*std::launder(reinterpret_cast<T*>(storage)));
    }

    ~task_promise() {
        if (has_value) {
            std::launder(reinterpret_cast<T*>(storage))->~T();
        }
    }

    alignas(T) std::byte storage[sizeof(T)];
    bool has_value = false;
};

template <>
struct task_promise<void> : promise_base {
    task<void> get_return_object() noexcept;
    void return_void() noexcept {}
    void take() {
        if (exception) {
            std::rethrow_exception(exception);
        }
    }
};

}  // namespace detail

template <typename T>
class [[nodiscard]] task {
public:
    using promise_type = detail::task_promise<T>;
    using value_type = T;

    task() noexcept = default;
    explicit task(std::coroutine_handle<promise_type> frame) noexcept : frame_(frame) {}
    task(task&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
    task& operator=(task&& other) noexcept {
        if (this != &other) {
            destroy();
            frame_ = std::exchange(other.frame_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() { destroy(); }

    bool valid() const noexcept { return bool(frame_); }

    // Awaiting starts the task and resumes the awaiter when it finishes.
    auto operator co_await() && noexcept {
        struct awaiter {
            std::coroutine_handle<promise_type> frame;
            bool await_ready() const noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
                frame.promise().continuation = awaiting;
                return frame;
            }
            T await_resume() { return frame.promise().take(); }
        };
        return awaiter{frame_};
    }

private:
    void destroy() noexcept {
        if (frame_) {
            frame_.destroy();
            frame_ = {};
        }
    }

    std::coroutine_handle<promise_type> frame_;
};

namespace detail {
template <typename T>
task<T> task_promise<T>::get_return_object() noexcept {
    return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
    return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace sluice
