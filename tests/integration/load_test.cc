// sluice-load against sluice-echo over net_memif (tools/rig/load-memif): open loop over UDP
// and TCP answers every request; closed loop too; the stall test — a server that freezes
// 100 ms once a second — measured in full by the open loop (its percentiles match what
// the stall implies, computed here) and hidden by the closed loop; and the one-line
// errors of a bad command line or an unreachable server. The runs raise --max-lag-us:
// these cases check what the generator counts, not how quiet the test machine is.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <string>
#include <tuple>

#include "tests/integration/load_summary.hh"
#include "tests/integration/run_program.hh"

namespace {

using sluice::testing::command_run;
using sluice::testing::problem_lines;
using sluice::testing::program_run;
using sluice::testing::read_file;
using sluice::testing::run_command;
using sluice::testing::run_program;

struct scratch {
    std::filesystem::path dir = "/tmp/sluice-load-test-" + std::to_string(getpid());
    scratch() { std::filesystem::create_directories(dir); }
    ~scratch() { std::filesystem::remove_all(dir); }
    std::string path(const std::string& name) const { return (dir / name).string(); }
};

command_run load_against_echo(const std::string& load_options, const std::string& echo_options = "") {
    const command_run run = run_command("SLUICE_APPS_DIR=" + sluice::testing::apps_dir() + " " +
                                        sluice::testing::source_dir() + "/tools/rig/load-memif --limit 60 --echo '" +
                                        echo_options + "' -- --server 198.18.0.1:11111 --max-lag-us 20000 " +
                                        load_options);
    BOOST_TEST_MESSAGE(run.output);
    return run;
}

double figure(const std::string& json, const std::string& key, const std::string& after = "") {
    return sluice::testing::summary_figure(json, key, after);
}
bool says_valid(const std::string& json) { return sluice::testing::summary_says_valid(json); }

}  // namespace

BOOST_AUTO_TEST_SUITE(sluice_load)

BOOST_AUTO_TEST_CASE(open_loop_over_udp_answers_every_scheduled_request) {
    scratch work;
    const command_run run = load_against_echo("--workload sockperf-udp --rate 20000 --duration 3 --out " + work.path("udp"));
    BOOST_TEST(run.exit_code == 0);
    const std::string json = read_file(work.path("udp/summary.json"));
    BOOST_TEST(says_valid(json));
    BOOST_TEST(figure(json, "errors") == 0);
    BOOST_TEST(figure(json, "completed") == 60000, boost::test_tools::tolerance(0.05));
    BOOST_TEST(figure(json, "completed") == figure(json, "sent"));
    // The interval log HdrHistogram's tools read: a header and one line a second.
    const std::string log = read_file(work.path("udp/latency.hlog"));
    BOOST_TEST(log.find("#[Histogram log format version 1.3]") != std::string::npos);
    BOOST_TEST(std::count(log.begin(), log.end(), '\n') >= 6);
}

BOOST_AUTO_TEST_CASE(open_loop_over_tcp_with_two_connections_answers_every_request) {
    scratch work;
    const command_run run = load_against_echo("--workload sockperf-tcp --connections 2 --rate 20000 --duration 3 --out " +
                                              work.path("tcp"));
    BOOST_TEST(run.exit_code == 0);
    const std::string json = read_file(work.path("tcp/summary.json"));
    BOOST_TEST(says_valid(json));
    BOOST_TEST(figure(json, "errors") == 0);
    BOOST_TEST(figure(json, "completed") == 60000, boost::test_tools::tolerance(0.05));
}

BOOST_AUTO_TEST_CASE(closed_loop_keeps_one_request_in_flight_and_loses_none) {
    scratch work;
    const command_run run = load_against_echo("--workload echo-udp --closed-loop --duration 2 --out " + work.path("closed"));
    BOOST_TEST(run.exit_code == 0);
    const std::string json = read_file(work.path("closed/summary.json"));
    BOOST_TEST(json.find("\"mode\": \"closed\"") != std::string::npos);
    BOOST_TEST(figure(json, "errors") == 0);
    BOOST_TEST(figure(json, "completed") > 1000);
}

