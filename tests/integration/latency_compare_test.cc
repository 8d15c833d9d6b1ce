// `tools/latency-report compare` on synthetic sluice-load result folders that the test
// writes: runs of one build drawn with a seeded lognormal run-to-run spread, with and
// without a known shift. Checks its verdicts (no change against itself in 19 of 20
// comparisons, a 10 % p99 slowdown regressed, a 10 % speed-up improved), that invalid runs
// are left out and named, and its one-line refusals. A machine without scipy skips it.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "tests/integration/run_program.hh"

namespace {

using sluice::testing::command_run;
using sluice::testing::read_file;
using sluice::testing::run_command;

std::string compare_tool() { return sluice::testing::source_dir() + "/tools/latency-report compare"; }

struct percentile {
    const char* key;
    double us;
};
// One build's typical latency under load; every run scatters around it.
constexpr std::array<percentile, 9> typical{{{"min", 5.1}, {"mean", 8.0}, {"p50", 7.9}, {"p90", 9.0},
                                             {"p99", 12.0}, {"p99.9", 20.0}, {"p99.99", 40.0},
                                             {"p99.999", 60.0}, {"max", 80.0}}};

struct shift {
    double p99 = 1.0;  // factor on p99 alone
    double all = 1.0;  // factor on every percentile
};

void write_summary(const std::filesystem::path& folder, std::mt19937& random, double spread, shift by,
                   const char* invalid_reason = nullptr) {
    std::filesystem::create_directories(folder);
    std::lognormal_distribution<double> noise(0.0, spread);
    std::ofstream out(folder / "summary.json");
    out << R"({"tool": "sluice-load", "format": 1, "workload": "echo-udp", "mode": "open", )"
        << R"("offered_rate": 100000.0, "achieved_rate": 99990.0, "duration_s": 10.0, )"
        << R"("requests": {"sent": 1000000, "completed": 999990, "errors": 0, "timeouts": 0, "unanswered": 10}, )"
        << R"("latency_us": {)";
    const char* comma = "";
    for (const percentile& p : typical) {
        const double factor = by.all * (std::string(p.key) == "p99" ? by.p99 : 1.0);
        out << comma << '"' << p.key << "\": " << p.us * factor * noise(random);
        comma = ", ";
    }
    out << "}, ";
    if (invalid_reason)
        out << R"("valid": false, "invalid_reason": ")" << invalid_reason << "\"}\n";
    else
        out << R"("valid": true, "invalid_reason": null})" << "\n";
}

// `rounds` runs of one build: folder/round-01, round-02, ...
void write_build(const std::filesystem::path& folder, int rounds, std::mt19937& random, double spread,
                 shift by = {}) {
    for (int round = 1; round <= rounds; ++round) {
        const std::string name = (round < 10 ? "round-0" : "round-") + std::to_string(round);
        write_summary(folder / name, random, spread, by);
    }
}

struct scratch {
    std::filesystem::path dir = "/tmp/sluice-latency-compare-" + std::to_string(getpid());
    scratch() { std::filesystem::create_directories(dir); }
    ~scratch() { std::filesystem::remove_all(dir); }
    std::string path(const std::string& name) const { return (dir / name).string(); }
};

command_run compare(const scratch& work, const std::string& builds) {
    return run_command(compare_tool() + " " + builds + " --out " + work.path("out"));
}

// The Markdown table's row for one percentile, as printed.
std::string row(const std::string& output, const std::string& key) {
    const std::size_t at = output.find("\n| " + key + " |");
    return at == std::string::npos ? "" : output.substr(at + 1, output.find('\n', at + 1) - at - 1);
}

bool single_line(const std::string& text) { return !text.empty() && text.find('\n') == text.size() - 1; }

