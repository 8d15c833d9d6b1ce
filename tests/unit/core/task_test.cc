// task<T>, spawn, yield, sleep and with_timeout, each run inside a real runtime: values
// and exceptions reach the awaiter, tasks are lazy, spawned failures are reported with
// their origin, and every frame is freed (ASan checks the rest).
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sluice/core/shard.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/task.hh"
#include "sluice/core/timer.hh"
#include "sluice/core/with_timeout.hh"
#include "tests/unit/core/run_on_shards.hh"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

task<int> forty_two() { co_return 42; }

task<int> throws_runtime_error() {
    throw std::runtime_error("deliberate");
    co_return 0;
}

task<int> add_one(int x) { co_return co_await [&]() -> task<int> { co_return x + 1; }(); }

// Records its destruction, to check frames holding it are destroyed.
struct destruction_flag {
    bool* destroyed;
    ~destruction_flag() { *destroyed = true; }
};

// Redirects stderr to a temporary file while alive; text() reads what was written.
class captured_stderr {
public:
    captured_stderr() : file_(std::tmpfile()), saved_(dup(STDERR_FILENO)) {
        std::fflush(stderr);
        dup2(fileno(file_), STDERR_FILENO);
    }
    ~captured_stderr() { restore(); std::fclose(file_); }
    std::string text() {
        restore();
        std::rewind(file_);
        std::string out;
        char buffer[512];
        while (std::fgets(buffer, sizeof buffer, file_)) out += buffer;
        return out;
    }

private:
    void restore() {
        if (saved_ >= 0) {
            std::fflush(stderr);
            dup2(saved_, STDERR_FILENO);
            close(saved_);
            saved_ = -1;
        }
    }
    std::FILE* file_;
    int saved_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tasks)

BOOST_AUTO_TEST_CASE(awaiting_a_task_returns_its_value) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        const int a = co_await forty_two();
        const int b = co_await add_one(a);
        co_return b;
    });
    BOOST_CHECK_EQUAL(value, 43);
}

BOOST_AUTO_TEST_CASE(exception_propagates_to_the_awaiter) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        try {
            co_await throws_runtime_error();
        } catch (const std::runtime_error& e) {
            co_return std::string(e.what()) == "deliberate" ? 7 : -1;
        }
        co_return -2;
    });
    BOOST_CHECK_EQUAL(value, 7);
}

BOOST_AUTO_TEST_CASE(task_does_not_start_until_awaited) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        int started = 0;
        auto pending = [](int& flag) -> task<void> {
            flag = 1;
            co_return;
        }(started);
        const int before = started;
        co_await std::move(pending);
        co_return before * 10 + started;
    });
    BOOST_CHECK_EQUAL(value, 1);  // 0 before awaiting, 1 after
}

BOOST_AUTO_TEST_CASE(exception_escaping_main_gives_exit_code_one) {
    captured_stderr err;
    const int value = testing::run_on_shards(1, []() -> task<int> {
        co_await throws_runtime_error();
        co_return 0;
    });
    BOOST_CHECK_EQUAL(value, 1);
    BOOST_CHECK_NE(err.text().find("deliberate"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(spawned_tasks_run_to_completion_in_spawn_order) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        auto order = std::make_shared<std::vector<int>>();
        for (int i = 0; i < 100; ++i) {
            spawn([order, i]() -> task<void> {
                co_await yield();
                order->push_back(i);
            });
        }
        while (order->size() < 100) co_await yield();
        for (int i = 0; i < 100; ++i) {
            if ((*order)[i] != i) co_return -1;
        }
        co_return int(this_shard().counters().tasks_spawned);
    });
    BOOST_CHECK_GE(value, 100);
}

BOOST_AUTO_TEST_CASE(spawned_task_exception_is_reported_with_its_origin) {
    captured_stderr err;
    const int failed = testing::run_on_shards(1, []() -> task<int> {
        spawn([]() -> task<void> {
            co_await yield();
            throw std::logic_error("escaped from a spawned task");
        });
        for (int i = 0; i < 10; ++i) co_await yield();
        co_return int(this_shard().counters().tasks_failed);
    });
    const std::string text = err.text();
    BOOST_CHECK_EQUAL(failed, 1);
    BOOST_CHECK_NE(text.find("escaped from a spawned task"), std::string::npos);
    BOOST_CHECK_NE(text.find("task_test.cc"), std::string::npos);  // where it was spawned
}

