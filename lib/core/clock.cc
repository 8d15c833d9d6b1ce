// TSC calibration: measure the TSC against CLOCK_MONOTONIC over a short sleep and keep a
// 32.32 fixed-point nanoseconds-per-tick multiplier, so now() is one rdtsc, a multiply
// and a shift. Only an invariant TSC (constant_tsc + nonstop_tsc) is trusted.
#include "sluice/core/clock.hh"

#include <time.h>
#include <x86intrin.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice {
namespace {

// Written once by calibrate_clock() before any shard thread starts, then only read.
bool use_tsc = false;
std::uint64_t tsc_origin = 0;
std::int64_t ns_origin = 0;
std::uint64_t ns_per_tick_q32 = 0;  // nanoseconds per TSC tick, 32.32 fixed point
clock_calibration calibration{clock_source::monotonic, 0, "not calibrated yet"};

std::int64_t monotonic_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool cpu_has_invariant_tsc(std::string& missing) {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("flags", 0) != 0) continue;
        std::istringstream words(line);
        bool constant = false, nonstop = false;
        for (std::string word; words >> word;) {
            constant |= word == "constant_tsc";
            nonstop |= word == "nonstop_tsc";
        }
        if (!constant) missing += " constant_tsc";
        if (!nonstop) missing += " nonstop_tsc";
        return constant && nonstop;
    }
    missing = " /proc/cpuinfo flags";
    return false;
}

}  // namespace

clock::time_point clock::now() noexcept {
    if (use_tsc) {
        const std::uint64_t ticks = __rdtsc() - tsc_origin;
        const auto ns = std::int64_t((unsigned __int128)ticks * ns_per_tick_q32 >> 32);
        return time_point(duration(ns_origin + ns));
    }
    return time_point(duration(monotonic_ns()));
}

const clock_calibration& clock_info() noexcept { return calibration; }

const clock_calibration& calibrate_clock() {
    static bool done = false;
    if (done) return calibration;
    done = true;

    const char* forced = std::getenv("SLUICE_CLOCK");
    if (forced && std::strcmp(forced, "monotonic") == 0) {
        calibration = {clock_source::monotonic, 0, "CLOCK_MONOTONIC (forced by SLUICE_CLOCK=monotonic)"};
        return calibration;
    }
    std::string missing;
    if (!cpu_has_invariant_tsc(missing)) {
        calibration = {clock_source::monotonic, 0, "CLOCK_MONOTONIC (no invariant TSC: missing" + missing + ")"};
        return calibration;
    }

    // Bracket each reading of CLOCK_MONOTONIC by two TSC reads and keep the midpoint,
    // so a preemption between the two reads shows up as a wide bracket we can skip.
    auto sample = [](std::uint64_t& tsc, std::int64_t& ns) {
        std::uint64_t best_width = ~0ull;
        for (int attempt = 0; attempt < 16; ++attempt) {
            const std::uint64_t before = __rdtsc();
            const std::int64_t now = monotonic_ns();
            const std::uint64_t after = __rdtsc();
            if (after - before < best_width) {
                best_width = after - before;
                tsc = before + (after - before) / 2;
                ns = now;
            }
        }
    };
    std::uint64_t tsc_start = 0, tsc_end = 0;
    std::int64_t ns_start = 0, ns_end = 0;
    sample(tsc_start, ns_start);
    const timespec pause{0, 20'000'000};
    nanosleep(&pause, nullptr);
    sample(tsc_end, ns_end);

    const double hz = double(tsc_end - tsc_start) * 1e9 / double(ns_end - ns_start);
    if (!(hz > 1e8 && hz < 1e11)) {
        calibration = {clock_source::monotonic, 0, "CLOCK_MONOTONIC (TSC calibration gave an implausible rate)"};
        return calibration;
    }
    ns_per_tick_q32 = std::uint64_t(1e9 / hz * 4294967296.0);
    tsc_origin = tsc_end;
    ns_origin = ns_end;
    use_tsc = true;
    char text[128];
    std::snprintf(text, sizeof text, "TSC at %.3f GHz (calibrated against CLOCK_MONOTONIC)", hz / 1e9);
    calibration = {clock_source::tsc, hz, text};
    return calibration;
}

}  // namespace sluice
