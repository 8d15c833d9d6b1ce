#include "apps/load/run_report.hh"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace sluice::load {
namespace {

double micros(std::int64_t nanoseconds) { return double(nanoseconds) / 1000.0; }

std::string format(const char* pattern, auto... values) {
    char line[512];
    std::snprintf(line, sizeof line, pattern, values...);
    return line;
}

std::string percentile_name(double percentile) {
    std::ostringstream name;
    name << 'p' << percentile;
    return name.str();
}

std::string json_string(const std::string& text) {
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            quoted += '\\';
            quoted += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            quoted += format("\\u%04x", unsigned(c));
        } else {
            quoted += c;
        }
    }
    return quoted + "\"";
}

// JSON has no NaN or infinity: a figure that is not finite is null.
std::string number(double value) { return std::isfinite(value) ? format("%.6g", value) : "null"; }

}  // namespace

run_report::run_report(const load_settings& settings, unsigned shards, const std::vector<const shard_tally*>& tallies)
    : settings_(settings), shards_(shards), latency_(make_latency_histogram()), lag_(make_latency_histogram()) {
    std::vector<double> latencies;
    for (const shard_tally* tally : tallies) {
        latency_.merge(tally->latency);
        lag_.merge(tally->lag);
        counts_.add(tally->counts);
        for (const std::string& problem : tally->problems) {
            if (problems_.size() < 5) problems_.push_back(problem);
        }
        latencies.insert(latencies.end(), tally->latency_sample.begin(), tally->latency_sample.end());
        gaps_.insert(gaps_.end(), tally->send_gaps.begin(), tally->send_gaps.end());
    }
    seconds_ = std::chrono::duration<double>(settings.duration).count();
    for (const double percentile : reported_percentiles) {
        estimates_.push_back(metrics::estimate_percentile(latency_, percentile, 0.95));
    }
    // Shards' samples one after another: each half still spans the run on every shard
    // only with one shard; with several the halves are "first shards" and "last shards",
    // which a stationary run passes too.
    independence_ = metrics::independent(latencies);
    stationarity_ = metrics::stationary(latencies);
    if (!settings.closed_loop) check_arrivals();
    decide_validity();
}

void run_report::check_arrivals() {
    if (gaps_.empty()) return;
    arrivals_checked_ = true;
    // Each shard's sends merge its connections' schedules: Poisson streams add up to one
    // Poisson stream of the shard's rate; constant ones interleave at its rate.
    const double shard_gap_ns = 1e9 * double(shards_) / settings_.rate;
    if (settings_.arrivals == arrival_process::poisson) {
        poisson_fit_ = metrics::fits_exponential(gaps_, shard_gap_ns);
    } else {
        // A send is on time within a loop turn or two: tolerance of 2 µs or 10 % of a gap.
        constant_fit_ = metrics::fits_constant(gaps_, shard_gap_ns, std::max(2000.0, shard_gap_ns * 0.1));
    }
}

void run_report::decide_validity() {
    if (counts_.completed == 0) {
        invalid_reason_ = "no answers: is the server up, and does it speak " + settings_.workload.name + "?";
        return;
    }
    if (settings_.closed_loop) return;
    const double lag_p999 = double(lag_.value_at_percentile(99.9));
    const double behind = counts_.scheduled == 0 ? 0 : double(counts_.unsent) / double(counts_.scheduled);
    if (lag_p999 > double(settings_.max_lag.count()) || behind > 0.01) {
        invalid_reason_ = format("generator-bound: schedule lag p99.9 %.1f us (limit %.1f us), %.2f %% of the due "
                                 "requests never sent; lower --rate or add shards",
                                 lag_p999 / 1000, double(settings_.max_lag.count()) / 1000, behind * 100);
    }
}

