// Awaitables that give the shard back: yield() lets other ready tasks run first;
// sleep_for/sleep_until resume the task after a deadline on this shard's timer wheel.
// Call them only from tasks running on a shard.
#pragma once

#include <coroutine>

#include "sluice/core/clock.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/timer_wheel.hh"

namespace sluice {

struct yield_awaiter {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> self) { this_shard().schedule(self); }
    void await_resume() const noexcept {}
};

// co_await yield(): requeue behind the tasks already ready.
inline yield_awaiter yield() noexcept { return {}; }

// Lives in the sleeping coroutine's frame; destroying that frame cancels the timer.
class sleep_awaiter : private timer_node {
public:
    explicit sleep_awaiter(clock::time_point deadline) noexcept : deadline_(deadline) {
        on_expiry = [](timer_node& node) {
            auto& self = static_cast<sleep_awaiter&>(node);
            self.owner_->schedule(self.waiting_);
        };
    }
    sleep_awaiter(const sleep_awaiter&) = delete;
    ~sleep_awaiter() {
        if (armed()) owner_->timers().cancel(*this);
    }

    bool await_ready() const noexcept { return deadline_ <= clock::now(); }
    void await_suspend(std::coroutine_handle<> self) noexcept {
        owner_ = &this_shard();
        waiting_ = self;
        owner_->timers().arm(*this, deadline_);
    }
    void await_resume() const noexcept {}

private:
    clock::time_point deadline_;
    shard* owner_ = nullptr;
    std::coroutine_handle<> waiting_;
};

inline sleep_awaiter sleep_until(clock::time_point deadline) noexcept { return sleep_awaiter(deadline); }
inline sleep_awaiter sleep_for(clock::duration delay) noexcept { return sleep_awaiter(clock::now() + delay); }

}  // namespace sluice
