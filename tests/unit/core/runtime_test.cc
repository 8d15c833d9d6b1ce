// runtime start-up and teardown: shard hooks run on each shard's own thread before its
// loop turns and after it stops, and a failing hook stops the start with its message.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sluice/core/config.hh"
#include "sluice/core/runtime.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/topology.hh"

using namespace sluice;

namespace {

runtime_config two_shard_config() {
    auto topo = topology::discover();
    BOOST_REQUIRE(topo.ok());
    runtime_config config;
    const auto& allowed = topo->allowed_cpus();
    config.cpus = {allowed[0], allowed[1 % allowed.size()]};
    config.report_placement = false;
    return config;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_lifecycle)

BOOST_AUTO_TEST_CASE(shard_hooks_run_on_each_shard_thread_around_its_loop) {
    runtime_config config = two_shard_config();
    std::mutex guard;  // the test's own bookkeeping, written from both shard threads
    std::vector<std::string> events;
    std::set<unsigned> started_on;
    config.shard_hooks.push_back({
        [&](shard& s) -> result<void> {
            std::lock_guard lock(guard);
            if (shard::current() != &s) return error{"start hook ran off its shard"};
            started_on.insert(s.id());
            events.push_back("start " + std::to_string(s.id()));
            return {};
        },
        [&](shard& s) {
            std::lock_guard lock(guard);
            events.push_back(shard::current() == &s ? "stop " + std::to_string(s.id()) : "stop off-shard");
        },
    });
    runtime engine(config);
    auto outcome = engine.run([&]() -> task<int> {
        std::lock_guard lock(guard);
        events.push_back("main");
        co_return 3;
    });
    BOOST_REQUIRE(outcome.ok());
    BOOST_CHECK_EQUAL(*outcome, 3);
    BOOST_CHECK_EQUAL(started_on.size(), 2u);
    BOOST_REQUIRE_EQUAL(events.size(), 5u);
    // Both starts come before main, both stops after it.
    BOOST_CHECK_EQUAL(events[0].rfind("start", 0), 0u);
    BOOST_CHECK_EQUAL(events[1].rfind("start", 0), 0u);
    BOOST_CHECK_EQUAL(events[2], "main");
    BOOST_CHECK_EQUAL(events[3].rfind("stop ", 0), 0u);
    BOOST_CHECK_EQUAL(events[4].rfind("stop ", 0), 0u);
}

BOOST_AUTO_TEST_CASE(failing_start_hook_stops_start_up_with_its_message_and_undoes_the_others) {
    runtime_config config = two_shard_config();
    std::atomic<int> first_started{0}, first_stopped{0}, second_stopped{0};
    config.shard_hooks.push_back({
        [&](shard&) -> result<void> {
            ++first_started;
            return {};
        },
        [&](shard&) { ++first_stopped; },
    });
    config.shard_hooks.push_back({
        [&](shard& s) -> result<void> {
            if (s.id() == 1) return error{"device gone; plug it back in"};
            return {};
        },
        [&](shard&) { ++second_stopped; },
    });
    bool main_ran = false;
    runtime engine(config);
    auto outcome = engine.run([&]() -> task<int> {
        main_ran = true;
        co_return 0;
    });
    BOOST_REQUIRE(!outcome.ok());
    BOOST_CHECK_EQUAL(outcome.message(), "device gone; plug it back in");
    BOOST_CHECK(!main_ran);
    BOOST_CHECK_EQUAL(first_started.load(), 2);
    BOOST_CHECK_EQUAL(first_stopped.load(), 2);   // undone on both shards
    BOOST_CHECK_EQUAL(second_stopped.load(), 1);  // only where it started
}

BOOST_AUTO_TEST_CASE(empty_cpu_list_is_an_error_naming_the_fix) {
    runtime engine(runtime_config{});
    auto outcome = engine.run([]() -> task<int> { co_return 0; });
    BOOST_REQUIRE(!outcome.ok());
    BOOST_CHECK_NE(outcome.message().find("--cores"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
