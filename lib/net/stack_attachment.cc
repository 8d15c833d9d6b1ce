#include "sluice/net/stack_attachment.hh"

#include "sluice/net/device_io.hh"

namespace sluice::net {

stack_attachment::stack_attachment(stack& host, device& port, unsigned queue, shard& owner, bool announce_now)
    : host_(host), port_(port), queue_(queue), owner_(owner) {
    receive_poller_.owner = this;
    receive_poller_.receive_stage = true;
    transmit_poller_.owner = this;
    transmit_poller_.receive_stage = false;
    owner_.add_poller(receive_poller_, loop_stage::receive);
    owner_.add_poller(transmit_poller_, loop_stage::transmit);
    housekeeping_timer_ = std::make_unique<timer>([this] {
        host_.housekeeping(clock::now());
        housekeeping_timer_->arm_in(host_.limits().housekeeping_period);
    });
    housekeeping_timer_->arm_in(host_.limits().housekeeping_period);
    tcp_timer_ = std::make_unique<timer>([this] {
        tcp_armed_for_ = clock::time_point::max();
        host_.tcp_timers(clock::now());
        rearm_tcp_timer();
    });
    if (announce_now) host_.announce();
}

stack_attachment::~stack_attachment() {
    owner_.remove_poller(receive_poller_);
    owner_.remove_poller(transmit_poller_);
    housekeeping_timer_.reset();
    tcp_timer_.reset();
}

void stack_attachment::rearm_tcp_timer() {
    const clock::time_point due = host_.tcp_deadline();
    if (due == tcp_armed_for_) return;
    tcp_armed_for_ = due;
    if (due == clock::time_point::max()) {
        tcp_timer_->cancel();
    } else {
        tcp_timer_->arm_at(due);
    }
}

bool stack_attachment::stage_poller::poll() {
    if (receive_stage) return receive_burst(owner->host_, owner->port_, owner->queue_, clock::now());
    // Whatever ran this turn (segments, timers, sockets) may have moved TCP's deadline.
    owner->rearm_tcp_timer();
    return transmit_burst(owner->host_, owner->port_, owner->queue_);
}

}  // namespace sluice::net
