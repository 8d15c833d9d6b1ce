// sluice::load::arrival_schedule: when each request of an open-loop run is meant to leave
// (docs/architecture.md, "sluice-load"). Latency counts from these intended times, not from
// when a request actually left, so a stalled server or a late generator shows in full.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

#include "sluice/core/clock.hh"

namespace sluice::load {

enum class arrival_process {
    constant,  // evenly spaced: one request every 1/rate seconds
    poisson,   // exponential gaps with mean 1/rate, from a seeded generator
};

std::string_view to_string(arrival_process process) noexcept;

class arrival_schedule {
public:
    // `rate` requests a second (> 0) from `start`. `phase` in [0, 1) shifts a constant
    // schedule by that fraction of a gap, so that N connections at rate/N interleave
    // instead of sending together. The same seed gives the same Poisson times.
    arrival_schedule(arrival_process process, double rate, clock::time_point start, std::uint64_t seed,
                     double phase = 0.0);

    // The intended time of the next request; advances the schedule.
    clock::time_point next() noexcept;
    // The intended time next() will return, without advancing.
    clock::time_point peek() const noexcept { return upcoming_; }

    double mean_gap_ns() const noexcept { return mean_gap_ns_; }
    arrival_process process() const noexcept { return process_; }

private:
    clock::time_point advance() noexcept;

    arrival_process process_;
    double mean_gap_ns_;
    clock::time_point start_;
    double phase_ns_;
    double offset_ns_;      // of the upcoming request from start_, kept in double: no drift
    std::uint64_t index_ = 0;
    std::mt19937_64 random_;
    std::exponential_distribution<double> gaps_;
    clock::time_point upcoming_;
};

}  // namespace sluice::load
