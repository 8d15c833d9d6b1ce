// sluice::shard: one pinned thread's run-to-completion loop and everything it owns — the
// ready-task queue, the timer wheel, the frame allocator, the pollers plugged into each
// loop stage, and its counters. Only the shard's own thread touches its state; other
// shards reach it with submit_to (cross_core.hh).
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include "sluice/core/source_location.hh"
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/core/config.hh"
#include "sluice/core/fifo.hh"
#include "sluice/core/frame_allocator.hh"
#include "sluice/core/timer_wheel.hh"

namespace sluice {

// A source of work polled once per loop turn: a NIC queue, the cross-core rings, an
// io_uring. poll() does a bounded amount of work and says whether it found any.
class poller {
public:
    virtual ~poller() = default;
    virtual bool poll() = 0;
};

// Where in a turn a poller runs (docs/architecture.md, rule 5). Ready tasks run after `receive`,
// timers fire after `storage`.
enum class loop_stage : unsigned { receive, cross_core_inbound, storage, transmit, count };

struct shard_counters {
    std::uint64_t turns = 0;
    std::uint64_t idle_turns = 0;
    std::uint64_t tasks_run = 0;
    std::uint64_t tasks_spawned = 0;
    std::uint64_t tasks_failed = 0;  // spawned tasks that ended with an exception
    std::uint64_t timers_fired = 0;
    std::uint64_t sleeps = 0;        // adaptive idle: times the shard slept
};

namespace detail {
struct detached_promise;
}

class shard {
public:
    shard(unsigned id, unsigned cpu, const runtime_config& config, const std::atomic<bool>& stop_flag);
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;
    ~shard();

    unsigned id() const noexcept { return id_; }
    unsigned cpu() const noexcept { return cpu_; }

    // Runs `handle` on a later pass of the ready-task stage of this shard.
    void schedule(std::coroutine_handle<> handle) { ready_.push_back(handle); }

    timer_wheel& timers() noexcept { return timers_; }
    frame_allocator& frames() noexcept { return frames_; }
    shard_counters& counters() noexcept { return counters_; }
    const runtime_config& config() const noexcept { return config_; }

    // Control path: plug a poller into a stage (kept until removed; not owned).
    void add_poller(poller& source, loop_stage stage);
    void remove_poller(poller& source);

    // Runs the loop on the calling thread until the runtime's stop flag is raised.
    void run();

    // After run() returns and every shard has stopped: destroys the tasks still
    // suspended here (their awaiters cancel their timers) and drops the ready queue.
    void destroy_remaining_tasks() noexcept;

    // Bookkeeping for spawn(): every detached task is on this list until it ends.
    void adopt(detail::detached_promise& task) noexcept;
    void release(detail::detached_promise& task) noexcept;

    // The shard running on this thread; null off-shard.
    static shard* current() noexcept { return current_; }
    static void set_current(shard* s) noexcept;

private:
    bool run_turn();
    bool poll_stage(loop_stage stage);
    bool run_ready_tasks();
    bool fire_timers(clock::time_point now);
    void idle(bool worked, clock::time_point now);

    unsigned id_;
    unsigned cpu_;
    const runtime_config& config_;
    const std::atomic<bool>& stop_flag_;
    frame_allocator frames_;
    fifo<std::coroutine_handle<>> ready_{1024};  // coroutines ready to resume, oldest first
    timer_wheel timers_;
    std::vector<poller*> pollers_[unsigned(loop_stage::count)];
    detail::detached_promise* detached_ = nullptr;  // intrusive list of live spawned tasks
    clock::time_point idle_since_{};
    clock::duration sleep_step_{};
    shard_counters counters_;
    static thread_local shard* current_;
};

// The shard running on this thread. Calling it off-shard is a programming error.
shard& this_shard() noexcept;

}  // namespace sluice
