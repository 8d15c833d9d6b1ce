// Checks our interval logs with the reference reader, HdrHistogram's Java
// HistogramLogProcessor (Debian libhdrhistogram-java): it must read the log we write and
// report the counts, percentiles, maxima and mean that we computed. Skipped (not passed)
// where java or the jar is missing: install them with tools/install-deps.
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency already defines it
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/metrics/histogram_log.hh"

namespace fs = std::filesystem;
namespace metrics = sluice::metrics;
using histogram = metrics::hdr_histogram;

namespace {

const char* const jar = "/usr/share/java/hdrhistogram.jar";

boost::test_tools::assertion_result reference_reader_available(boost::unit_test::test_unit_id) {
    if (!fs::exists(jar)) {
        boost::test_tools::assertion_result r(false);
        r.message() << "SKIP: " << jar << " missing (apt-get install libhdrhistogram-java)";
        return r;
    }
    if (std::system("java -version >/dev/null 2>&1") != 0) {
        boost::test_tools::assertion_result r(false);
        r.message() << "SKIP: no java on PATH (apt-get install default-jre-headless)";
        return r;
    }
    return true;
}

// A private folder for one test, removed when it ends (also on failure).
struct temp_dir {
    fs::path path;
    temp_dir() {
        static int serial = 0;
        path = fs::temp_directory_path() /
               ("sluice-metrics-" + std::to_string(::getpid()) + "-" + std::to_string(serial++));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

// Three one-second intervals of latencies in nanoseconds, 3 digits, up to an hour.
std::vector<histogram> known_intervals() {
    std::mt19937_64 rng(2718);
    std::lognormal_distribution<double> latency_ns(10.0, 1.5);
    std::vector<histogram> out;
    for (std::size_t n : {100'000u, 30'000u, 1u}) {
        histogram h(1, 3'600'000'000'000, 3);
        for (std::size_t i = 0; i < n; ++i) h.record(static_cast<int64_t>(latency_ns(rng)));
        out.push_back(std::move(h));
    }
    return out;
}

void write_log(const fs::path& file, const std::vector<histogram>& intervals) {
    std::ofstream out(file);
    metrics::histogram_log_writer writer(out);
    writer.write_header(0.0);
    for (std::size_t i = 0; i < intervals.size(); ++i)
        writer.write_interval(static_cast<double>(i), 1.0, intervals[i]);
    BOOST_REQUIRE(out.good());
}

// Runs the processor over `log` with raw (ratio 1) values; extra args, e.g. "-csv -o X".
std::string run_processor(const fs::path& log, const std::string& extra,
                          const fs::path& stdout_file) {
    const std::string command = "java -cp " + std::string(jar) +
                                " org.HdrHistogram.HistogramLogProcessor -i '" + log.string() +
                                "' -outputValueUnitRatio 1 " + extra + " > '" +
                                stdout_file.string() + "' 2>&1";
    const int rc = std::system(command.c_str());
    std::ifstream in(stdout_file);
    std::stringstream text;
    text << in.rdbuf();
    BOOST_REQUIRE_MESSAGE(rc == 0, command << " failed:\n" << text.str());
    return text.str();
}

std::vector<std::vector<std::string>> csv_rows(const fs::path& file) {
    std::ifstream in(file);
    std::vector<std::vector<std::string>> rows;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#' || line[0] == '"') continue;  // comments, legend
        std::vector<std::string> fields;
        std::stringstream split(line);
        for (std::string field; std::getline(split, field, ',');) fields.push_back(field);
        rows.push_back(std::move(fields));
    }
    return rows;
}

// The processor prints values as "%.3f" of value / ratio; with ratio 1 they are integers.
int64_t as_value(const std::string& field) { return std::llround(std::stod(field)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(hdrhistogram_interop, 
                       *boost::unit_test::precondition(reference_reader_available))

BOOST_AUTO_TEST_CASE(log_reader_from_hdrhistogram_reads_our_percentiles) {
    temp_dir dir;
    const auto intervals = known_intervals();
    write_log(dir.path / "run.hlog", intervals);
    run_processor(dir.path / "run.hlog", "-csv -o '" + (dir.path / "out").string() + "'",
                  dir.path / "stdout");

    // Timeline: Timestamp, Int_Count, Int_50%, Int_90%, Int_Max, Total_Count, Total_50%,
    // Total_90%, Total_99%, Total_99.9%, Total_99.99%, Total_Max.
    const auto rows = csv_rows(dir.path / "out");
    BOOST_REQUIRE(rows.size() == intervals.size());
    histogram total(1, 3'600'000'000'000, 3);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const histogram& h = intervals[i];
        total.merge(h);
        const auto& r = rows[i];
        BOOST_REQUIRE(r.size() == 12u);
        BOOST_TEST_CONTEXT("interval " << i) {
            BOOST_TEST(as_value(r[1]) == static_cast<int64_t>(h.count()));
            BOOST_TEST(as_value(r[2]) == h.value_at_percentile(50));
            BOOST_TEST(as_value(r[3]) == h.value_at_percentile(90));
            BOOST_TEST(as_value(r[4]) == h.equivalent_range(h.max()).highest);
            BOOST_TEST(as_value(r[5]) == static_cast<int64_t>(total.count()));
            BOOST_TEST(as_value(r[6]) == total.value_at_percentile(50));
            BOOST_TEST(as_value(r[7]) == total.value_at_percentile(90));
            BOOST_TEST(as_value(r[8]) == total.value_at_percentile(99));
            BOOST_TEST(as_value(r[9]) == total.value_at_percentile(99.9));
            BOOST_TEST(as_value(r[10]) == total.value_at_percentile(99.99));
            BOOST_TEST(as_value(r[11]) == total.equivalent_range(total.max()).highest);
        }
    }

    // Percentile distribution of the whole log: Value, Percentile, TotalCount, 1/(1-P).
    // Each row's TotalCount must be our count of samples up to that Value.
    const auto distribution = csv_rows(dir.path / "out.hgrm");
    BOOST_REQUIRE(distribution.size() > 20u);
    for (const auto& row : distribution) {
        const int64_t value = as_value(row[0]);
        uint64_t at_or_below = 0;
        for (const metrics::bucket& b : total.recorded_buckets())
            if (b.range.highest <= value) at_or_below += b.count;
        BOOST_TEST(as_value(row[2]) == static_cast<int64_t>(at_or_below), "value " << value);
        BOOST_TEST(value == total.equivalent_range(value).highest);  // a bucket's top
    }
}

BOOST_AUTO_TEST_CASE(log_reader_from_hdrhistogram_reports_our_mean_max_and_count) {
    temp_dir dir;
    const auto intervals = known_intervals();
    write_log(dir.path / "run.hlog", intervals);
    const std::string text = run_processor(dir.path / "run.hlog", "", dir.path / "stdout");
    histogram total(1, 3'600'000'000'000, 3);
    for (const histogram& h : intervals) total.merge(h);

    // "#[Mean    =    68595.782, StdDeviation   =   196921.535]"
    // "#[Max     = 12730367.000, Total count    =       200000]"
    double mean = -1, stddev = -1, max = -1, count = -1;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::sscanf(line.c_str(), "#[Mean = %lf, StdDeviation = %lf]", &mean, &stddev);
        std::sscanf(line.c_str(), "#[Max = %lf, Total count = %lf]", &max, &count);
    }
    BOOST_TEST(count == static_cast<double>(total.count()));
    BOOST_TEST(max == static_cast<double>(total.equivalent_range(total.max()).highest));
    BOOST_TEST(std::abs(mean - total.mean()) <= 0.001);  // printed to 3 decimals
    BOOST_TEST(std::abs(stddev - total.stddev()) <= 0.001);
}

BOOST_AUTO_TEST_SUITE_END()
