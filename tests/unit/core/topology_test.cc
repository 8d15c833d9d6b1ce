// Checks sluice::topology against the machine it runs on: the allowed set respects the
// thread's affinity (taskset), every allowed cpu has a NUMA node, and binding pins a
// thread to exactly one cpu. Expectations come from the allowed set, so the tests also
// pass under `taskset -c 1`. Binding runs on a fresh thread to leave the main one free.
#include <boost/test/unit_test.hpp>

#include <sched.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "sluice/core/topology.hh"

namespace {

std::vector<unsigned> my_affinity() {
    cpu_set_t set;
    CPU_ZERO(&set);
    BOOST_REQUIRE(sched_getaffinity(0, sizeof set, &set) == 0);
    std::vector<unsigned> cpus;
    for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
    return cpus;
}

sluice::topology discovered() {
    auto topo = sluice::topology::discover();
    BOOST_REQUIRE_MESSAGE(topo.ok(), (topo.ok() ? std::string() : topo.message()));
    return std::move(topo).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(topology)

BOOST_AUTO_TEST_CASE(allowed_cpus_are_sorted_and_within_the_threads_affinity) {
    const sluice::topology topo = discovered();
    const std::vector<unsigned>& allowed = topo.allowed_cpus();
    BOOST_REQUIRE(!allowed.empty());
    BOOST_TEST(std::is_sorted(allowed.begin(), allowed.end()));
    BOOST_TEST((std::adjacent_find(allowed.begin(), allowed.end()) == allowed.end()));
    const std::vector<unsigned> affinity = my_affinity();
    for (unsigned cpu : allowed) {
        BOOST_TEST(std::binary_search(affinity.begin(), affinity.end(), cpu), "cpu " << cpu << " not in affinity");
    }
}

BOOST_AUTO_TEST_CASE(every_allowed_cpu_has_a_numa_node) {
    const sluice::topology topo = discovered();
    BOOST_TEST(topo.numa_node_count() >= 1u);
    for (unsigned cpu : topo.allowed_cpus()) {
        BOOST_TEST(topo.numa_node_of(cpu).has_value(), "cpu " << cpu);
    }
}

BOOST_AUTO_TEST_CASE(a_cpu_that_does_not_exist_has_no_node) {
    const sluice::topology topo = discovered();
    BOOST_TEST(!topo.numa_node_of(sluice::max_cpu_index + 1).has_value());
}

BOOST_AUTO_TEST_CASE(describe_has_one_line_per_node_naming_the_allowed_cpus) {
    const sluice::topology topo = discovered();
    const std::string text = topo.describe();
    BOOST_TEST(static_cast<unsigned>(std::count(text.begin(), text.end(), '\n')) + 1 == topo.numa_node_count());
    BOOST_TEST(text.starts_with("numa node "));
    for (unsigned cpu : topo.allowed_cpus()) {
        const std::string node_line = "numa node " + std::to_string(*topo.numa_node_of(cpu)) + ": cpus ";
        BOOST_TEST(text.find(node_line) != std::string::npos, text << " lacks " << node_line);
    }
}

BOOST_AUTO_TEST_CASE(binds_thread_to_requested_cpu) {
    const sluice::topology topo = discovered();
    for (unsigned cpu : topo.allowed_cpus()) {
        bool bound = false;
        std::vector<unsigned> affinity;
        int running_on = -1;
        std::string failure;
        std::thread worker([&] {
            auto outcome = topo.bind_current_thread(cpu);
            bound = outcome.ok();
            if (!bound) failure = outcome.message();
            affinity = my_affinity();
            running_on = sched_getcpu();
        });
        worker.join();
        BOOST_TEST_CONTEXT("cpu " << cpu) {
            BOOST_REQUIRE_MESSAGE(bound, failure);
            BOOST_TEST(affinity == std::vector<unsigned>({cpu}), boost::test_tools::per_element());
            BOOST_TEST(running_on == static_cast<int>(cpu));
        }
    }
    // The calling thread's own affinity is untouched.
    const std::vector<unsigned> mine = my_affinity();
    for (unsigned cpu : topo.allowed_cpus()) BOOST_TEST(std::binary_search(mine.begin(), mine.end(), cpu));
}

BOOST_AUTO_TEST_CASE(binding_outside_the_allowed_set_names_the_allowed_set) {
    const sluice::topology topo = discovered();
    const std::string allowed = sluice::format_cpu_list(topo.allowed_cpus());
    const unsigned outside = topo.allowed_cpus().back() + 1;
    auto outcome = topo.bind_current_thread(outside);
    BOOST_REQUIRE(!outcome.ok());
    BOOST_TEST(outcome.message().find('\n') == std::string::npos);
    BOOST_TEST(outcome.message().find("core " + std::to_string(outside) + " is not in the allowed set " + allowed) !=
               std::string::npos);
    BOOST_TEST(outcome.message().find("choose cores from " + allowed) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(moves_hand_over_the_topology) {
    sluice::topology first = discovered();
    const std::vector<unsigned> allowed = first.allowed_cpus();
    sluice::topology second(std::move(first));
    BOOST_TEST(second.allowed_cpus() == allowed, boost::test_tools::per_element());
    BOOST_TEST(second.numa_node_count() >= 1u);
    first = discovered();  // a moved-from topology can be assigned again
    second = std::move(first);
    BOOST_TEST(second.allowed_cpus() == allowed, boost::test_tools::per_element());
    // The moved-from one is empty and refuses to bind with a message.
    BOOST_TEST(first.allowed_cpus().empty());  // NOLINT(bugprone-use-after-move)
    auto outcome = first.bind_current_thread(allowed.front());
    BOOST_TEST(!outcome.ok());
    BOOST_TEST(outcome.message().find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
