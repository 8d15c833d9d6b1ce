#include "apps/load/sweep.hh"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

namespace sluice::load {
namespace {

std::optional<double> number(std::string_view text) {
    double value = 0;
    const auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (problem != std::errc{} || end != text.data() + text.size() || !(value > 0)) return std::nullopt;
    return value;
}

std::string format(const char* pattern, auto... values) {
    char line[256];
    std::snprintf(line, sizeof line, pattern, values...);
    return line;
}

}  // namespace

result<std::vector<double>> parse_sweep(std::string_view text) {
    const auto fail = [&](const std::string& why) -> result<std::vector<double>> {
        return error{"--sweep " + std::string(text) + ": " + why + "; write FROM:TO:STEP, e.g. --sweep 10000:100000:10000"};
    };
    const auto first = text.find(':');
    const auto second = first == std::string_view::npos ? first : text.find(':', first + 1);
    if (second == std::string_view::npos) return fail("three numbers are needed");
    const auto from = number(text.substr(0, first)), to = number(text.substr(first + 1, second - first - 1)),
               step = number(text.substr(second + 1));
    if (!from || !to || !step) return fail("each must be a positive number of requests a second");
    if (*to < *from) return fail("TO is below FROM");
    if ((*to - *from) / *step + 1 > 100.5) return fail("that is more than 100 steps");
    std::vector<double> rates;
    for (double rate = *from; rate <= *to * (1 + 1e-9); rate += *step) rates.push_back(rate);
    return rates;
}

std::optional<knee> find_knee(const std::vector<sweep_step>& steps) {
    if (steps.empty()) return std::nullopt;
    // The low-load level: the median p99 of the first three rates, so that one noisy run
    // at the bottom neither hides the knee nor invents one.
    std::vector<double> first;
    for (std::size_t i = 0; i < steps.size() && i < 3; ++i) first.push_back(steps[i].p99_us);
    std::sort(first.begin(), first.end());
    const double low_load_p99 = first[first.size() / 2];
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const sweep_step& step = steps[i];
        if (!step.valid) return knee{i, "the run is INVALID"};
        if (step.answered < knee_answered_fraction * step.offered) {
            return knee{i, format("answered %.1f %% of the offered rate", 100 * step.answered / step.offered)};
        }
        if (i > 0 && step.p99_us > knee_p99_factor * low_load_p99) {
            return knee{i, format("p99 %.1fx the low-load level", step.p99_us / low_load_p99)};
        }
    }
    return std::nullopt;
}

std::string sweep_table(const std::vector<sweep_step>& steps, const std::optional<knee>& found) {
    std::string out = "sluice-load: sweep    offered/s   answered/s      p50 us      p99 us    p99.9 us\n";
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const sweep_step& s = steps[i];
        out += format("sluice-load: sweep %12.0f %12.0f %11.2f %11.2f %11.2f%s\n", s.offered, s.answered, s.p50_us,
                      s.p99_us, s.p999_us, found && found->step == i ? ("  <- knee: " + found->reason).c_str() : "");
    }
    if (!found) out += "sluice-load: sweep: no knee up to the highest rate offered\n";
    return out;
}

std::string sweep_json(const std::vector<sweep_step>& steps, const std::optional<knee>& found) {
    std::ostringstream out;
    out << "{\n  \"tool\": \"sluice-load\",\n  \"format\": 1,\n  \"steps\": [\n";
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const sweep_step& s = steps[i];
        out << format("    {\"offered_rate\": %.6g, \"achieved_rate\": %.6g, \"p50_us\": %.6g, \"p99_us\": %.6g, "
                      "\"p99.9_us\": %.6g, \"valid\": %s, \"summary\": \"%s/summary.json\"}%s\n",
                      s.offered, s.answered, s.p50_us, s.p99_us, s.p999_us, s.valid ? "true" : "false", s.folder.c_str(),
                      i + 1 < steps.size() ? "," : "");
    }
    out << "  ],\n";
    if (found) {
        out << format("  \"knee\": {\"offered_rate\": %.6g, \"reason\": \"%s\"},\n", steps[found->step].offered,
                      found->reason.c_str());
    } else {
        out << "  \"knee\": null,\n";
    }
    out << format("  \"rule\": \"p99 above %.1fx the low-load level (the median p99 of the first three rates), or "
                  "answered below %.0f %% of offered, or INVALID\"\n}\n",
                  knee_p99_factor, knee_answered_fraction * 100);
    return out.str();
}

}  // namespace sluice::load
