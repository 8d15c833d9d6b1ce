// sluice-bench-core: the core runtime's figures, each beside its anchor measured in the
// same process (STYLE item 10): ring throughput against rte_ring and boost's spsc_queue,
// the submit_to round trip against a bare cache-line ping-pong, spawn and timer costs.
// The machine, core placement and versions go into the benchmark context (and so into
// --benchmark_format=json); the ratios against the targets are printed to stderr at the
// end. Usage: sluice-bench-core [Google Benchmark flags]; docs/benchmarks.md.
#include <benchmark/benchmark.h>
#include <cpuid.h>
#include <rte_version.h>
#include <unistd.h>

#include <boost/version.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "perf/bench_support.hh"
#include "sluice/core/clock.hh"
#include "sluice/core/cpu_list.hh"
#include "sluice/core/topology.hh"

namespace sluice::bench {

namespace {
const topology* discovered_machine = nullptr;
}

const topology* machine() noexcept { return discovered_machine; }
void set_machine(const topology* discovered) noexcept { discovered_machine = discovered; }

namespace {

// "model name" and family/model/stepping from /proc/cpuinfo, plus the hypervisor's
// signature when there is one ("KVMKVMKVM" on this VM).
std::string cpu_description() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::map<std::string, std::string> fields;
    for (std::string line; std::getline(cpuinfo, line) && !line.empty();) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key = line.substr(0, colon);
        key.erase(key.find_last_not_of(" \t") + 1);
        fields.emplace(key, colon + 2 <= line.size() ? line.substr(colon + 2) : "");
    }
    std::string text = fields.count("model name") ? fields["model name"] : "unknown cpu";
    text += " (family " + fields["cpu family"] + " model " + fields["model"] + " stepping " + fields["stepping"] + ")";
    if (fields["flags"].find(" hypervisor") != std::string::npos) {
        unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
        __cpuid(0x40000000, eax, ebx, ecx, edx);
        char signature[13] = {};
        std::memcpy(signature, &ebx, 4);
        std::memcpy(signature + 4, &ecx, 4);
        std::memcpy(signature + 8, &edx, 4);
        text += ", virtual machine (hypervisor " + std::string(signature) + ")";
    }
    return text;
}

void add_context(const topology* topo) {
    benchmark::AddCustomContext("sluice_version", SLUICE_VERSION);
    benchmark::AddCustomContext("cpu_model", cpu_description());
    const auto pair = cpu_pair();
    if (topo) {
        benchmark::AddCustomContext("allowed_cpus", format_cpu_list(topo->allowed_cpus()));
        benchmark::AddCustomContext("numa", topo->describe());
    }
    benchmark::AddCustomContext(
        "placement", pair ? "ring producer, roundtrip initiator and shard 0 on cpu " + std::to_string(pair->first) +
                                "; ring consumer, roundtrip responder and shard 1 on cpu " +
                                std::to_string(pair->second) + "; task and timer on cpu " +
                                std::to_string(pair->first)
                          : std::string("fewer than two allowed cpus: cross-core benchmarks skipped"));
    benchmark::AddCustomContext("dpdk_version", rte_version());
    benchmark::AddCustomContext("boost_version", std::to_string(BOOST_VERSION / 100000) + "." +
                                                     std::to_string(BOOST_VERSION / 100 % 1000) + "." +
                                                     std::to_string(BOOST_VERSION % 100));
    benchmark::AddCustomContext("google_benchmark_version", SLUICE_BENCHMARK_LIBRARY_VERSION);
    benchmark::AddCustomContext("compiler", "gcc " __VERSION__);
    benchmark::AddCustomContext("clock", clock_info().reason);
    benchmark::AddCustomContext("ring_setup",
                                "void* items, 4096-slot rings (rte_ring and boost hold 4095), 2^20 items per "
                                "iteration, the same burst on both sides; rte_ring via rte_ring_init on "
                                "aligned_alloc memory, no EAL");
}

// Forwards everything to the reporter the flags asked for, keeping each benchmark's
// counters for the ratio table.
class recording_reporter final : public benchmark::BenchmarkReporter {
public:
    explicit recording_reporter(std::unique_ptr<benchmark::BenchmarkReporter> inner) : inner_(std::move(inner)) {}

    bool ReportContext(const Context& context) override { return inner_->ReportContext(context); }
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            if (run.error_occurred) continue;
            auto& figures = recorded_[run.run_name.str()];
            for (const auto& [name, counter] : run.counters) {
                if (run.run_type == Run::RT_Iteration) figures.samples[name].push_back(counter.value);
                else figures.aggregates[run.aggregate_name + "/" + name] = counter.value;
            }
        }
        inner_->ReportRuns(runs);
    }
    void Finalize() override { inner_->Finalize(); }

    // The median over repetitions (one sample without --benchmark_repetitions).
    std::optional<double> figure(const std::string& benchmark, const std::string& counter) const {
        const auto found = recorded_.find(benchmark);
        if (found == recorded_.end()) return std::nullopt;
        if (const auto samples = found->second.samples.find(counter); samples != found->second.samples.end()) {
            std::vector<double> sorted = samples->second;
            std::sort(sorted.begin(), sorted.end());
            const std::size_t n = sorted.size();
            return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
        for (const char* aggregate : {"median/", "mean/"}) {
            if (auto it = found->second.aggregates.find(aggregate + counter); it != found->second.aggregates.end()) {
                return it->second;
            }
        }
        return std::nullopt;
    }

private:
    struct figures {
        std::map<std::string, std::vector<double>> samples;
        std::map<std::string, double> aggregates;
    };
    std::unique_ptr<benchmark::BenchmarkReporter> inner_;
    std::map<std::string, figures> recorded_;
};