// 100 ms frozen once a second: a tenth of the intended send times fall in a stall, and a
// request intended u ms into it waits 100 - u ms; so for q above 0.9 the q-th latency is
// about 100 * (1 - (1 - q) / 0.1) ms: p95 50 ms, p99 90 ms, p99.9 99 ms. One request in
// flight (closed loop) sees each stall once among tens of thousands of quick answers.
BOOST_AUTO_TEST_CASE(the_stall_test_open_loop_measures_the_stall_and_closed_loop_hides_it) {
    scratch work;
    const command_run open = load_against_echo(
        "--workload sockperf-udp --rate 2000 --arrivals constant --duration 5 --out " + work.path("open"), "--stall 100/1000");
    BOOST_TEST(open.exit_code == 0);
    const std::string open_json = read_file(work.path("open/summary.json"));
    const auto implied_ms = [](double q) { return 100.0 * (1 - (1 - q) / 0.1); };
    const double p95 = figure(open_json, "p95", "latency_us") / 1000;
    const double p99 = figure(open_json, "p99", "latency_us") / 1000;
    const double p999 = figure(open_json, "p99.9", "latency_us") / 1000;
    BOOST_TEST_MESSAGE("open loop p95 " << p95 << " p99 " << p99 << " p99.9 " << p999 << " ms");
    // Above, the margin is wider: a busy test machine delays answers after a stall too.
    BOOST_TEST(p95 > implied_ms(0.95) - 10);
    BOOST_TEST(p95 < implied_ms(0.95) + 15);
    BOOST_TEST(p99 > implied_ms(0.99) - 8);
    BOOST_TEST(p99 < implied_ms(0.99) + 15);
    BOOST_TEST(p999 > implied_ms(0.999) - 5);
    BOOST_TEST(p999 < implied_ms(0.999) + 15);

    const command_run closed = load_against_echo(
        "--workload sockperf-udp --closed-loop --duration 5 --out " + work.path("closed"), "--stall 100/1000");
    BOOST_TEST(closed.exit_code == 0);
    const std::string closed_json = read_file(work.path("closed/summary.json"));
    const double closed_p99 = figure(closed_json, "p99", "latency_us") / 1000;
    const double closed_max = figure(closed_json, "max", "latency_us") / 1000;
    BOOST_TEST_MESSAGE("closed loop p99 " << closed_p99 << " ms, max " << closed_max << " ms");
    BOOST_TEST(closed_p99 < implied_ms(0.99) / 10);  // under-reported more than tenfold
    BOOST_TEST(closed_max > 80);                    // the stall happened: one sample saw it
}

// Two sluice-load shards, each with its own memif queue (sluice-echo has two shards too, so
// two queues): the connections spread over both and every request is answered. Both
// programs share the two cpus here, so they idle adaptively and the lag limit is wide.
BOOST_AUTO_TEST_CASE(two_load_shards_spread_the_connections_and_every_request_is_answered) {
    scratch work;
    const command_run run = load_against_echo("--cores 0,1 --idle adaptive --workload echo-tcp --connections 4 --rate 5000 "
                                              "--duration 2 --max-lag-us 200000 --out " + work.path("shards"),
                                              "--cores 0,1 --idle adaptive");
    BOOST_TEST(run.exit_code == 0);
    BOOST_TEST(run.output.find("4 connection(s) to 198.18.0.1:11111 ready on 2 shard(s)") != std::string::npos);
    const std::string json = read_file(work.path("shards/summary.json"));
    BOOST_TEST(figure(json, "errors") == 0);
    BOOST_TEST(figure(json, "sent") > 5000);
    BOOST_TEST(figure(json, "completed") == figure(json, "sent"));
}