std::string run_report::text() const {
    std::string out;
    const double achieved = double(counts_.completed) / seconds_;
    const double offered = settings_.closed_loop ? double(counts_.sent) / seconds_ : settings_.rate;
    out += format("sluice-load: %s %s, %u connection(s) on %u shard(s), depth %u: offered %.0f/s, sent %.0f/s, "
                  "answered %.0f/s (%.1f %% of offered)\n",
                  settings_.workload.name.c_str(),
                  settings_.closed_loop ? "closed loop" : (std::string("open loop, ") +
                                                           std::string(to_string(settings_.arrivals)) + " arrivals").c_str(),
                  settings_.connections, shards_, settings_.depth, offered, double(counts_.sent) / seconds_, achieved,
                  offered > 0 ? 100 * achieved / offered : 0);
    std::string line = "sluice-load: latency us (from the intended send time, 95 % intervals):";
    for (const auto& estimate : estimates_) {
        line += format(" %s %.2f [%.2f, %.2f]%s", percentile_name(estimate.percentile).c_str(), micros(estimate.value),
                       micros(estimate.lower), micros(estimate.upper), estimate.enough_samples ? "" : "*");
    }
    out += line + format(" max %.2f\n", micros(latency_.max()));
    if (std::any_of(estimates_.begin(), estimates_.end(), [](const auto& e) { return !e.enough_samples; })) {
        out += "sluice-load: * too few samples for a confidence interval on that side: it is the data's min or max\n";
    }
    out += format("sluice-load: requests: sent %llu, answered %llu, failed %llu, malformed %llu, timed out %llu, "
                  "unanswered %llu, late %llu, send failures %llu, connection errors %llu, waited for depth %llu; "
                  "reconnects %llu (%llu requests sent again)\n",
                  (unsigned long long)counts_.sent, (unsigned long long)counts_.completed,
                  (unsigned long long)counts_.failed, (unsigned long long)counts_.malformed,
                  (unsigned long long)counts_.timeouts, (unsigned long long)counts_.unanswered,
                  (unsigned long long)counts_.late_answers, (unsigned long long)counts_.send_failures,
                  (unsigned long long)counts_.connection_errors, (unsigned long long)counts_.held_back,
                  (unsigned long long)counts_.reconnects, (unsigned long long)counts_.resent);
    for (const std::string& problem : problems_) out += "sluice-load: problem: " + problem + "\n";
    if (!settings_.closed_loop) {
        out += format("sluice-load: schedule lag us: p50 %.2f p99 %.2f p99.9 %.2f max %.2f; never sent %llu of %llu due\n",
                      micros(lag_.value_at_percentile(50)), micros(lag_.value_at_percentile(99)),
                      micros(lag_.value_at_percentile(99.9)), micros(lag_.max()), (unsigned long long)counts_.unsent,
                      (unsigned long long)counts_.scheduled);
    }
    if (arrivals_checked_ && settings_.arrivals == arrival_process::poisson) {
        out += format("sluice-load: check arrivals fit Poisson: chi-square %.1f, %zu bins, p = %.3g over %zu gaps: %s\n",
                      poisson_fit_.chi_square, poisson_fit_.bins, poisson_fit_.p_value, poisson_fit_.sample_size,
                      poisson_fit_.passed() ? "pass" : "FAIL");
    } else if (arrivals_checked_) {
        out += format("sluice-load: check arrivals constant: %.2f %% of %zu gaps on time, CV %.3f: %s\n",
                      constant_fit_.fraction_within * 100, constant_fit_.sample_size,
                      constant_fit_.coefficient_of_variation, constant_fit_.passed() ? "pass" : "FAIL");
    }
    out += format("sluice-load: check latencies independent: lag-1 r %.3f (p = %.3g), runs p = %.3g over %zu: %s\n",
                  independence_.lag1_autocorrelation, independence_.autocorrelation_p_value, independence_.runs_p_value,
                  independence_.sample_size,
                  !independence_.enough_samples ? "too few" : independence_.passed() ? "pass" : "FAIL (intervals too narrow)");
    out += format("sluice-load: check run stationary: second/first half median %.3f, p99 %.3f (p = %.3g): %s\n",
                  stationarity_.median_ratio, stationarity_.p99_ratio, stationarity_.p_value,
                  !stationarity_.enough_samples ? "too few" : stationarity_.passed() ? "pass" : "FAIL");
    out += valid() ? "sluice-load: VALID\n" : "sluice-load: INVALID: " + invalid_reason_ + "\n";
    return out;
}

