// sluice-load --sweep R1:R2:STEP: the same run at rising offered rates, and the knee —
// the first rate where the server stops keeping up: its p99 leaves the low-load level
// (more than twice the lowest rate's), or it answers less than 95 % of what was offered,
// or the run is INVALID. Parsing and the knee are pure, for tests; main.cc runs the steps.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/result.hh"

namespace sluice::load {

// The rates R1, R1 + STEP, ... up to R2 (at most 100 steps).
result<std::vector<double>> parse_sweep(std::string_view text);

struct sweep_step {
    double offered = 0;   // requests a second
    double answered = 0;  // requests a second
    double p50_us = 0, p99_us = 0, p999_us = 0;
    bool valid = true;
    std::string folder;  // where its summary.json went, relative to --out
};

struct knee {
    std::size_t step = 0;  // index into the steps
    std::string reason;
};

inline constexpr double knee_p99_factor = 2.0;
inline constexpr double knee_answered_fraction = 0.95;

std::optional<knee> find_knee(const std::vector<sweep_step>& steps);

std::string sweep_table(const std::vector<sweep_step>& steps, const std::optional<knee>& found);
std::string sweep_json(const std::vector<sweep_step>& steps, const std::optional<knee>& found);

}  // namespace sluice::load
