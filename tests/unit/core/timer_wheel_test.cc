// timer_wheel on synthetic time: timers never fire early, fire in expiry order, fire at
// the first advance that reaches them (at most one tick late), survive cancellation from
// callbacks, and work from a microsecond to centuries ahead.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <memory>
#include <random>
#include <vector>

#include "sluice/core/timer_wheel.hh"

using sluice::clock;
using sluice::timer_node;
using sluice::timer_wheel;
using namespace std::chrono_literals;

namespace {

constexpr auto tick = clock::duration(1 << timer_wheel::tick_shift);

struct recorded_timer : timer_node {
    clock::time_point deadline;
    clock::time_point fired_at{};
    int fired = 0;
    std::vector<recorded_timer*>* log = nullptr;
    clock::time_point* now = nullptr;

    recorded_timer() {
        on_expiry = [](timer_node& node) {
            auto& self = static_cast<recorded_timer&>(node);
            ++self.fired;
            self.fired_at = *self.now;
            if (self.log) self.log->push_back(&self);
        };
    }
};

const clock::time_point origin = clock::time_point(1h);

}  // namespace

BOOST_AUTO_TEST_SUITE(timer_wheel_behaviour)

BOOST_AUTO_TEST_CASE(random_timers_fire_in_order_never_early_and_on_the_first_advance_that_reaches_them) {
    std::mt19937_64 random(42);
    std::vector<std::unique_ptr<recorded_timer>> timers;  // outlives the wheel
    timer_wheel wheel(origin);
    clock::time_point now = origin;
    std::vector<recorded_timer*> log;
    // Delays from 1 us to ~10 days, log-uniform, so every level of the wheel is used.
    std::uniform_real_distribution<double> exponent(3, 15);
    for (int i = 0; i < 20000; ++i) {
        auto t = std::make_unique<recorded_timer>();
        t->deadline = origin + clock::duration(std::int64_t(std::pow(10.0, exponent(random))));
        t->log = &log;
        t->now = &now;
        wheel.arm(*t, t->deadline);
        timers.push_back(std::move(t));
    }
    // Steps from 16 ns to ~13 days, log-uniform: many small ones, enough big ones to finish.
    std::uniform_int_distribution<int> step_exponent(4, 50);
    // The wheel starts with the origin's tick not yet processed.
    std::uint64_t last_processed_tick = timer_wheel::to_tick(origin) - 1;
    while (wheel.armed_count() != 0) {
        now += clock::duration(std::int64_t(1) << step_exponent(random));
        wheel.advance(now);
        for (auto* t : log) {
            // Fired by this advance: due by now, and not due before the previous one.
            BOOST_REQUIRE(t->fired_at == now);
            BOOST_REQUIRE(t->deadline <= now);  // never early
            // ...and not due at the previous advance (deadlines round up to a tick).
            BOOST_REQUIRE(timer_wheel::to_tick(t->deadline - clock::duration(1)) + 1 > last_processed_tick);
        }
        for (std::size_t i = 1; i < log.size(); ++i) {  // in order, to the tick
            BOOST_REQUIRE(timer_wheel::to_tick(log[i - 1]->deadline - clock::duration(1)) <=
                          timer_wheel::to_tick(log[i]->deadline - clock::duration(1)));
        }
        log.clear();
        last_processed_tick = timer_wheel::to_tick(now);
    }
    for (const auto& t : timers) BOOST_REQUIRE_EQUAL(t->fired, 1);
}

BOOST_AUTO_TEST_CASE(a_window_entered_by_firing_cascades_before_timers_armed_after_it) {
    // A level-2 window starts at `boundary`. `waiting` sits in that window's slot; firing
    // `last_before` carries now_ into the window, and `armed_after` is then linked at a
    // lower level. `waiting` is due first and must fire first, on its own tick.
    const std::uint64_t boundary_tick = (timer_wheel::to_tick(origin) | 0xfff) + 1;
    const auto at_tick = [](std::uint64_t t) { return timer_wheel::from_tick(t); };
    std::vector<std::unique_ptr<recorded_timer>> timers;  // outlives the wheel
    timer_wheel wheel(at_tick(boundary_tick - 100));
    clock::time_point now = at_tick(boundary_tick - 100);
    std::vector<recorded_timer*> log;
    const auto make = [&](std::uint64_t due_tick) {
        auto t = std::make_unique<recorded_timer>();
        t->deadline = at_tick(due_tick);
        t->now = &now;
        t->log = &log;
        wheel.arm(*t, t->deadline);
        timers.push_back(std::move(t));
        return timers.back().get();
    };
    recorded_timer* waiting = make(boundary_tick + 96);
    recorded_timer* last_before = make(boundary_tick - 1);
    now = at_tick(boundary_tick - 1);
    wheel.advance(now);
    BOOST_REQUIRE_EQUAL(last_before->fired, 1);
    recorded_timer* armed_after = make(boundary_tick + 97);
    for (std::uint64_t t = boundary_tick; t <= boundary_tick + 200; ++t) {
        now = at_tick(t);
        wheel.advance(now);
    }
    BOOST_REQUIRE_EQUAL(log.size(), 3u);
    BOOST_CHECK(log[1] == waiting);
    BOOST_CHECK(log[2] == armed_after);
    BOOST_CHECK(waiting->fired_at == waiting->deadline);
    BOOST_CHECK(armed_after->fired_at == armed_after->deadline);
}