BOOST_AUTO_TEST_CASE(tasks_still_suspended_at_stop_are_destroyed) {
    bool destroyed = false;
    testing::run_on_shards(1, [&destroyed]() -> task<int> {
        spawn([&destroyed]() -> task<void> {
            destruction_flag flag{&destroyed};
            co_await sleep_for(24h);  // never wakes: the runtime stops first
        });
        co_await yield();
        co_return 0;
    });
    BOOST_CHECK(destroyed);
}

BOOST_AUTO_TEST_CASE(yield_lets_other_ready_tasks_run_first) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        auto ran = std::make_shared<bool>(false);
        spawn([ran]() -> task<void> {
            *ran = true;
            co_return;
        });
        co_await yield();
        co_return *ran ? 1 : 0;
    });
    BOOST_CHECK_EQUAL(value, 1);
}

BOOST_AUTO_TEST_CASE(sleep_for_waits_at_least_the_delay_and_sleepers_wake_in_deadline_order) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        auto order = std::make_shared<std::vector<int>>();
        const auto start = clock::now();
        for (int delay_ms : {5, 1, 3}) {
            spawn([order, delay_ms, start]() -> task<void> {
                co_await sleep_for(std::chrono::milliseconds(delay_ms));
                if (clock::now() - start < std::chrono::milliseconds(delay_ms)) order->push_back(-1);  // early
                order->push_back(delay_ms);
            });
        }
        while (order->size() < 3) co_await sleep_for(100us);
        co_return (*order)[0] * 100 + (*order)[1] * 10 + (*order)[2];
    });
    BOOST_CHECK_EQUAL(value, 135);
}

BOOST_AUTO_TEST_CASE(with_timeout_returns_the_value_of_work_that_finishes_in_time) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        co_return co_await with_timeout(10s, forty_two());
    });
    BOOST_CHECK_EQUAL(value, 42);
}

BOOST_AUTO_TEST_CASE(with_timeout_throws_when_the_limit_passes_and_the_work_runs_on) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        auto finished = std::make_shared<bool>(false);
        auto slow = [](std::shared_ptr<bool> done) -> task<int> {
            co_await sleep_for(20ms);
            *done = true;
            co_return 1;
        };
        int outcome = 0;
        try {
            co_await with_timeout(1ms, slow(finished));
        } catch (const timed_out_error&) {
            outcome = 1;
        }
        const bool finished_before = *finished;
        co_await sleep_for(40ms);
        co_return outcome * 100 + (finished_before ? 10 : 0) + (*finished ? 1 : 0);
    });
    BOOST_CHECK_EQUAL(value, 101);  // timed out, not finished then, finished later
}

BOOST_AUTO_TEST_CASE(with_timeout_passes_an_exception_from_the_work_through) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        try {
            co_await with_timeout(10s, throws_runtime_error());
        } catch (const std::runtime_error& e) {
            co_return std::string(e.what()) == "deliberate" ? 1 : 2;
        }
        co_return 3;
    });
    BOOST_CHECK_EQUAL(value, 1);
}

BOOST_AUTO_TEST_CASE(frames_return_to_the_shard_allocator) {
    const int live_after = testing::run_on_shards(1, []() -> task<int> {
        const auto before = this_shard().frames().live_frames();
        for (int i = 0; i < 1000; ++i) {
            co_await forty_two();
            spawn(forty_two());
        }
        for (int i = 0; i < 10; ++i) co_await yield();
        co_return int(this_shard().frames().live_frames() - before);
    });
    BOOST_CHECK_EQUAL(live_after, 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(shard_timers)

BOOST_AUTO_TEST_CASE(timer_callback_runs_on_its_shard_after_the_deadline_and_can_rearm) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        int fired = 0;
        clock::time_point first_deadline = clock::now() + 2ms, fired_at{};
        timer periodic([&] {
            if (++fired == 1) fired_at = clock::now();
            if (fired < 3) periodic.arm_in(1ms);
        });
        periodic.arm_at(first_deadline);
        while (fired < 3) co_await sleep_for(500us);
        co_return (fired_at >= first_deadline ? 10 : 0) + fired;
    });
    BOOST_CHECK_EQUAL(value, 13);
}

BOOST_AUTO_TEST_CASE(cancelled_timer_does_not_run) {
    const int value = testing::run_on_shards(1, []() -> task<int> {
        int fired = 0;
        timer once([&] { ++fired; });
        once.arm_in(1ms);
        const bool was_armed = once.cancel();
        co_await sleep_for(5ms);
        co_return fired * 10 + (was_armed ? 1 : 0) + (once.cancel() ? 100 : 0);
    });
    BOOST_CHECK_EQUAL(value, 1);
}

BOOST_AUTO_TEST_SUITE_END()