std::string verdict(bool met) { return met ? "met" : "MISSED"; }

void print_ratios(const recording_reporter& results) {
    std::fprintf(stderr, "\nsluice-bench-core: ratios from this run (%s)\n", cpu_description().c_str());
    std::fprintf(stderr, "  %-9s %12s %12s %12s %12s %14s\n", "Mitems/s", "sluice", "rte_sp_sc", "rte_mp_mc",
                 "boost_spsc", "sluice/sp_sc");
    for (int burst : {1, 8, 32}) {
        const std::string suffix = "/burst:" + std::to_string(burst);
        auto rate = [&](const char* impl) {
            return results.figure(std::string("ring_spsc/") + impl + suffix, "items_per_second");
        };
        const auto ours = rate("sluice"), sp_sc = rate("rte_ring_sp_sc"), mp_mc = rate("rte_ring_mp_mc"),
                   boost = rate("boost_spsc");
        auto cell = [](std::optional<double> value) {
            char text[32] = "-";
            if (value) std::snprintf(text, sizeof text, "%.1f", *value / 1e6);
            return std::string(text);
        };
        std::string ratio = "-";
        if (ours && sp_sc) {
            char text[64];
            std::snprintf(text, sizeof text, "%.2fx", *ours / *sp_sc);
            ratio = text;
            if (burst != 8) ratio += " (>=1.0x " + verdict(*ours >= *sp_sc) + ")";
        }
        std::fprintf(stderr, "  burst %-3d %12s %12s %12s %12s   %s\n", burst, cell(ours).c_str(), cell(sp_sc).c_str(),
                     cell(mp_mc).c_str(), cell(boost).c_str(), ratio.c_str());
    }
    const auto submit = results.figure("roundtrip/submit_to", "ns_per_roundtrip");
    const auto floor = results.figure("roundtrip/cacheline_floor", "ns_per_roundtrip");
    const auto ring_pair = results.figure("roundtrip/spsc_ring_pair", "ns_per_roundtrip");
    if (submit && floor && *floor > 0) {
        std::fprintf(stderr, "  roundtrip: submit_to %.1f ns / cache-line floor %.1f ns = %.2fx (<=3x %s)", *submit,
                     *floor, *submit / *floor, verdict(*submit <= 3 * *floor).c_str());
        if (ring_pair) std::fprintf(stderr, "; bare spsc_ring pair %.1f ns = %.2fx", *ring_pair, *ring_pair / *floor);
        std::fprintf(stderr, "\n");
    } else {
        std::fprintf(stderr, "  roundtrip: - (skipped or filtered out)\n");
    }
    for (auto [name, target] : {std::pair{"task/spawn_complete", 50.0}, std::pair{"timer/arm_cancel", 30.0}}) {
        if (const auto ns = results.figure(name, "ns_per_op")) {
            std::fprintf(stderr, "  %-20s %.1f ns/op (<=%.0f ns %s)\n", name, *ns, target,
                         verdict(*ns <= target).c_str());
        } else {
            std::fprintf(stderr, "  %-20s - (skipped or filtered out)\n", name);
        }
    }
}

// The reporter --benchmark_format (and --benchmark_color, --benchmark_counters_tabular)
// ask for, chosen as the library would: it only builds its own when given none, and we
// pass ours. Read before benchmark::Initialize removes the flags from argv.
std::unique_ptr<benchmark::BenchmarkReporter> display_reporter(int argc, char** argv) {
    std::string format = "console", color = "auto";
    bool tabular = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value_of = [&](std::string_view flag) -> std::optional<std::string> {
            if (arg.substr(0, flag.size()) == flag) return std::string(arg.substr(flag.size()));
            return std::nullopt;
        };
        if (auto v = value_of("--benchmark_format=")) format = *v;
        if (auto v = value_of("--benchmark_color=")) color = *v;
        if (auto v = value_of("--benchmark_counters_tabular=")) tabular = *v == "true" || *v == "1" || *v == "yes";
    }
    if (format == "json") return std::make_unique<benchmark::JSONReporter>();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // the library still offers csv
    if (format == "csv") return std::make_unique<benchmark::CSVReporter>();
#pragma GCC diagnostic pop
    if (format != "console") return nullptr;
    const bool use_color = color == "true" || color == "yes" || color == "1" ||
                           (color == "auto" && isatty(STDOUT_FILENO) && std::getenv("TERM") &&
                            std::string_view(std::getenv("TERM")) != "dumb");
    int options = benchmark::ConsoleReporter::OO_None;
    if (use_color) options |= benchmark::ConsoleReporter::OO_Color;
    if (tabular) options |= benchmark::ConsoleReporter::OO_Tabular;
    return std::make_unique<benchmark::ConsoleReporter>(benchmark::ConsoleReporter::OutputOptions(options));
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char** argv) {
    using namespace sluice::bench;
    auto display = display_reporter(argc, argv);
    if (!display) {
        std::fprintf(stderr, "sluice-bench-core: --benchmark_format takes console, json or csv\n");
        return 1;
    }
    sluice::calibrate_clock();
    // Discovered on the unpinned main thread, so it sees every cpu the process may use.
    auto topo = sluice::topology::discover();
    if (topo) {
        set_machine(&*topo);
    } else {
        std::fprintf(stderr, "sluice-bench-core: %s\n", topo.message().c_str());
    }
    add_context(topo ? &*topo : nullptr);

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    register_ring_benchmarks();
    register_runtime_benchmarks();

    recording_reporter reporter(std::move(display));
    benchmark::RunSpecifiedBenchmarks(&reporter);
    print_ratios(reporter);
    benchmark::Shutdown();
    set_machine(nullptr);
    return 0;
}
