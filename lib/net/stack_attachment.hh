// sluice::net::stack_attachment: the small adapter that alone joins a sans-I/O stack to a
// shard — polls the device queue into the stack in the loop's receive stage and the
// stack's frames out in its transmit stage, and runs housekeeping on the shard's timer
// wheel with the loop's clock. Made, used and destroyed on the shard that owns the queue;
// destroying it detaches (the stack and device outlive it).
#pragma once

#include <memory>

#include "sluice/core/shard.hh"
#include "sluice/core/timer.hh"
#include "sluice/net/device.hh"
#include "sluice/net/stack.hh"

namespace sluice::net {

class stack_attachment {
public:
    // Attaches `host` on `owner`; announces (gratuitous ARP) when `announce_now`.
    stack_attachment(stack& host, device& port, unsigned queue, shard& owner, bool announce_now);
    stack_attachment(const stack_attachment&) = delete;
    stack_attachment& operator=(const stack_attachment&) = delete;
    ~stack_attachment();

private:
    struct stage_poller : poller {
        stack_attachment* owner = nullptr;
        bool receive_stage = true;
        bool poll() override;
    };

    stack& host_;
    device& port_;
    unsigned queue_;
    shard& owner_;
    stage_poller receive_poller_;
    stage_poller transmit_poller_;
    std::unique_ptr<timer> housekeeping_timer_;
    // One wheel timer for all of TCP's: re-armed each turn its deadline moved.
    std::unique_ptr<timer> tcp_timer_;
    clock::time_point tcp_armed_for_ = clock::time_point::max();
    void rearm_tcp_timer();
};

}  // namespace sluice::net
