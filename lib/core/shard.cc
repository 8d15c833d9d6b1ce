// The loop: one turn polls every stage in the order docs/architecture.md rule 5 gives, then applies
// the idle policy. Nothing in a turn blocks; only the adaptive idle policy sleeps, and
// only after a stretch of turns that found no work.
#include "sluice/core/shard.hh"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "sluice/core/spawn.hh"

namespace sluice {

thread_local shard* shard::current_ = nullptr;

shard& this_shard() noexcept {
    shard* s = shard::current();
    if (!s) {
        std::fprintf(stderr, "sluice: this code must run on a shard (inside runtime::run); it ran on another thread\n");
        std::abort();
    }
    return *s;
}

void shard::set_current(shard* s) noexcept {
    current_ = s;
    frame_allocator::set_current(s ? &s->frames_ : nullptr);
}

shard::shard(unsigned id, unsigned cpu, const runtime_config& config, const std::atomic<bool>& stop_flag)
    : id_(id), cpu_(cpu), config_(config), stop_flag_(stop_flag) {}

shard::~shard() {
    // Frames must go back to this shard's allocator, which is current only here.
    shard* previous = current_;
    set_current(this);
    destroy_remaining_tasks();
    set_current(previous == this ? nullptr : previous);
}

void shard::add_poller(poller& source, loop_stage stage) { pollers_[unsigned(stage)].push_back(&source); }

void shard::remove_poller(poller& source) {
    for (auto& stage : pollers_) {
        stage.erase(std::remove(stage.begin(), stage.end(), &source), stage.end());
    }
}

void shard::adopt(detail::detached_promise& task) noexcept {
    task.next = detached_;
    task.prev = nullptr;
    if (detached_) detached_->prev = &task;
    detached_ = &task;
}

void shard::release(detail::detached_promise& task) noexcept {
    if (task.prev) task.prev->next = task.next;
    else detached_ = task.next;
    if (task.next) task.next->prev = task.prev;
}

void shard::destroy_remaining_tasks() noexcept {
    ready_.clear();
    // Destroying a detached task destroys the tasks it awaits; each promise's destructor
    // unlinks it, so always take the head.
    while (detached_) {
        std::coroutine_handle<detail::detached_promise>::from_promise(*detached_).destroy();
    }
}

bool shard::poll_stage(loop_stage stage) {
    bool worked = false;
    for (poller* source : pollers_[unsigned(stage)]) {
        worked |= source->poll();
    }
    return worked;
}

bool shard::run_ready_tasks() {
    // The budget bounds a turn, so a busy task set cannot starve rx and the rings.
    unsigned budget = config_.task_budget;
    unsigned ran = 0;
    while (!ready_.empty() && ran < budget) {
        ready_.pop_front().resume();
        ++ran;
    }
    counters_.tasks_run += ran;
    return ran != 0;
}

bool shard::fire_timers(clock::time_point now) {
    if (timers_.armed_count() == 0) {
        return false;
    }
    const std::size_t fired = timers_.advance(now);
    counters_.timers_fired += fired;
    return fired != 0;
}

void shard::idle(bool worked, clock::time_point now) {
    if (worked || config_.idle == idle_policy::spin) {
        idle_since_ = {};
        sleep_step_ = {};
        return;
    }
    ++counters_.idle_turns;
    if (idle_since_ == clock::time_point{}) {
        idle_since_ = now;
        return;
    }
    if (now - idle_since_ < config_.spin_before_sleep || !ready_.empty()) {
        return;
    }
    // Sleep in growing steps (20 us doubling up to max_sleep), never past the next
    // timer: a cross-core message waits at most one step.
    const clock::duration longest = config_.max_sleep;
    sleep_step_ = sleep_step_ == clock::duration{} ? std::chrono::microseconds(20)
                                                   : std::min<clock::duration>(sleep_step_ * 2, longest);
    clock::duration step = sleep_step_;
    if (auto deadline = timers_.next_deadline()) {
        step = std::min(step, std::max<clock::duration>(*deadline - now, clock::duration{0}));
    }
    if (step <= clock::duration{0}) {
        return;
    }
    const timespec pause{0, long(std::chrono::nanoseconds(step).count())};
    nanosleep(&pause, nullptr);
    ++counters_.sleeps;
}

bool shard::run_turn() {
    bool worked = poll_stage(loop_stage::receive);
    worked |= run_ready_tasks();
    worked |= poll_stage(loop_stage::cross_core_inbound);
    worked |= poll_stage(loop_stage::storage);
    const clock::time_point now = clock::now();
    worked |= fire_timers(now);
    worked |= poll_stage(loop_stage::transmit);
    ++counters_.turns;
    idle(worked, now);
    return worked;
}

void shard::run() {
    set_current(this);
    // relaxed: the flag only says "leave the loop"; the runtime's barriers order the
    // teardown that follows.
    while (!stop_flag_.load(std::memory_order_relaxed)) {
        run_turn();
    }
}

}  // namespace sluice
