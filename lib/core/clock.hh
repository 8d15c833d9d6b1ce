// sluice::clock: the runtime's monotonic clock, in nanoseconds. Reads the invariant TSC
// when the CPU has one (calibrated once against CLOCK_MONOTONIC at start), else falls
// back to CLOCK_MONOTONIC. Any thread may call now(); calibrate() runs before shards start.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sluice {

struct clock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<clock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept;
};

enum class clock_source { tsc, monotonic };

struct clock_calibration {
    clock_source source = clock_source::monotonic;
    double tsc_hz = 0;   // measured TSC frequency when source is tsc
    std::string reason;  // one line: why this source (printed at start)
};

// Chooses and calibrates the source; idempotent. SLUICE_CLOCK=monotonic forces the
// fallback so that path stays tested. Call from one thread before shards start.
const clock_calibration& calibrate_clock();

// The result of the last calibrate_clock() (monotonic until it has run).
const clock_calibration& clock_info() noexcept;

}  // namespace sluice
