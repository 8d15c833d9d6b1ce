// sluice::clock: after calibration it never goes backwards and agrees with
// CLOCK_MONOTONIC (the TSC is scaled against it), whichever source was chosen.
#include <boost/test/unit_test.hpp>

#include <time.h>

#include <chrono>
#include <cstdlib>

#include "sluice/core/clock.hh"

using sluice::clock;

namespace {
std::int64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(clock_source)

BOOST_AUTO_TEST_CASE(calibration_reports_its_source_in_one_line) {
    const auto& info = sluice::calibrate_clock();
    BOOST_CHECK(!info.reason.empty());
    BOOST_CHECK_EQUAL(info.reason.find('\n'), std::string::npos);
    if (info.source == sluice::clock_source::tsc) {
        BOOST_CHECK_GT(info.tsc_hz, 1e8);
        BOOST_CHECK_NE(info.reason.find("TSC"), std::string::npos);
    } else {
        BOOST_CHECK_NE(info.reason.find("CLOCK_MONOTONIC"), std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(never_goes_backwards) {
    sluice::calibrate_clock();
    clock::time_point previous = clock::now();
    for (int i = 0; i < 1'000'000; ++i) {
        const clock::time_point now = clock::now();
        BOOST_REQUIRE(now >= previous);
        previous = now;
    }
}

BOOST_AUTO_TEST_CASE(agrees_with_clock_monotonic_after_calibration) {
    sluice::calibrate_clock();
    // Over a 50 ms sleep both clocks advance alike; drift stays far below 1%.
    const std::int64_t mono_start = monotonic_ns();
    const auto start = clock::now();
    const timespec pause{0, 50'000'000};
    nanosleep(&pause, nullptr);
    const auto elapsed = std::chrono::nanoseconds(clock::now() - start).count();
    const std::int64_t mono_elapsed = monotonic_ns() - mono_start;
    BOOST_CHECK_GE(elapsed, 49'500'000);
    BOOST_CHECK_LE(std::abs(elapsed - mono_elapsed), mono_elapsed / 100 + 20'000);
    // And both read the same epoch (the TSC is anchored to CLOCK_MONOTONIC).
    BOOST_CHECK_LE(std::abs(clock::now().time_since_epoch().count() - monotonic_ns()), 5'000'000);
}

BOOST_AUTO_TEST_SUITE_END()
