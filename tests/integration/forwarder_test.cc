// sluice-fwd run as a user runs it, on vdevs: set-up mistakes end with one line and a
// non-zero exit and leave nothing in DPDK's runtime folder; a run on two loopback
// net_ring ports forwards the frames it injects, and its counters add up.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "tests/integration/run_program.hh"

namespace {

using fwd_run = sluice::testing::program_run;
using sluice::testing::problem_lines;
using sluice::testing::read_file;

// Each run gets its own EAL file prefix, so the check sees only the folder that run made.
std::string run_prefix() {
    static int serial = 0;
    return "sluice-fwdtest-" + std::to_string(getpid()) + "-" + std::to_string(++serial);
}

bool runtime_folder_left_behind(const std::string& prefix) {
    struct stat info;
    return stat(("/var/run/dpdk/" + prefix).c_str(), &info) == 0;
}

// Appends the run's --file-prefix to the EAL arguments (after "--"; adds "--" if absent).
std::string with_prefix(const std::string& args, const std::string& prefix) {
    return args + (args.find(" -- ") == std::string::npos ? " --" : "") + " --file-prefix=" + prefix;
}

fwd_run run_fwd(const std::string& args) { return sluice::testing::run_program("sluice-fwd", args); }

void expect_one_line_failure(const std::string& args, const std::string& must_mention) {
    const std::string prefix = run_prefix();
    BOOST_TEST_CONTEXT("sluice-fwd " << args) {
        const fwd_run run = run_fwd(with_prefix(args, prefix));
        BOOST_CHECK_NE(run.exit_code, 0);
        BOOST_CHECK_LT(run.exit_code, 128);
        const std::string problem = problem_lines(run.err);
        BOOST_REQUIRE(!problem.empty());
        BOOST_CHECK_EQUAL(problem.find('\n'), problem.size() - 1);  // exactly one line
        BOOST_CHECK_EQUAL(problem.rfind("sluice-fwd: ", 0), 0u);
        BOOST_CHECK_MESSAGE(problem.find(must_mention) != std::string::npos,
                            "'" << problem << "' should mention '" << must_mention << "'");
        BOOST_CHECK(!runtime_folder_left_behind(prefix));
    }
}

const std::string vdevs = " -- --no-huge --no-pci --vdev=net_ring0 --vdev=net_ring1";

}  // namespace

BOOST_AUTO_TEST_SUITE(forwarder)

BOOST_AUTO_TEST_CASE(odd_port_count_is_one_line) { expect_one_line_failure("--ports net_ring0" + vdevs, "even number"); }

BOOST_AUTO_TEST_CASE(missing_port_names_the_ports_found) {
    expect_one_line_failure("--shards 1 --ports net_ring0,net_ring7" + vdevs, "net_ring1");
}

BOOST_AUTO_TEST_CASE(nonexistent_vdev_is_one_line_naming_the_vdev_option) {
    expect_one_line_failure("--shards 1 --ports net_ring0,net_ring1 -- --no-huge --no-pci --vdev=net_nosuch0", "--vdev");
}

BOOST_AUTO_TEST_CASE(malformed_eal_argument_is_one_line) {
    expect_one_line_failure("--shards 1 --ports net_ring0,net_ring1 -- --no-huge --bogus", "--bogus");
}

BOOST_AUTO_TEST_CASE(unallocatable_mempool_is_one_line_naming_the_fix) {
    expect_one_line_failure("--shards 1 --ports net_ring0,net_ring1 --mbufs 4000000" + vdevs + " -m 64", "--mbufs");
}

BOOST_AUTO_TEST_CASE(forwards_injected_frames_between_loopback_rings_and_counts_them) {
    const std::string prefix = run_prefix();
    const fwd_run run = run_fwd(
        with_prefix("--shards 1 --ports net_ring0,net_ring1 --tx-first 1 --duration 2 --stats-period 1" + vdevs, prefix));
    BOOST_REQUIRE_EQUAL(run.exit_code, 0);
    std::smatch total;
    BOOST_REQUIRE_MESSAGE(std::regex_search(run.out, total, std::regex("total: forwarded ([0-9]+) frames")), run.out);
    BOOST_CHECK_GT(std::stoull(total[1]), 64u);  // the 64 injected frames went round more than once
    // --stats-period 1 over 2 s: a rate line per second, each with traffic.
    const std::regex rate("forwarding at ([0-9.]+) Mpps");
    int rates = 0;
    for (auto it = std::sregex_iterator(run.out.begin(), run.out.end(), rate); it != std::sregex_iterator(); ++it) {
        ++rates;
        BOOST_CHECK_GT(std::stod((*it)[1]), 0.0);
    }
    BOOST_CHECK_EQUAL(rates, 2);
    // Per direction: every frame received was either sent or counted as dropped.
    const std::regex direction("received ([0-9]+), sent ([0-9]+), dropped ([0-9]+)");
    int directions = 0;
    for (auto it = std::sregex_iterator(run.out.begin(), run.out.end(), direction); it != std::sregex_iterator(); ++it) {
        ++directions;
        BOOST_CHECK_EQUAL(std::stoull((*it)[1]), std::stoull((*it)[2]) + std::stoull((*it)[3]));
    }
    BOOST_CHECK_EQUAL(directions, 2);
    BOOST_CHECK(!runtime_folder_left_behind(prefix));
    // Frames still circling in the loopback rings at stop go back to their pools.
    BOOST_CHECK_MESSAGE(run.err.find("still in use") == std::string::npos, run.err);
}

BOOST_AUTO_TEST_CASE(repeated_stop_signals_still_end_in_a_clean_exit) {
    // timeout(1) and Ctrl-C signal a whole process group: a second signal must not kill
    // the forwarder half-way through DPDK's clean-up.
    const char* apps = std::getenv("SLUICE_APPS_DIR");
    BOOST_REQUIRE(apps);
    const std::string prefix = run_prefix();
    const std::string base = "/tmp/sluice-fwd-signal-" + std::to_string(getpid());
    const std::string script =
        "timeout 60 " + std::string(apps) + "/sluice-fwd --shards 1 --ports net_ring0,net_ring1 --tx-first 1 " +
        with_prefix(vdevs, prefix) + " >" + base + ".out 2>" + base + ".err & pid=$!; "
        "for i in $(seq 1 200); do grep -q 'shard 0 on cpu' " + base + ".err 2>/dev/null && break; sleep 0.05; done; "
        "sleep 0.2; kill -TERM $pid; kill -TERM $pid; kill -INT $pid; wait $pid";
    const int status = std::system(script.c_str());
    const std::string out = read_file(base + ".out");
    std::remove((base + ".out").c_str());
    std::remove((base + ".err").c_str());
    BOOST_REQUIRE(WIFEXITED(status));
    BOOST_CHECK_EQUAL(WEXITSTATUS(status), 0);
    BOOST_CHECK_NE(out.find("total: forwarded"), std::string::npos);
    BOOST_CHECK(!runtime_folder_left_behind(prefix));
}

BOOST_AUTO_TEST_SUITE_END()