std::string run_report::json() const {
    std::ostringstream out;
    const double offered = settings_.closed_loop ? double(counts_.sent) / seconds_ : settings_.rate;
    out << "{\n  \"tool\": \"sluice-load\",\n  \"format\": 1,\n";
    out << "  \"workload\": " << json_string(settings_.workload.name) << ",\n";
    out << "  \"mode\": \"" << (settings_.closed_loop ? "closed" : "open") << "\",\n";
    out << "  \"arrivals\": \"" << (settings_.closed_loop ? "closed-loop" : to_string(settings_.arrivals)) << "\",\n";
    out << "  \"server\": \"" << settings_.server.to_string() << ':' << settings_.server_port << "\",\n";
    out << "  \"connections\": " << settings_.connections << ",\n  \"depth\": " << settings_.depth
        << ",\n  \"shards\": " << shards_ << ",\n  \"seed\": " << settings_.seed << ",\n";
    out << "  \"offered_rate\": " << number(offered) << ",\n";
    out << "  \"sent_rate\": " << number(double(counts_.sent) / seconds_) << ",\n";
    out << "  \"achieved_rate\": " << number(double(counts_.completed) / seconds_) << ",\n";
    out << "  \"duration_s\": " << number(seconds_) << ",\n";
    out << "  \"requests\": {\"scheduled\": " << counts_.scheduled << ", \"sent\": " << counts_.sent
        << ", \"completed\": " << counts_.completed << ", \"failed\": " << counts_.failed
        << ", \"malformed\": " << counts_.malformed << ", \"timeouts\": " << counts_.timeouts
        << ", \"unanswered\": " << counts_.unanswered << ", \"late_answers\": " << counts_.late_answers
        << ", \"send_failures\": " << counts_.send_failures << ", \"connection_errors\": " << counts_.connection_errors
        << ", \"held_back\": " << counts_.held_back << ", \"unsent\": " << counts_.unsent
        << ", \"reconnects\": " << counts_.reconnects << ", \"resent\": " << counts_.resent
        << ", \"errors\": " << counts_.errors() << "},\n";
    out << "  \"latency_us\": {\"min\": " << number(micros(latency_.min())) << ", \"mean\": "
        << number(latency_.mean() / 1000);
    for (const auto& e : estimates_) out << ", \"" << percentile_name(e.percentile) << "\": " << number(micros(e.value));
    out << ", \"max\": " << number(micros(latency_.max())) << "},\n";
    out << "  \"latency_ci_us\": {\"confidence\": 0.95";
    for (const auto& e : estimates_) {
        out << ", \"" << percentile_name(e.percentile) << "\": [" << number(micros(e.lower)) << ", "
            << number(micros(e.upper)) << "]";
    }
    out << "},\n";
    out << "  \"schedule_lag_us\": {\"p50\": " << number(micros(lag_.value_at_percentile(50))) << ", \"p99\": "
        << number(micros(lag_.value_at_percentile(99))) << ", \"p99.9\": "
        << number(micros(lag_.value_at_percentile(99.9))) << ", \"max\": " << number(micros(lag_.max())) << "},\n";
    out << "  \"checks\": {";
    if (arrivals_checked_ && settings_.arrivals == arrival_process::poisson) {
        out << "\"arrivals\": {\"test\": \"chi-square against exponential gaps\", \"statistic\": "
            << number(poisson_fit_.chi_square) << ", \"bins\": " << poisson_fit_.bins << ", \"p_value\": "
            << number(poisson_fit_.p_value) << ", \"samples\": " << poisson_fit_.sample_size
            << ", \"passed\": " << (poisson_fit_.passed() ? "true" : "false") << "}, ";
    } else if (arrivals_checked_) {
        out << "\"arrivals\": {\"test\": \"constant gaps\", \"fraction_on_time\": "
            << number(constant_fit_.fraction_within) << ", \"coefficient_of_variation\": "
            << number(constant_fit_.coefficient_of_variation) << ", \"samples\": " << constant_fit_.sample_size
            << ", \"passed\": " << (constant_fit_.passed() ? "true" : "false") << "}, ";
    }
    out << "\"independence\": {\"lag1_autocorrelation\": " << number(independence_.lag1_autocorrelation)
        << ", \"autocorrelation_p_value\": " << number(independence_.autocorrelation_p_value)
        << ", \"runs_p_value\": " << number(independence_.runs_p_value) << ", \"samples\": "
        << independence_.sample_size << ", \"passed\": " << (independence_.passed() ? "true" : "false") << "}, ";
    out << "\"stationarity\": {\"median_ratio\": " << number(stationarity_.median_ratio) << ", \"p99_ratio\": "
        << number(stationarity_.p99_ratio) << ", \"p_value\": " << number(stationarity_.p_value)
        << ", \"samples\": " << stationarity_.sample_size << ", \"passed\": "
        << (stationarity_.passed() ? "true" : "false") << "}},\n";
    out << "  \"problems\": [";
    for (std::size_t i = 0; i < problems_.size(); ++i) out << (i ? ", " : "") << json_string(problems_[i]);
    out << "],\n";
    out << "  \"valid\": " << (valid() ? "true" : "false") << ",\n";
    out << "  \"invalid_reason\": " << (valid() ? "null" : json_string(invalid_reason_)) << "\n}\n";
    return out.str();
}

}  // namespace sluice::load
