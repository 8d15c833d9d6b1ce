// sluice::packetdrill::instance: what one packetdrill run holds (EAL, the packet pool,
// the virtual host and its sockets), and `call`, the scope every function packetdrill
// calls runs in: the instance's lock held (packetdrill calls from two threads; this is
// the one lock, at this seam only), the pool current on the calling thread, and a
// blocked call woken when anything may have changed. Private to drivers/packetdrill.
#pragma once

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "drivers/packetdrill/packetdrill_interface.hh"
#include "drivers/packetdrill/socket_table.hh"
#include "drivers/packetdrill/virtual_host.hh"
#include "sluice/dpdk/eal.hh"
#include "sluice/net/packet_pool.hh"

namespace sluice::packetdrill {

struct instance {
    std::mutex lock;
    std::condition_variable changed;  // the main thread did something: waiters look again
    std::condition_variable settled;  // a woken waiter has looked
    std::uint64_t epoch = 0;          // calls finished so far
    bool waiter_blocked = false;      // the system-call thread sleeps in one of our calls
    std::uint64_t waiter_epoch = 0;   // the last epoch it looked at
    std::thread::id main_thread;
    clock::time_point last_action{};  // of the script, for longest_wait_for_packet
    std::unique_ptr<dpdk::eal> eal;
    std::optional<net::packet_pool> pool;
    std::unique_ptr<virtual_host> host;
    std::unique_ptr<socket_table> sockets;
};

// One call into the shared object: the lock held, the pool current on this thread, and
// waiters told afterwards that something may have changed. Every call but the sniffing
// and the clock reading is an action of the script.
class call {
public:
    enum kind { action, observation };
    explicit call(void* userdata, kind what = action)
        : self(*static_cast<instance*>(userdata)), held(self.lock), pool_current(*self.pool) {
        if (what == action) self.last_action = self.host->now();
    }
    call(const call&) = delete;
    call& operator=(const call&) = delete;
    ~call() {
        ++self.epoch;
        self.changed.notify_all();
    }

    bool on_main_thread() const noexcept { return std::this_thread::get_id() == self.main_thread; }

    // Before the main thread moves time: a waiter woken by an earlier call first gets to
    // act at the time it was woken (Linux's would, within microseconds of real time).
    void let_waiter_act() {
        if (!on_main_thread()) return;
        self.settled.wait(held, [this] { return !self.waiter_blocked || self.waiter_epoch == self.epoch; });
    }
    // Moves time by `d`, a TCP deadline at a time: after each, a blocked waiter looks
    // again at that instant (a blocking connect that times out returns when it did).
    void advance_by(clock::duration d) {
        const clock::time_point target = self.host->now() + d;
        for (;;) {
            let_waiter_act();
            const clock::time_point next = std::min(target, self.host->tcp().next_deadline());
            self.host->advance_to(next);
            if (next >= target) return;
            if (self.waiter_blocked) {
                ++self.epoch;
                self.changed.notify_all();
            }
        }
    }

    // May a call on `fd` that found nothing to do wait for the main thread? Not for a
    // non-blocking socket or call, and never on the main thread: nothing else would wake it.
    bool may_wait(int fd, bool nonblocking_call, const char* name) {
        if (nonblocking_call || !self.sockets->exists(fd) || self.sockets->nonblocking(fd)) return false;
        if (!on_main_thread()) return true;
        std::fprintf(stderr,
                     "sluice_packetdrill: %s(%d) would block; give the script line a time range "
                     "(+0...1 %s(...)) so packetdrill runs it on its blocking thread. Answering EAGAIN\n",
                     name, fd, name);
        return false;
    }
    void wait() {
        self.waiter_blocked = true;
        self.waiter_epoch = self.epoch;
        self.settled.notify_all();
        self.changed.wait(held);
        self.waiter_epoch = self.epoch;
    }
    void done_waiting() {
        self.waiter_blocked = false;
        self.settled.notify_all();
    }

    instance& self;
    std::unique_lock<std::mutex> held;
    net::packet_pool::scoped_current pool_current;
};

// -errno becomes -1 with errno set, as libc answers.
template <typename T>
T answer(T result) {
    if (result >= 0) return result;
    errno = int(-result);
    return T(-1);
}

// Runs `attempt` until it answers something other than `busy`, waiting in between when
// the socket may block.
template <typename Attempt>
long until_not(call& c, int fd, bool nonblocking_call, long busy, const char* name, Attempt attempt) {
    for (bool waited = false;; waited = true) {
        const long result = attempt();
        if (result != busy || !c.may_wait(fd, nonblocking_call, name)) {
            if (waited) c.done_waiting();
            return result;
        }
        c.wait();
    }
}

// Stores the socket calls (socket_calls.cc) in packetdrill's table.
void fill_socket_calls(packetdrill_interface& table);

}  // namespace sluice::packetdrill