// One queue on the server's end, two on the load's: memif never connects, and sluice-load
// says so in one line instead of reporting a run of zeros.
BOOST_AUTO_TEST_CASE(a_link_that_stays_down_ends_in_one_line_naming_the_fix) {
    const command_run run = load_against_echo("--cores 0,1 --idle adaptive --workload echo-udp --connections 2 --duration 1",
                                              "--idle adaptive");
    BOOST_TEST(run.exit_code == 1);
    BOOST_TEST(run.output.find("sluice-load: port net_memif0: link still down after 5 s; check its peer") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_tcp_server_that_is_not_there_ends_in_one_line_naming_it) {
    const command_run run = load_against_echo("--workload sockperf-tcp --duration 1", "--udp-port 11112");
    BOOST_TEST(run.exit_code == 1);
    BOOST_TEST(run.output.find("sluice-load: connect to 198.18.0.1:11111: ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_udp_server_that_never_answers_is_invalid_not_a_latency) {
    scratch work;
    const command_run run = load_against_echo("--workload sockperf-udp --rate 1000 --duration 1 --timeout-ms 200 --out " +
                                                  work.path("silent"),
                                              "--udp-port 11112");
    BOOST_TEST(run.exit_code == 1);
    BOOST_TEST(run.output.find("INVALID: no answers") != std::string::npos);
    const std::string json = read_file(work.path("silent/summary.json"));
    BOOST_TEST(!says_valid(json));
    BOOST_TEST(figure(json, "timeouts") > 500);
}

BOOST_AUTO_TEST_CASE(bad_command_lines_end_with_one_line_naming_the_fix) {
    struct bad {
        const char* args;
        const char* names;
    };
    for (const bad& line : {bad{"--rate fast", "--rate fast"}, bad{"--workload memcached", "--workload memcached"},
                            bad{"--arrivals bursty", "--arrivals bursty"}, bad{"--server 198.18.0.1", "--server"},
                            bad{"--duration 0", "--duration"}}) {
        const program_run run = run_program("sluice-load", std::string("--server 198.18.0.1:11111 ") + line.args);
        BOOST_TEST(run.exit_code == 2, line.args);
        const std::string said = problem_lines(run.err);
        BOOST_TEST(std::count(said.begin(), said.end(), '\n') == 1, line.args << ": " << said);
        BOOST_TEST(said.find(line.names) != std::string::npos, line.args << ": " << said);
    }
    const program_run no_server = run_program("sluice-load", "--port net_memif0 --address 198.18.0.2/24 -- --no-huge");
    BOOST_TEST(no_server.exit_code == 1);
    BOOST_TEST(problem_lines(no_server.err).find("--server") != std::string::npos);
}

// sluice-echo --faults delays each frame 1 ms plus a uniform draw from [0, 1 ms], on the
// way in and on the way out: a round trip gains 2 ms plus the sum of two such draws, a
// triangular distribution on [0, 2 ms]. Its quantile is sqrt(2q) ms up to the median and
// 2 - sqrt(2(1 - q)) ms above. On a quiet machine the measured p50/p90/p99 were within
// 1 % (3.009, 3.578, 3.893 ms against 3.000, 3.553, 3.859); the test allows 6 % (15 % at
// p99; the histogram's own precision is 0.1 %). The host may take a core for a
// millisecond or two now and then (one run under meson test read 4.63 ms at p99), so a
// run that misses is run again, up to three runs: a stack or generator that is wrong
// misses in every run.
BOOST_AUTO_TEST_CASE(the_sim_wires_delay_and_jitter_come_back_as_their_distribution) {
    const auto expected_ms = [](double q) {
        const double triangular = q <= 0.5 ? std::sqrt(2 * q) : 2 - std::sqrt(2 * (1 - q));
        return 2 + triangular;
    };
    const std::tuple<const char*, double, double> quantiles[] = {
        {"p50", 0.5, 0.06}, {"p90", 0.9, 0.06}, {"p99", 0.99, 0.15}};
    bool fits = false;
    std::string misses;
    for (int attempt = 1; attempt <= 3 && !fits; ++attempt) {
        scratch work;
        const command_run run = load_against_echo(
            "--workload sockperf-udp --rate 2000 --arrivals constant --duration 5 --out " + work.path("delay"),
            "--faults delay-us=1000,jitter-us=1000,seed=7");
        BOOST_TEST(run.exit_code == 0);
        const std::string json = read_file(work.path("delay/summary.json"));
        BOOST_TEST(figure(json, "errors") == 0);
        fits = true;
        for (const auto& [key, q, margin] : quantiles) {
            const double measured = figure(json, key, "latency_us") / 1000;
            const double configured = expected_ms(q);
            BOOST_TEST_MESSAGE("run " << attempt << ", " << key << ": measured " << measured << " ms, configured "
                                      << configured << " ms");
            if (std::abs(measured - configured) > margin * configured) {
                fits = false;
                misses += "run " + std::to_string(attempt) + " " + key + " " + std::to_string(measured) + " ms; ";
            }
        }
    }
    BOOST_TEST(fits, "no run of three matched the configured distribution: " << misses);
}

BOOST_AUTO_TEST_SUITE_END()
