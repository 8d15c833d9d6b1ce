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
    if (announce_now) host_.announce();
}

stack_attachment::~stack_attachment() {
    owner_.remove_poller(receive_poller_);
    owner_.remove_poller(transmit_poller_);
    housekeeping_timer_.reset();
}

bool stack_attachment::stage_poller::poll() {
    if (receive_stage) return receive_burst(owner->host_, owner->port_, owner->queue_, clock::now());
    return transmit_burst(owner->host_, owner->port_, owner->queue_);
}

}  // namespace sluice::net
