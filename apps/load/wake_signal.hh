// sluice::load::wake_signal: one task waits until another raises it, on the same shard
// (a connection's writer waits for the dispatcher to queue requests). Raising with no
// waiter is remembered; destroying the signal with a waiter leaves that task suspended,
// so its owner raises it (with `closing` set by the caller) before going away.
#pragma once

#include <coroutine>
#include <utility>

#include "sluice/core/shard.hh"

namespace sluice::load {

class wake_signal {
public:
    void raise() noexcept {
        raised_ = true;
        if (waiter_) this_shard().schedule(std::exchange(waiter_, {}));
    }

    auto wait() noexcept {
        struct awaiter {
            wake_signal& signal;
            bool await_ready() const noexcept { return signal.raised_; }
            void await_suspend(std::coroutine_handle<> waiting) noexcept { signal.waiter_ = waiting; }
            void await_resume() const noexcept { signal.raised_ = false; }
        };
        return awaiter{*this};
    }

private:
    std::coroutine_handle<> waiter_;
    bool raised_ = false;
};

}  // namespace sluice::load