BOOST_AUTO_TEST_CASE(timers_armed_while_time_moves_each_fire_on_the_first_advance_that_reaches_them) {
    // The pattern of a running shard: sleepers armed at every moment, from callbacks and
    // between advances, with advances that sometimes jump (a preempted thread).
    std::mt19937_64 random(7);
    std::vector<std::unique_ptr<recorded_timer>> timers;  // outlives the wheel
    timer_wheel wheel(origin);
    clock::time_point now = origin;
    std::vector<recorded_timer*> log, waiting;
    std::uniform_real_distribution<double> delay_exponent(2, 9);  // 100 ns to 1 s
    std::uniform_int_distribution<int> step_exponent(6, 26);      // 64 ns to 67 ms
    const auto arm_one = [&] {
        auto t = std::make_unique<recorded_timer>();
        t->deadline = now + clock::duration(std::int64_t(std::pow(10.0, delay_exponent(random))));
        t->now = &now;
        t->log = &log;
        wheel.arm(*t, t->deadline);
        waiting.push_back(t.get());
        timers.push_back(std::move(t));
    };
    // Deadlines round up to a tick: a timer is due at `t` once its tick is processed.
    const auto due_at = [](const recorded_timer* timer, clock::time_point t) {
        return timer_wheel::to_tick(timer->deadline - clock::duration(1)) < timer_wheel::to_tick(t);
    };
    for (int i = 0; i < 64; ++i) arm_one();
    clock::time_point previous = now;
    for (int step = 0; step < 100000; ++step) {
        now += clock::duration(std::int64_t(1) << step_exponent(random));
        wheel.advance(now);
        for (auto* t : log) {
            BOOST_REQUIRE(t->deadline <= now);  // never early
            BOOST_REQUIRE(!due_at(t, previous));  // not due at the advance before
        }
        // Whatever is still waiting was not due: a due timer fires on this advance.
        std::erase_if(waiting, [](const recorded_timer* t) { return t->fired != 0; });
        for (const auto* t : waiting) BOOST_REQUIRE(!due_at(t, now));
        // Keep 64 armed: each fired one is replaced by one armed from `now`.
        for (std::size_t i = 0; i < log.size(); ++i) arm_one();
        log.clear();
        previous = now;
    }
    for (const auto& t : timers) BOOST_REQUIRE_LE(t->fired, 1);
}

BOOST_AUTO_TEST_CASE(advancing_tick_by_tick_fires_each_timer_on_its_own_tick) {
    std::vector<std::unique_ptr<recorded_timer>> timers;  // outlives the wheel
    timer_wheel wheel(origin);
    clock::time_point now = origin;
    for (int i = 1; i <= 5000; i += 7) {
        auto t = std::make_unique<recorded_timer>();
        t->deadline = origin + tick * i;
        t->now = &now;
        wheel.arm(*t, t->deadline);
        timers.push_back(std::move(t));
    }
    for (int i = 1; i <= 5000; ++i) {
        now = origin + tick * i;
        wheel.advance(now);
    }
    for (const auto& t : timers) {
        BOOST_REQUIRE_EQUAL(t->fired, 1);
        BOOST_REQUIRE(t->fired_at == t->deadline);
    }
}

