// sluice::timer: a callback run by the current shard's timer wheel at a deadline. Arm
// and cancel are O(1); re-arming from the callback makes it periodic. A timer belongs to
// the shard it was first armed on and must be armed, cancelled and destroyed there.
#pragma once

#include <functional>
#include <utility>

#include "sluice/core/clock.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/timer_wheel.hh"

namespace sluice {

class timer : private timer_node {
public:
    explicit timer(std::function<void()> callback) : callback_(std::move(callback)) {
        on_expiry = [](timer_node& node) { static_cast<timer&>(node).callback_(); };
    }
    timer(const timer&) = delete;
    timer& operator=(const timer&) = delete;
    ~timer() { cancel(); }

    // (Re-)arms to run the callback on the first loop turn at or after `deadline`.
    void arm_at(clock::time_point deadline) {
        if (!owner_) owner_ = &this_shard();
        owner_->timers().arm(*this, deadline);
    }
    void arm_in(clock::duration delay) { arm_at(clock::now() + delay); }

    // Returns false if it was not armed (never armed, already fired, or cancelled).
    bool cancel() noexcept { return owner_ && owner_->timers().cancel(*this); }

    bool armed() const noexcept { return timer_node::armed(); }

private:
    std::function<void()> callback_;
    shard* owner_ = nullptr;
};

}  // namespace sluice
