// EAL start-up as Sluice does it: the arguments it adds (and leaves to the user), and
// shard threads registered as DPDK lcores through the runtime's shard hook.
#include <boost/test/unit_test.hpp>

#include <rte_lcore.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "drivers/dpdk/eal.hh"
#include "lib/core/cross_core.hh"
#include "lib/core/runtime.hh"
#include "lib/core/submit_to.hh"
#include "lib/core/topology.hh"

using namespace sluice;

namespace {
bool contains(const std::vector<std::string>& args, const std::string& arg) {
    return std::find(args.begin(), args.end(), arg) != args.end();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(eal_start)

BOOST_AUTO_TEST_CASE(adds_unpinned_main_lcore_no_telemetry_and_a_private_prefix) {
    const auto args = dpdk::eal_arguments("app", {"--no-huge", "--vdev=net_ring0"}, {0, 1, 3});
    BOOST_CHECK_EQUAL(args.front(), "app");
    BOOST_CHECK(contains(args, "--lcores=0@(0-1,3)"));
    BOOST_CHECK(contains(args, "--no-telemetry"));
    BOOST_CHECK(contains(args, "--no-shconf"));  // --no-huge: no shared files
    BOOST_CHECK(std::any_of(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--file-prefix=sluice-", 0) == 0; }));
    BOOST_CHECK_EQUAL(args.back(), "--vdev=net_ring0");  // the user's own come last, unchanged
}

BOOST_AUTO_TEST_CASE(leaves_the_users_own_choices_alone) {
    const auto args = dpdk::eal_arguments("app", {"-l", "2", "--file-prefix=mine", "--telemetry", "--in-memory"}, {0, 1});
    BOOST_CHECK(!std::any_of(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--lcores", 0) == 0; }));
    BOOST_CHECK(!contains(args, "--no-telemetry"));
    BOOST_CHECK(!contains(args, "--no-shconf"));
    BOOST_CHECK_EQUAL(std::count_if(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--file-prefix", 0) == 0; }), 1);
}

BOOST_AUTO_TEST_CASE(with_hugepages_it_runs_in_memory) {
    const auto args = dpdk::eal_arguments("app", {}, {0});
    BOOST_CHECK(contains(args, "--in-memory"));
}

BOOST_AUTO_TEST_CASE(every_shard_thread_is_a_distinct_dpdk_lcore) {
    auto topo = topology::discover();
    BOOST_REQUIRE(topo.ok());
    runtime_config config;
    config.cpus = {topo->allowed_cpus()[0], topo->allowed_cpus()[1 % topo->allowed_cpus().size()]};
    config.report_placement = false;
    config.shard_hooks.push_back(dpdk::eal::lcore_hook());
    std::vector<unsigned> lcores;
    runtime engine(config);
    auto outcome = engine.run([&]() -> task<int> {
        for (unsigned s = 0; s < shard_count(); ++s) {
            lcores.push_back(co_await submit_to(s, [] { return rte_lcore_id(); }));
        }
        co_return 0;
    });
    BOOST_REQUIRE(outcome.ok());
    BOOST_REQUIRE_EQUAL(lcores.size(), 2u);
    for (unsigned id : lcores) BOOST_CHECK_NE(id, unsigned(LCORE_ID_ANY));
    BOOST_CHECK_NE(lcores[0], lcores[1]);
    BOOST_CHECK_EQUAL(rte_lcore_id(), 0u);  // the main thread stays EAL's main lcore
}

BOOST_AUTO_TEST_SUITE_END()