BOOST_AUTO_TEST_CASE(cancelled_timer_never_fires) {
    recorded_timer near, far;  // outlives the wheel
    timer_wheel wheel(origin);
    clock::time_point now = origin;
    near.now = far.now = &now;
    wheel.arm(near, origin + 50us);
    wheel.arm(far, origin + 10s);
    BOOST_CHECK(wheel.cancel(near));
    BOOST_CHECK(!wheel.cancel(near));  // second cancel is a no-op
    BOOST_CHECK(wheel.cancel(far));
    BOOST_CHECK_EQUAL(wheel.armed_count(), 0u);
    now = origin + 1min;
    BOOST_CHECK_EQUAL(wheel.advance(now), 0u);
    BOOST_CHECK_EQUAL(near.fired + far.fired, 0);
}

BOOST_AUTO_TEST_CASE(callback_may_cancel_a_timer_due_on_the_same_tick) {
    recorded_timer victim;  // outlives the wheel
    timer_wheel wheel(origin);
    clock::time_point now = origin;
    victim.now = &now;
    struct canceller : timer_node {
        timer_wheel* wheel;
        timer_node* victim;
    } first;
    first.wheel = &wheel;
    first.victim = &victim;
    first.on_expiry = [](timer_node& node) {
        auto& self = static_cast<canceller&>(node);
        self.wheel->cancel(*self.victim);
    };
    wheel.arm(first, origin + 100us);
    wheel.arm(victim, origin + 100us);
    now = origin + 1ms;
    BOOST_CHECK_EQUAL(wheel.advance(now), 1u);
    BOOST_CHECK_EQUAL(victim.fired, 0);
    BOOST_CHECK_EQUAL(wheel.armed_count(), 0u);
}

BOOST_AUTO_TEST_CASE(rearming_for_now_from_a_callback_fires_on_the_next_advance) {
    timer_wheel wheel(origin);
    struct rearming : timer_node {
        timer_wheel* wheel;
        int fired = 0;
    } t;
    t.wheel = &wheel;
    t.on_expiry = [](timer_node& node) {
        auto& self = static_cast<rearming&>(node);
        ++self.fired;
        self.wheel->arm(self, clock::time_point{});  // "already due"
    };
    wheel.arm(t, origin);
    const auto now = origin + 10us;
    wheel.advance(now);
    // It fires once per tick it is re-armed into, never spinning on one tick.
    BOOST_CHECK_GE(t.fired, 1);
    BOOST_CHECK_LE(t.fired, 1 + int((now - origin) / tick) + 1);
    BOOST_CHECK(t.armed());
    wheel.cancel(t);
}

BOOST_AUTO_TEST_CASE(far_future_timers_fire_after_long_jumps) {
    recorded_timer year, century;  // outlives the wheel
    timer_wheel wheel(origin);
    clock::time_point now = origin;
    year.now = century.now = &now;
    const auto one_year = std::chrono::duration_cast<clock::duration>(24h * 365);
    year.deadline = origin + one_year;
    century.deadline = origin + one_year * 100;
    wheel.arm(year, year.deadline);
    wheel.arm(century, century.deadline);
    now = origin + one_year - 1ms;
    wheel.advance(now);
    BOOST_CHECK_EQUAL(year.fired, 0);
    BOOST_REQUIRE(wheel.next_deadline().has_value());
    BOOST_CHECK(*wheel.next_deadline() <= year.deadline);  // a lower bound
    now = origin + one_year;
    wheel.advance(now);
    BOOST_CHECK_EQUAL(year.fired, 1);
    BOOST_CHECK_EQUAL(century.fired, 0);
    now = origin + one_year * 100;
    wheel.advance(now);
    BOOST_CHECK_EQUAL(century.fired, 1);
}

BOOST_AUTO_TEST_CASE(next_deadline_is_exact_within_the_current_window_and_never_late) {
    recorded_timer soon, later;  // outlives the wheel
    timer_wheel wheel(origin);
    BOOST_CHECK(!wheel.next_deadline().has_value());
    clock::time_point now = origin;
    soon.now = later.now = &now;
    wheel.arm(soon, origin + 20 * tick);
    wheel.arm(later, origin + 5000 * tick);
    BOOST_REQUIRE(wheel.next_deadline().has_value());
    BOOST_CHECK(*wheel.next_deadline() == origin + 20 * tick);
    wheel.cancel(soon);
    BOOST_CHECK(*wheel.next_deadline() <= origin + 5000 * tick);
    wheel.cancel(later);
}

BOOST_AUTO_TEST_CASE(destroying_the_wheel_disarms_its_timers) {
    recorded_timer t;
    {
        timer_wheel wheel(origin);
        wheel.arm(t, origin + 1s);
        BOOST_CHECK(t.armed());
    }
    BOOST_CHECK(!t.armed());
}

BOOST_AUTO_TEST_SUITE_END()
