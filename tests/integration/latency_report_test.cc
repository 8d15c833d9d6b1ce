// tools/latency-report on sockperf --full-log files the test writes: the percentiles it
// recomputes from the rows (half the round trip, sockperf's rank rule), its ratio column,
// its refusal of a log whose printed percentiles disagree, and exit 2 on bad arguments.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/run_program.hh"

namespace {

using sluice::testing::command_run;
using sluice::testing::read_file;
using sluice::testing::run_command;

std::string report_tool() { return sluice::testing::source_dir() + "/tools/latency-report"; }

// 1000 answered messages whose round trips are scale * 2, 4, ..., 2000 µs: half round trips
// of scale * 1 ... 1000 µs. `printed_p50` is what the log's head says sockperf computed.
void write_log(const std::string& path, unsigned scale, double printed_p50) {
    std::ofstream log(path);
    log << "sockperf: [Total Run] RunTime=1.000 sec; Warm up time=400 msec; SentMessages=1000; ReceivedMessages=1000\n";
    log << "sockperf: ====> avg-latency=" << 500.5 * scale << " (std-dev=1.0)\n";
    char line[160];
    std::snprintf(line, sizeof line, "sockperf: ---> percentile 50.000 = %.3f\n", printed_p50);
    log << line;
    std::snprintf(line, sizeof line, "sockperf: ---> <MAX> observation = %.3f\n", 1000.0 * scale);
    log << line;
    log << "------------------------------\n";
    log << "packet, txTime(sec), rxTime(sec), latency(usec)\n";
    for (unsigned i = 0; i < 1000; ++i) {
        const unsigned long long tx_ns = 1'000'000'000ull + i * 1'000'000ull;
        const unsigned long long rx_ns = tx_ns + 2000ull * (i + 1) * scale;
        std::snprintf(line, sizeof line, "%u, %llu.%09llu, %llu.%09llu, %.3f\n", i, tx_ns / 1'000'000'000ull,
                      tx_ns % 1'000'000'000ull, rx_ns / 1'000'000'000ull, rx_ns % 1'000'000'000ull,
                      double(i + 1) * scale);
        log << line;
    }
    log << "------------------------------\n";
}

struct scratch {
    std::filesystem::path dir = "/tmp/sluice-latency-report-" + std::to_string(getpid());
    scratch() { std::filesystem::create_directories(dir); }
    ~scratch() { std::filesystem::remove_all(dir); }
    std::string path(const std::string& name) const { return (dir / name).string(); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(latency_report)

BOOST_AUTO_TEST_CASE(recomputes_half_round_trip_percentiles_and_the_ratio_to_the_baseline) {
    scratch work;
    write_log(work.path("fast.csv"), 1, 500.0);
    write_log(work.path("slow.csv"), 4, 2000.0);
    const command_run run = run_command(report_tool() + " --run fast=" + work.path("fast.csv") +
                                        " --run slow=" + work.path("slow.csv") + " --baseline slow --out " +
                                        work.path("out"));
    BOOST_TEST_CONTEXT(run.output) {
        BOOST_REQUIRE_EQUAL(run.exit_code, 0);
        const std::string json = read_file(work.path("out/report.json"));
        // rank floor(q * n + 0.5): p50 is the 500th of 1000, p99 the 990th.
        BOOST_CHECK(json.find("\"p50\": 500.0") != std::string::npos);
        BOOST_CHECK(json.find("\"p99\": 990.0") != std::string::npos);
        BOOST_CHECK(json.find("\"p50\": 2000.0") != std::string::npos);
        BOOST_CHECK(json.find("\"fast/slow\": {\n      \"p50\": 0.25") != std::string::npos);
        BOOST_CHECK(std::filesystem::is_regular_file(work.path("out/report.html")));
        BOOST_CHECK(run.output.find("| p99.9 |") != std::string::npos);  // the Markdown table, printed
    }
}

BOOST_AUTO_TEST_CASE(a_log_that_disagrees_with_sockperfs_printed_percentiles_exits_1) {
    scratch work;
    write_log(work.path("off.csv"), 1, 480.0);  // sockperf "said" 480 µs; the rows say 500
    const command_run run =
        run_command(report_tool() + " --run off=" + work.path("off.csv") + " --out " + work.path("out"));
    BOOST_CHECK_EQUAL(run.exit_code, 1);
    BOOST_CHECK_MESSAGE(run.output.find("differ from sockperf's printed ones") != std::string::npos, run.output);
}

BOOST_AUTO_TEST_CASE(bad_arguments_exit_2_with_one_line) {
    scratch work;
    const command_run none = run_command(report_tool() + " --out " + work.path("out"));
    BOOST_CHECK_EQUAL(none.exit_code, 2);
    BOOST_CHECK_MESSAGE(none.output.find("nothing to report") != std::string::npos, none.output);
    const command_run ratio = run_command(report_tool() + " --run a=" + work.path("a.csv") + " --ratio a/b --out " +
                                          work.path("out"));
    BOOST_CHECK_EQUAL(ratio.exit_code, 2);
    BOOST_CHECK_MESSAGE(ratio.output.find("--ratio a/b") != std::string::npos, ratio.output);
}

BOOST_AUTO_TEST_CASE(adds_sluice_load_runs_in_a_table_of_their_own_with_their_verdicts) {
    scratch work;
    const auto write_summary = [&](const std::string& folder, bool valid) {
        std::filesystem::create_directories(work.path(folder));
        std::ofstream(work.path(folder + "/summary.json"))
            << "{\"tool\": \"sluice-load\", \"format\": 1, \"workload\": \"sockperf-udp\", \"mode\": \"open\", "
               "\"arrivals\": \"poisson\", \"offered_rate\": 20000, \"achieved_rate\": 19990, "
               "\"latency_us\": {\"p50\": 12.5, \"p90\": 20, \"p99\": 31.25, \"p99.9\": 40, \"p99.99\": 50, \"max\": 60}, "
               "\"schedule_lag_us\": {\"p99.9\": 1.5}, \"checks\": {\"arrivals\": {\"passed\": true}}, "
               "\"valid\": " << (valid ? "true, \"invalid_reason\": null}" : "false, \"invalid_reason\": \"generator-bound: lag\"}");
    };
    write_summary("good", true);
    write_summary("late", false);
    const command_run run = run_command(report_tool() + " --load good=" + work.path("good") + " --load late=" +
                                        work.path("late") + " --out " + work.path("out"));
    BOOST_TEST(run.exit_code == 0, run.output);
    const std::string md = read_file(work.path("out/report.md"));
    BOOST_TEST(md.find("| good | open, poisson | 20,000 | 19,990 | 12.50 | 20.00 | 31.25 |") != std::string::npos, md);
    BOOST_TEST(md.find("| 1.50 | arrivals pass | valid |") != std::string::npos, md);
    BOOST_TEST(md.find("| INVALID: generator-bound |") != std::string::npos, md);
    BOOST_TEST(md.find("- late: INVALID: generator-bound: lag") != std::string::npos, md);
    BOOST_TEST(read_file(work.path("out/report.html")).find("<h2>sluice-load runs</h2>") != std::string::npos);

    const command_run missing = run_command(report_tool() + " --load gone=" + work.path("nowhere") + " --out " +
                                            work.path("out2"));
    BOOST_TEST(missing.exit_code == 1);
    BOOST_TEST(missing.output.find("--load gone=") != std::string::npos, missing.output);
}

BOOST_AUTO_TEST_SUITE_END()
