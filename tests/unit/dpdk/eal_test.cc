// EAL start-up as Sluice does it: the arguments it adds (and leaves to the user), the
// hugepage check before it (over fake sysfs trees: every page size on every NUMA node),
// and shard threads registered as DPDK lcores through the runtime's shard hook.
#include <boost/test/unit_test.hpp>

#include <rte_lcore.h>

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "sluice/core/cross_core.hh"
#include "sluice/core/runtime.hh"
#include "sluice/core/submit_to.hh"
#include "sluice/core/topology.hh"
#include "sluice/dpdk/eal.hh"

using namespace sluice;

namespace {
bool contains(const std::vector<std::string>& args, const std::string& arg) {
    return std::find(args.begin(), args.end(), arg) != args.end();
}

// A sysfs tree (and a /proc/meminfo) in a fresh temporary folder, removed afterwards.
// Only what a test adds exists: a test that adds nothing has no sysfs at all.
class fake_sysfs {
public:
    fake_sysfs() {
        std::string pattern = (std::filesystem::temp_directory_path() / "sluice-sysfs-XXXXXX").string();
        BOOST_REQUIRE(mkdtemp(pattern.data()) != nullptr);
        root_ = pattern;
    }
    ~fake_sysfs() {
        std::error_code ignored;
        std::filesystem::remove_all(root_, ignored);
    }
    fake_sysfs(const fake_sysfs&) = delete;
    fake_sysfs& operator=(const fake_sysfs&) = delete;

    // /sys/devices/system/node/node<node>/hugepages/hugepages-<kib>kB
    void on_node(int node, std::uint64_t kib, std::uint64_t reserved, std::uint64_t free) {
        write_size(root_ / "devices/system/node" / ("node" + std::to_string(node)) / "hugepages", kib, reserved, free);
    }
    // /sys/kernel/mm/hugepages/hugepages-<kib>kB: machine-wide, as on a kernel without NUMA
    void machine_wide(std::uint64_t kib, std::uint64_t reserved, std::uint64_t free) {
        write_size(root_ / "kernel/mm/hugepages", kib, reserved, free);
    }
    void meminfo(std::uint64_t total, std::uint64_t free) {
        std::ofstream(meminfo_path()) << "MemTotal:       16318248 kB\n"
                                      << "HugePages_Total:   " << total << "\n"
                                      << "HugePages_Free:    " << free << "\n"
                                      << "HugePages_Rsvd:        0\n"
                                      << "Hugepagesize:       2048 kB\n";
    }

