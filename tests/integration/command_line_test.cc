// A Sluice program given a bad command line ends with exactly one line on stderr that
// names the problem and the fix, and a non-zero exit; a good one runs every shard.
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/core/topology.hh"
#include "tests/integration/run_program.hh"

namespace {

using sluice::testing::program_run;
using sluice::testing::read_file;

// Runs sluice-hello with `args` (already shell-quoted), bounded to 30 s.
program_run run_hello(const std::string& args, const std::string& prefix = "") {
    return sluice::testing::run_program("sluice-hello", args, prefix, 30);
}

void expect_one_line_error(const std::string& args, const std::string& must_mention,
                           const std::string& prefix = "") {
    BOOST_TEST_CONTEXT(prefix << "sluice-hello " << args) {
        const program_run r = run_hello(args, prefix);
        BOOST_CHECK_NE(r.exit_code, 0);
        BOOST_CHECK_LT(r.exit_code, 128);  // an exit, not a crash
        BOOST_CHECK_EQUAL(r.out, "");
        BOOST_REQUIRE(!r.err.empty());
        BOOST_CHECK_EQUAL(r.err.back(), '\n');
        BOOST_CHECK_EQUAL(r.err.find('\n'), r.err.size() - 1);  // exactly one line
        BOOST_CHECK_EQUAL(r.err.rfind("sluice-hello: ", 0), 0u);
        BOOST_CHECK_MESSAGE(r.err.find(must_mention) != std::string::npos,
                            "stderr '" << r.err << "' should mention '" << must_mention << "'");
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(unknown_option_is_one_line_naming_help) { expect_one_line_error("--frobnicate", "--help"); }

BOOST_AUTO_TEST_CASE(malformed_core_list_is_one_line_naming_the_form) {
    expect_one_line_error("--cores 0-", "0-3");
    expect_one_line_error("--cores 3-1", "3-1");
    expect_one_line_error("--cores a,b", "a");
    expect_one_line_error("--cores", "--cores");
}

BOOST_AUTO_TEST_CASE(zero_shards_is_one_line) { expect_one_line_error("--shards 0", "shard"); }

BOOST_AUTO_TEST_CASE(core_outside_the_allowed_set_names_the_allowed_set) {
    auto topo = sluice::topology::discover();
    BOOST_REQUIRE(topo.ok());
    const std::string allowed = sluice::format_cpu_list(topo->allowed_cpus());
    expect_one_line_error("--cores 4000", "allowed set " + allowed);
    // taskset narrows the allowed set; the message follows it.
    if (topo->allowed_cpus().size() > 1) {
        const std::string first = std::to_string(topo->allowed_cpus()[0]);
        const std::string second = std::to_string(topo->allowed_cpus()[1]);
        expect_one_line_error("--cores " + second, "choose cores from " + first, "taskset -c " + first + " ");
    }
}

BOOST_AUTO_TEST_CASE(unknown_idle_policy_names_the_choices) { expect_one_line_error("--idle fast", "spin"); }

BOOST_AUTO_TEST_CASE(good_command_line_runs_every_shard) {
    auto topo = sluice::topology::discover();
    BOOST_REQUIRE(topo.ok());
    const unsigned shards = unsigned(std::min<std::size_t>(2, topo->allowed_cpus().size()));
    const program_run r = run_hello("--shards " + std::to_string(shards));
    BOOST_CHECK_EQUAL(r.exit_code, 0);
    for (unsigned s = 0; s < shards; ++s) {
        const std::string line = "shard " + std::to_string(s) + " runs on cpu " + std::to_string(topo->allowed_cpus()[s]);
        BOOST_CHECK_MESSAGE(r.out.find(line) != std::string::npos, "missing '" << line << "' in: " << r.out);
    }
}

BOOST_AUTO_TEST_CASE(help_prints_usage_and_exits_zero) {
    const program_run r = run_hello("--help");
    BOOST_CHECK_EQUAL(r.exit_code, 0);
    BOOST_CHECK_NE(r.out.find("--cores"), std::string::npos);
    BOOST_CHECK_NE(r.out.find("--idle"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stopping)

BOOST_AUTO_TEST_CASE(sigterm_stops_every_shard_and_exits_zero) {
    const char* apps = std::getenv("SLUICE_APPS_DIR");
    BOOST_REQUIRE(apps);
    const std::string base = "/tmp/sluice-signal-test-" + std::to_string(getpid());
    // Start it in the background, wait for its answers, then SIGTERM that PID only.
    const std::string script =
        "set -u; timeout 30 " + std::string(apps) + "/sluice-hello --shards 1 --until-signal >" + base +
        ".out 2>" + base + ".err & pid=$!; "
        "for i in $(seq 1 200); do grep -q 'runs on cpu' " + base + ".out 2>/dev/null && break; sleep 0.05; done; "
        "kill -TERM $pid; wait $pid";
    const int status = std::system(script.c_str());  // /bin/sh; the script is POSIX
    const std::string out = read_file(base + ".out");
    std::remove((base + ".out").c_str());
    std::remove((base + ".err").c_str());
    BOOST_CHECK_NE(out.find("shard 0 runs on cpu"), std::string::npos);
    BOOST_REQUIRE(WIFEXITED(status));
    BOOST_CHECK_EQUAL(WEXITSTATUS(status), 0);  // stopped by the signal, not killed (143) or timed out (124)
}

BOOST_AUTO_TEST_CASE(forced_monotonic_clock_is_reported) {
    const char* apps = std::getenv("SLUICE_APPS_DIR");
    BOOST_REQUIRE(apps);
    const std::string base = "/tmp/sluice-clock-test-" + std::to_string(getpid());
    const int status = std::system(("SLUICE_CLOCK=monotonic timeout 30 " + std::string(apps) +
                                    "/sluice-hello --shards 1 >/dev/null 2>" + base + ".err")
                                       .c_str());
    const std::string err = read_file(base + ".err");
    std::remove((base + ".err").c_str());
    BOOST_CHECK_EQUAL(WEXITSTATUS(status), 0);
    BOOST_CHECK_NE(err.find("clock: CLOCK_MONOTONIC (forced by SLUICE_CLOCK=monotonic)"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