boost::test_tools::assertion_result scipy_is_installed(boost::unit_test::test_unit_id) {
    const command_run check = run_command(compare_tool());
    if (check.output.find("needs scipy") == std::string::npos) return true;
    boost::test_tools::assertion_result skip(false);
    skip.message() << check.output;
    return skip;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(latency_compare, *boost::unit_test::precondition(scipy_is_installed))

BOOST_AUTO_TEST_CASE(calls_no_change_on_19_of_20_a_versus_a_comparisons) {
    scratch work;
    std::mt19937 random(20240611);
    int no_change = 0;
    for (int comparison = 0; comparison < 20; ++comparison) {
        std::filesystem::remove_all(work.dir);
        write_build(work.dir / "a", 10, random, 0.05);
        write_build(work.dir / "b", 10, random, 0.05);
        const command_run run = compare(work, "A=" + work.path("a") + " B=" + work.path("b"));
        BOOST_TEST_CONTEXT(run.output) {
            BOOST_REQUIRE_EQUAL(run.exit_code, 0);
            if (run.output.find("B against A: no change at any percentile") != std::string::npos) ++no_change;
        }
    }
    BOOST_TEST_MESSAGE("no change in " << no_change << " of 20 comparisons of a build with itself");
    BOOST_CHECK_GE(no_change, 19);
}

BOOST_AUTO_TEST_CASE(calls_a_10_percent_p99_slowdown_regressed) {
    scratch work;
    std::mt19937 random(7);
    write_build(work.dir / "a", 10, random, 0.03);
    write_build(work.dir / "b", 10, random, 0.03, {.p99 = 1.10});
    const command_run run = compare(work, "A=" + work.path("a") + " B=" + work.path("b"));
    BOOST_TEST_CONTEXT(run.output) {
        BOOST_REQUIRE_EQUAL(run.exit_code, 0);
        BOOST_CHECK(run.output.find("B against A: regressed at p99**\n") != std::string::npos);
        BOOST_CHECK(row(run.output, "p99").find("| regressed (+") != std::string::npos);
        BOOST_CHECK(row(run.output, "p50").find("| no change (within ±") != std::string::npos);
        const std::string json = read_file(work.path("out/compare.json"));
        BOOST_CHECK(json.find("\"overall\": \"regressed\"") != std::string::npos);
        BOOST_CHECK(read_file(work.path("out/compare.html")).find("<svg") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(calls_a_10_percent_speed_up_improved) {
    scratch work;
    std::mt19937 random(11);
    write_build(work.dir / "a", 10, random, 0.03);
    write_build(work.dir / "b", 10, random, 0.03, {.all = 1 / 1.10});
    const command_run run = compare(work, "A=" + work.path("a") + " B=" + work.path("b"));
    BOOST_TEST_CONTEXT(run.output) {
        BOOST_REQUIRE_EQUAL(run.exit_code, 0);
        BOOST_CHECK(run.output.find("B against A: improved at p50, p90, p99, p99.9, p99.99, max") !=
                    std::string::npos);
        BOOST_CHECK(row(run.output, "p99").find("| improved (-") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(takes_the_baseline_from_the_option_and_runs_from_every_folder_named) {
    scratch work;
    std::mt19937 random(3);
    write_build(work.dir / "a", 7, random, 0.03, {.all = 1.10});
    write_build(work.dir / "b1", 4, random, 0.03);
    write_build(work.dir / "b2", 3, random, 0.03);
    const command_run run = compare(work, "A=" + work.path("a") + " B=" + work.path("b1") + " B=" +
                                              work.path("b2") + " --baseline B");
    BOOST_TEST_CONTEXT(run.output) {
        BOOST_REQUIRE_EQUAL(run.exit_code, 0);
        BOOST_CHECK(run.output.find("B: 7 valid runs of 7") != std::string::npos);
        BOOST_CHECK(run.output.find("A against B: regressed at p50") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(leaves_out_invalid_runs_and_names_them) {
    scratch work;
    std::mt19937 random(5);
    write_build(work.dir / "a", 8, random, 0.03);
    write_build(work.dir / "b", 8, random, 0.03);
    // Far slower, but sluice-load could not keep the rate: it must not count.
    write_summary(work.dir / "b" / "round-09", random, 0.03, {.all = 50.0}, "achieved 61 % of the offered rate");
    const command_run run = compare(work, "A=" + work.path("a") + " B=" + work.path("b"));
    BOOST_TEST_CONTEXT(run.output) {
        BOOST_REQUIRE_EQUAL(run.exit_code, 0);
        BOOST_CHECK(run.output.find("B: 8 valid runs of 9") != std::string::npos);
        BOOST_CHECK(run.output.find("B: left out " + work.path("b/round-09") +
                                    ": achieved 61 % of the offered rate") != std::string::npos);
        BOOST_CHECK(run.output.find("B against A: no change at any percentile") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(refuses_a_missing_folder_with_one_line_naming_it) {
    scratch work;
    std::mt19937 random(1);
    write_build(work.dir / "a", 5, random, 0.03);
    const command_run run = compare(work, "A=" + work.path("a") + " B=" + work.path("nowhere"));
    BOOST_CHECK_EQUAL(run.exit_code, 1);
    BOOST_CHECK_MESSAGE(single_line(run.output), run.output);
    BOOST_CHECK_MESSAGE(run.output.find("no such folder: " + work.path("nowhere")) != std::string::npos, run.output);
}

BOOST_AUTO_TEST_CASE(refuses_a_malformed_summary_with_one_line_naming_it) {
    scratch work;
    std::mt19937 random(1);
    write_build(work.dir / "a", 5, random, 0.03);
    write_build(work.dir / "b", 5, random, 0.03);
    std::ofstream(work.dir / "b" / "round-03" / "summary.json") << "{\"tool\": \"sluice-load\", \"for";
    const command_run run = compare(work, "A=" + work.path("a") + " B=" + work.path("b"));
    BOOST_CHECK_EQUAL(run.exit_code, 1);
    BOOST_CHECK_MESSAGE(single_line(run.output), run.output);
    BOOST_CHECK_MESSAGE(run.output.find(work.path("b/round-03/summary.json") + " is not JSON") != std::string::npos,
                        run.output);
}

BOOST_AUTO_TEST_CASE(says_too_few_runs_when_a_side_has_one) {
    scratch work;
    std::mt19937 random(2);
    write_build(work.dir / "a", 5, random, 0.03);
    write_build(work.dir / "b", 1, random, 0.03);
    const command_run run = compare(work, "A=" + work.path("a") + " B=" + work.path("b"));
    BOOST_CHECK_EQUAL(run.exit_code, 1);
    BOOST_CHECK_MESSAGE(single_line(run.output), run.output);
    BOOST_CHECK_MESSAGE(run.output.find("B has 1 valid run; ") != std::string::npos, run.output);
    BOOST_CHECK_MESSAGE(run.output.find("a verdict 7: run more rounds") != std::string::npos, run.output);
}

BOOST_AUTO_TEST_CASE(gives_no_verdict_with_six_runs_a_side_and_says_how_many_it_needs) {
    scratch work;
    std::mt19937 random(4);
    write_build(work.dir / "a", 6, random, 0.03);
    write_build(work.dir / "b", 6, random, 0.03, {.all = 1.5});  // plain to see, but 6 runs cannot show it
    const command_run run = compare(work, "A=" + work.path("a") + " B=" + work.path("b"));
    BOOST_TEST_CONTEXT(run.output) {
        BOOST_REQUIRE_EQUAL(run.exit_code, 0);
        BOOST_CHECK(run.output.find("B against A: too few runs for a verdict; give each build at least 7 valid runs") !=
                    std::string::npos);
        BOOST_CHECK(row(run.output, "p99").find("| too few runs for a verdict |") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(bad_arguments_exit_2_with_one_line) {
    scratch work;
    std::mt19937 random(1);
    write_build(work.dir / "a", 5, random, 0.03);
    const command_run one = compare(work, "A=" + work.path("a"));
    BOOST_CHECK_EQUAL(one.exit_code, 2);
    BOOST_CHECK_MESSAGE(single_line(one.output) && one.output.find("two or more builds") != std::string::npos,
                        one.output);
    const command_run baseline = compare(work, "A=" + work.path("a") + " B=" + work.path("a") + " --baseline C");
    BOOST_CHECK_EQUAL(baseline.exit_code, 2);
    BOOST_CHECK_MESSAGE(single_line(baseline.output) && baseline.output.find("--baseline C") != std::string::npos,
                        baseline.output);
}

BOOST_AUTO_TEST_SUITE_END()