    std::string root() const { return root_.string(); }
    std::string meminfo_path() const { return (root_ / "meminfo").string(); }
    std::string node_file(int node, std::uint64_t kib) const {
        return root() + "/devices/system/node/node" + std::to_string(node) + "/hugepages/hugepages-" +
               std::to_string(kib) + "kB/nr_hugepages";
    }

private:
    static void write_size(const std::filesystem::path& folder, std::uint64_t kib, std::uint64_t reserved,
                           std::uint64_t free) {
        const auto size = folder / ("hugepages-" + std::to_string(kib) + "kB");
        std::filesystem::create_directories(size);
        std::ofstream(size / "nr_hugepages") << reserved << "\n";
        std::ofstream(size / "free_hugepages") << free << "\n";
        std::ofstream(size / "surplus_hugepages") << 0 << "\n";
    }
    std::filesystem::path root_;
};

bool mentions(const result<void>& outcome, const std::string& text) {
    return !outcome.ok() && outcome.message().find(text) != std::string::npos;
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

BOOST_AUTO_TEST_SUITE(hugepage_check)

BOOST_AUTO_TEST_CASE(reads_every_page_size_on_every_node) {
    fake_sysfs sys;
    sys.on_node(0, 2048, 512, 500);
    sys.on_node(0, 1048576, 0, 0);
    sys.on_node(1, 1048576, 4, 3);
    sys.machine_wide(2048, 512, 500);  // the sum of the nodes': not counted twice
    const auto counts = dpdk::read_hugepage_counts(sys.root());
    BOOST_REQUIRE_EQUAL(counts.size(), 3u);
    BOOST_CHECK_EQUAL(counts[0].node, 0);
    BOOST_CHECK_EQUAL(counts[0].page_kib, 2048u);
    BOOST_CHECK_EQUAL(counts[0].reserved, 512u);
    BOOST_CHECK_EQUAL(counts[0].free, 500u);
    BOOST_CHECK_EQUAL(counts[1].node, 0);
    BOOST_CHECK_EQUAL(counts[1].page_kib, 1048576u);
    BOOST_CHECK_EQUAL(counts[2].node, 1);
    BOOST_CHECK_EQUAL(counts[2].reserved, 4u);
    BOOST_CHECK_EQUAL(counts[2].free, 3u);
}

BOOST_AUTO_TEST_CASE(accepts_default_size_pages) {
    fake_sysfs sys;
    sys.on_node(0, 2048, 512, 512);
    sys.on_node(0, 1048576, 0, 0);
    const auto outcome = dpdk::check_hugepages(sys.root(), sys.meminfo_path(), {0});
    BOOST_CHECK_MESSAGE(outcome.ok(), (outcome.ok() ? "" : outcome.message()));
}

// /proc/meminfo counts only the default size, so it says none here; sysfs has them.
BOOST_AUTO_TEST_CASE(accepts_1_gib_pages_reserved_through_sysfs) {
    fake_sysfs sys;
    sys.on_node(0, 2048, 0, 0);
    sys.on_node(0, 1048576, 4, 4);
    sys.meminfo(0, 0);
    const auto outcome = dpdk::check_hugepages(sys.root(), sys.meminfo_path(), {0});
    BOOST_CHECK_MESSAGE(outcome.ok(), (outcome.ok() ? "" : outcome.message()));
}

// EAL allocates from any node (the pools ask for SOCKET_ID_ANY unless told otherwise).
BOOST_AUTO_TEST_CASE(accepts_pages_on_a_node_the_shards_are_not_on) {
    fake_sysfs sys;
    sys.on_node(0, 2048, 0, 0);
    sys.on_node(1, 2048, 512, 512);
    const auto outcome = dpdk::check_hugepages(sys.root(), sys.meminfo_path(), {0});
    BOOST_CHECK_MESSAGE(outcome.ok(), (outcome.ok() ? "" : outcome.message()));
}

BOOST_AUTO_TEST_CASE(without_pages_names_the_shards_node_and_the_command) {
    fake_sysfs sys;
    for (int node : {0, 1}) {
        sys.on_node(node, 2048, 0, 0);
        sys.on_node(node, 1048576, 0, 0);
    }
    const auto outcome = dpdk::check_hugepages(sys.root(), sys.meminfo_path(), {1});
    BOOST_REQUIRE(!outcome.ok());
    BOOST_CHECK_EQUAL(outcome.message(), "no hugepages are reserved on any node: reserve 2 MiB pages on node 1 (echo 512 > " +
                                             sys.node_file(1, 2048) + ") or pass --no-huge after --");
}

BOOST_AUTO_TEST_CASE(without_pages_or_known_shard_nodes_names_every_node) {
    fake_sysfs sys;
    sys.on_node(0, 2048, 0, 0);
    sys.on_node(1, 2048, 0, 0);
    const auto outcome = dpdk::check_hugepages(sys.root(), sys.meminfo_path(), {});
    BOOST_CHECK(mentions(outcome, "reserve 2 MiB pages on nodes 0 and 1 (echo 512 > " + sys.node_file(0, 2048) +
                                      ", and likewise for the other node)"));
    BOOST_CHECK(mentions(outcome, "--no-huge"));
}

BOOST_AUTO_TEST_CASE(offers_1_gib_pages_where_they_are_the_only_size) {
    fake_sysfs sys;
    sys.on_node(0, 1048576, 0, 0);
    const auto outcome = dpdk::check_hugepages(sys.root(), sys.meminfo_path(), {0});
    BOOST_CHECK(mentions(outcome, "reserve 1 GiB pages on node 0 (echo 1 > " + sys.node_file(0, 1048576) + ")"));
}

BOOST_AUTO_TEST_CASE(refuses_pages_that_are_all_in_use_and_says_so) {
    fake_sysfs sys;
    sys.on_node(0, 2048, 512, 0);
    sys.on_node(0, 1048576, 2, 0);
    const auto outcome = dpdk::check_hugepages(sys.root(), sys.meminfo_path(), {0});
    BOOST_REQUIRE(!outcome.ok());
    BOOST_CHECK(mentions(outcome, "all 514 reserved hugepages are in use"));
    BOOST_CHECK(mentions(outcome, "/dev/hugepages"));
    BOOST_CHECK(mentions(outcome, "reserve more 2 MiB pages on node 0 (echo 1024 > " + sys.node_file(0, 2048) + ")"));
    BOOST_CHECK(mentions(outcome, "--no-huge"));
}

BOOST_AUTO_TEST_CASE(without_per_node_counts_reads_the_machine_wide_ones) {
    fake_sysfs sys;
    sys.machine_wide(2048, 0, 0);
    sys.machine_wide(1048576, 2, 2);
    BOOST_CHECK(dpdk::check_hugepages(sys.root(), sys.meminfo_path(), {0}).ok());

    fake_sysfs none;
    none.machine_wide(2048, 0, 0);
    const auto outcome = dpdk::check_hugepages(none.root(), none.meminfo_path(), {0});
    BOOST_CHECK_EQUAL(outcome.message(), "no hugepages are reserved: reserve 2 MiB pages (echo 512 > " + none.root() +
                                             "/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) or pass --no-huge after --");
}

BOOST_AUTO_TEST_CASE(without_sysfs_falls_back_to_meminfo) {
    fake_sysfs with_pages;
    with_pages.meminfo(512, 512);
    BOOST_CHECK(dpdk::check_hugepages(with_pages.root(), with_pages.meminfo_path(), {0}).ok());

    fake_sysfs without;
    without.meminfo(0, 0);
    const auto outcome = dpdk::check_hugepages(without.root(), without.meminfo_path(), {0});
    BOOST_CHECK_EQUAL(outcome.message(), "no hugepages are reserved: reserve 2 MiB pages (echo 512 > "
                                         "/proc/sys/vm/nr_hugepages) or pass --no-huge after --");
}

BOOST_AUTO_TEST_CASE(without_sysfs_or_meminfo_says_it_cannot_tell) {
    fake_sysfs sys;
    const auto outcome = dpdk::check_hugepages(sys.root(), sys.meminfo_path(), {0});
    BOOST_REQUIRE(!outcome.ok());
    BOOST_CHECK(mentions(outcome, "cannot tell whether hugepages are reserved"));
    BOOST_CHECK(mentions(outcome, sys.root() + "/kernel/mm/hugepages"));
    BOOST_CHECK(mentions(outcome, "--no-huge"));
}

BOOST_AUTO_TEST_SUITE_END()
