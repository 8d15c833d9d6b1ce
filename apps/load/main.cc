// sluice-load: an open-loop load generator on Sluice's own stack (docs/user-guide.md,
// "sluice-load"; docs/benchmarks.md, "Measuring latency without fooling yourself").
//
//   sluice-load --port net_memif0 --address 198.18.0.2/24 --server 198.18.0.1:11111
//       [--workload sockperf-udp] [--rate 100000] [--arrivals poisson|constant]
//       [--connections 1] [--depth N] [--duration 10] [--warmup 1] [--closed-loop]
//       [--out DIR] [--cores 1-2] -- EAL arguments
//
// Requests leave on a schedule whatever the server does; each latency counts from the
// request's intended send time. It prints a line per interval while it runs (on a
// terminal, or with --progress), then the result with its honesty checks; --out writes
// summary.json and latency.hlog (HdrHistogram's interval log). Exit 0 for a valid run,
// 1 for an INVALID one or a failed start, 2 for a bad command line.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "apps/load/load_shard.hh"
#include "apps/load/run_report.hh"
#include "apps/load/sweep.hh"
#include "sluice/core/app.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/submit_to.hh"
#include "sluice/dpdk/bring_up.hh"
#include "sluice/metrics/histogram_log.hh"
#include "sluice/net/interface.hh"
#include "sluice/net/interface_options.hh"

using namespace sluice;

namespace {

result<double> parse_number(std::string_view option, std::string_view text, double minimum, double maximum,
                            std::string_view example) {
    double value = 0;
    const auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (problem != std::errc{} || end != text.data() + text.size() || !(value >= minimum && value <= maximum)) {
        return error{"--" + std::string(option) + " " + std::string(text) + ": give a number from " +
                     std::to_string(minimum).substr(0, std::to_string(minimum).find('.')) + " to " +
                     std::to_string(maximum).substr(0, std::to_string(maximum).find('.')) + ", e.g. --" +
                     std::string(option) + " " + std::string(example)};
    }
    return value;
}

// One run's interval log, in its own folder (--out, or --out/rate-R in a sweep).
struct step_files {
    std::filesystem::path folder;
    std::ofstream log;
    std::unique_ptr<metrics::histogram_log_writer> writer;

    result<void> open(const std::filesystem::path& where) {
        std::error_code failed;
        std::filesystem::create_directories(where, failed);
        folder = where;
        log.open(where / "latency.hlog");
        if (failed || !log) return error{"--out " + where.string() + ": cannot write there; choose a writable folder"};
        writer = std::make_unique<metrics::histogram_log_writer>(log);
        return {};
    }
};

// --depth unset: one in flight closed loop; open loop over TCP 4096; over UDP enough for
// every request of --timeout at the highest rate (a lost datagram holds its slot that
// long, and a full ring would stall the schedule on losses instead of counting them).
unsigned default_depth(const load::load_settings& settings, const std::vector<double>& rates) {
    if (settings.closed_loop) return 1;
    auto made = load::make_workload(settings.workload);
    if (!made || (*made)->transport() != load::transport::udp) return 4096;
    const double highest = *std::max_element(rates.begin(), rates.end());
    const double needed = highest / settings.connections * std::chrono::duration<double>(settings.timeout).count() * 1.25;
    return unsigned(std::clamp(needed, 4096.0, double(1u << 22)));
}

std::string rate_folder(double rate) {
    char name[64];
    std::snprintf(name, sizeof name, "rate-%.0f", rate);
    return name;
}

}  // namespace

int main(int argc, char** argv) {
    app program("sluice-load", "an open-loop load generator: latency from each request's intended send time");
    load::load_settings settings;
    settings.depth = 0;  // 0: chosen from the mode below
    net::interface_options interface_options;
    const net::interface_config& interface_config = interface_options.config;
    bool have_server = false, progress = isatty(STDOUT_FILENO) != 0, quiet = false;
    unsigned duration = 10, warmup = 1, timeout_ms = 2000, interval_ms = 1000, max_lag_us = 50;
    unsigned message_size = 64, seed = 1, mbufs = 16383, mbuf_size = 2048;
    unsigned redis_keys = 100000, redis_value_size = 32, redis_set_percent = 10;
    std::string out_folder;
    std::vector<double> sweep_rates;
    auto& options = program.options();
    net::add_interface_options(options, interface_options, "net_memif0", "198.18.0.2/24");
    options.add_option("server", "A.B.C.D:PORT", "the server to load", [&](std::string_view text) -> result<void> {
        const auto colon = text.rfind(':');
        const auto address = net::wire::ipv4_address::parse(text.substr(0, colon));
        unsigned port = 0;
        const bool numeric = colon != std::string_view::npos &&
                             std::from_chars(text.data() + colon + 1, text.data() + text.size(), port).ec == std::errc{};
        if (!address || !numeric || port == 0 || port > 65535) {
            return error{"--server " + std::string(text) + ": write ADDRESS:PORT, e.g. --server 198.18.0.1:11111"};
        }
        settings.server = *address;
        settings.server_port = std::uint16_t(port);
        have_server = true;
        return {};
    }, "198.18.0.1:11111");
    options.add_option("workload", "NAME", "what to send: " + std::string(load::workload_names) + " (default sockperf-udp)",
                       [&](std::string_view text) -> result<void> {
                           settings.workload.name = std::string(text);
                           if (auto made = load::make_workload(settings.workload); !made) return made.failure();
                           return {};
                       }, "sockperf-udp");
    options.add_option("rate", "R", "open loop: requests a second, all connections together (default 10000)",
                       [&](std::string_view text) -> result<void> {
                           auto value = parse_number("rate", text, 1, 1e9, "100000");
                           if (!value) return value.failure();
                           settings.rate = *value;
                           return {};
                       }, "100000");
    options.add_option("arrivals", "KIND", "poisson (default) or constant", [&](std::string_view text) -> result<void> {
        if (text == "poisson") settings.arrivals = load::arrival_process::poisson;
        else if (text == "constant") settings.arrivals = load::arrival_process::constant;
        else return error{"--arrivals " + std::string(text) + ": choose poisson or constant"};
        return {};
    }, "poisson");
    options.add_option("sweep", "FROM:TO:STEP",
                       "open loop: one run at each offered rate from FROM to TO, and the knee where the server stops "
                       "keeping up",
                       [&](std::string_view text) -> result<void> {
                           auto rates = load::parse_sweep(text);
                           if (!rates) return rates.failure();
                           sweep_rates = std::move(*rates);
                           return {};
                       }, "10000:100000:10000");
    options.add_flag("closed-loop", "send the next request only when an answer comes (as sockperf and wrk do)",
                     settings.closed_loop);
    options.add_count("connections", "connections (UDP: local ports) in all, spread over the shards (default 1)",
                      settings.connections, 1, 100000, "4");
    options.add_count("depth", "requests one connection may have unanswered (default: closed loop 1; open loop 4096 over TCP, over UDP what --timeout at --rate needs)",
                      settings.depth, 1, 65536, "16");
    options.add_count("duration", "seconds measured, after the warm-up (default 10)", duration, 1, 86400, "10");
    options.add_count("warmup", "seconds sent but not recorded first (default 1)", warmup, 0, 3600, "1");
    options.add_count("timeout-ms", "a UDP request unanswered this long is lost (default 2000)", timeout_ms, 1, 600000,
                      "2000");
    options.add_count("interval-ms", "progress lines and interval-log entries (default 1000)", interval_ms, 10, 3600000,
                      "1000");
    options.add_count("max-lag-us", "open loop: schedule lag p99.9 beyond this makes the run INVALID (default 50)",
                      max_lag_us, 1, 10'000'000, "50");
    options.add_count("message-size", "echo and sockperf workloads: bytes a request (default 64)", message_size, 14, 65000,
                      "64");
    options.add_count("seed", "Poisson arrivals and the Redis key mix (default 1)", seed, 0, 4'000'000'000u, "1");
    options.add_option("http-path", "PATH", "http: the path to GET (default /)", [&](std::string_view text) -> result<void> {
        if (text.empty() || text[0] != '/' || text.find_first_of(" \r\n") != std::string_view::npos) {
            return error{"--http-path " + std::string(text) + ": give an absolute path without spaces, e.g. --http-path /index.html"};
        }
        settings.workload.http.path = std::string(text);
        return {};
    }, "/");
    options.add_count("redis-keys", "redis: the key space (default 100000)", redis_keys, 1, 1'000'000'000, "100000");
    options.add_count("redis-value-size", "redis: SET value bytes (default 32)", redis_value_size, 1, 1 << 20, "32");
    options.add_count("redis-set-percent", "redis: SET share of requests, the rest GET (default 10)", redis_set_percent, 0,
                      100, "10");
    options.add_option("out", "DIR", "write summary.json and latency.hlog there", [&](std::string_view text) -> result<void> {
        out_folder = std::string(text);
        return {};
    }, "results/load");
    options.add_flag("progress", "print a line per interval even when stdout is not a terminal", progress);
    options.add_flag("quiet", "no progress lines", quiet);
    options.add_count("mbufs", "mbufs in the pool (default 16383)", mbufs, 512, 4'000'000, "16383");
    options.add_count("mbuf-size", "bytes of frame each mbuf holds (default 2048)", mbuf_size, 256, 65535 - 128, "2048");

    std::unique_ptr<dpdk::bring_up> dpdk_setup;
    std::unique_ptr<net::interface> interface;
    std::vector<std::unique_ptr<load::load_shard>> shards;
    program.on_prepare([&](runtime_config& config) -> result<void> {
        if (auto given = net::check_interface_options(interface_options, "net_memif0", "198.18.0.2/24"); !given) {
            return given.failure();
        }
        if (!have_server) return error{"no server given; add --server A.B.C.D:PORT (e.g. --server 198.18.0.1:11111)"};
        settings.local_address = interface_config.address.address;
        settings.workload.message_size = message_size;
        settings.workload.http.host = settings.server.to_string();
        settings.workload.redis = load::redis_settings{redis_keys, redis_value_size, redis_set_percent, seed};
        settings.seed = seed;
        settings.duration = std::chrono::seconds(duration);
        settings.warmup = std::chrono::seconds(warmup);
        settings.timeout = std::chrono::milliseconds(timeout_ms);
        settings.interval = std::chrono::milliseconds(interval_ms);
        settings.max_lag = std::chrono::microseconds(max_lag_us);
        if (!sweep_rates.empty() && settings.closed_loop) {
            return error{"--sweep steps the offered rate of an open loop; drop --closed-loop or --sweep"};
        }
        if (sweep_rates.empty()) sweep_rates.push_back(settings.rate);
        if (settings.depth == 0) settings.depth = default_depth(settings, sweep_rates);
        if (quiet) progress = false;
        const unsigned shard_count = unsigned(config.cpus.size());
        if (settings.connections < shard_count) {
            return error{"--connections " + std::to_string(settings.connections) + " is fewer than the " +
                         std::to_string(shard_count) + " shards; give at least one connection a shard"};
        }
        if (!out_folder.empty()) {
            std::error_code failed;
            std::filesystem::create_directories(out_folder, failed);
            if (failed) return error{"--out " + out_folder + ": cannot create it; choose a writable folder"};
        }
        dpdk::bring_up_options setup;
        setup.program = "sluice-load";
        setup.pool_prefix = "sluice_load_";
        setup.eal_args = options.rest();
        setup.port_names = {interface_options.port_name};
        setup.pool_shape.count = mbufs;
        setup.pool_shape.data_room = std::uint16_t(mbuf_size + net::packet_pool::headroom);
        auto started = dpdk::bring_up::start(setup, config);
        if (!started) return started.failure();
        dpdk_setup = std::move(*started);
        interface = std::make_unique<net::interface>(dpdk_setup->first_port(), interface_config, shard_count);
        shards.resize(shard_count);
        config.shard_hooks.push_back(interface->hook());
        config.shard_hooks.push_back({
            [&, shard_count](shard& s) -> result<void> {
                // Connections spread as evenly as they go: the first shards take one more.
                const unsigned base = settings.connections / shard_count, extra = settings.connections % shard_count;
                const unsigned first = s.id() * base + std::min(s.id(), extra);
                shards[s.id()] = std::make_unique<load::load_shard>(interface->local(), settings, s.id(), first,
                                                                     base + (s.id() < extra ? 1 : 0));
                return {};
            },
            [&](shard& s) { shards[s.id()].reset(); },
        });
        return {};
    });

    // One run (a step of a sweep): start every shard at the same instant, a progress line
    // and an interval-log entry each interval, then drain, gather and report.
    const auto run_step = [&](double rate, step_files* files) -> task<load::sweep_step> {
        const unsigned count = unsigned(shards.size());
        const clock::time_point start = clock::now() + std::chrono::milliseconds(1);
        const clock::time_point record_from = start + settings.warmup;
        const clock::time_point end = record_from + settings.duration;
        for (unsigned s = 0; s < count; ++s) {
            co_await submit_to(s, [&, s]() {
                shards[s]->start(start, rate);
                return 0;
            });
        }
        if (files) {
            files->writer->write_comment("sluice-load " + settings.workload.name +
                                         ", latency in ns from the intended send time; Tag=lag: the schedule lag");
            files->writer->write_header(double(std::time(nullptr)));
        }
        clock::time_point mark = record_from;
        co_await sleep_until(record_from);
        for (unsigned s = 0; s < count; ++s) {
            co_await submit_to(s, [&, s]() { return shards[s]->take_interval(); });
            co_await submit_to(s, [&, s]() { return shards[s]->take_interval_lag(); });
        }
        for (bool last = false; !last;) {
            const clock::time_point next = std::min(mark + settings.interval, end);
            last = next >= end;
            co_await sleep_until(next);
            if (last) {
                for (unsigned s = 0; s < count; ++s) co_await submit_to(s, [&, s]() { return shards[s]->drain(); });
            }
            metrics::hdr_histogram merged = load::make_latency_histogram();
            metrics::hdr_histogram lag = load::make_latency_histogram();
            std::uint64_t errors = 0;
            for (unsigned s = 0; s < count; ++s) {
                merged.merge(co_await submit_to(s, [&, s]() { return shards[s]->take_interval(); }));
                lag.merge(co_await submit_to(s, [&, s]() { return shards[s]->take_interval_lag(); }));
                errors += co_await submit_to(s, [&, s]() { return shards[s]->take_interval_errors(); });
            }
            const double from = std::chrono::duration<double>(mark - record_from).count();
            const double length = std::chrono::duration<double>(next - mark).count();
            if (files) {
                files->writer->write_interval(from, length, merged);
                // The generator's own lateness, tagged: HdrHistogram's tools select it with -tag lag.
                if (!settings.closed_loop) files->writer->write_interval(from, length, lag, "lag");
            }
            if (progress) {
                std::printf("sluice-load: [%7.1f s] answered %9.0f/s  p50 %9.2f us  p99 %9.2f us  errors %llu\n",
                            from + length, double(merged.count()) / length, merged.value_at_percentile(50) / 1000.0,
                            merged.value_at_percentile(99) / 1000.0, static_cast<unsigned long long>(errors));
                std::fflush(stdout);
            }
            mark = next;
        }
        std::vector<load::shard_tally> tallies;
        for (unsigned s = 0; s < count; ++s) {
            tallies.push_back(co_await submit_to(s, [&, s]() { return shards[s]->tally(); }));
        }
        std::vector<const load::shard_tally*> pointers;
        for (const auto& tally : tallies) pointers.push_back(&tally);
        load::load_settings step_settings = settings;
        step_settings.rate = rate;
        const load::run_report report(step_settings, count, pointers);
        std::fputs(report.text().c_str(), stdout);
        load::sweep_step step;
        step.offered = settings.closed_loop ? double(report.counts().sent) / std::chrono::duration<double>(settings.duration).count() : rate;
        step.answered = double(report.counts().completed) / std::chrono::duration<double>(settings.duration).count();
        step.p50_us = double(report.latency().value_at_percentile(50)) / 1000;
        step.p99_us = double(report.latency().value_at_percentile(99)) / 1000;
        step.p999_us = double(report.latency().value_at_percentile(99.9)) / 1000;
        step.valid = report.valid();
        if (files) {
            std::ofstream summary(files->folder / "summary.json");
            summary << report.json();
            files->log.flush();
            if (!summary || !files->log) {
                std::fprintf(stderr, "sluice-load: --out %s: writing the results failed (disk full?)\n",
                             files->folder.c_str());
                step.valid = false;
            } else {
                std::printf("sluice-load: wrote %s/summary.json and %s/latency.hlog\n", files->folder.c_str(),
                            files->folder.c_str());
            }
        }
        std::fflush(stdout);
        co_return step;
    };

    const int exit_code = program.run(argc, argv, [&]() -> task<int> {
        const unsigned count = unsigned(shards.size());
        // A port whose link never comes up sends nothing: say so instead of a run of zeros.
        net::device& port = dpdk_setup->first_port();
        const clock::time_point link_deadline = clock::now() + std::chrono::seconds(5);
        while (!port.link().up && clock::now() < link_deadline) co_await sleep_for(std::chrono::milliseconds(10));
        if (!port.link().up) {
            std::fprintf(stderr,
                         "sluice-load: port %s: link still down after 5 s; check its peer (net_memif: both ends "
                         "need the same queue count, one per shard: give the server as many --cores)\n",
                         port.name().c_str());
            co_return 1;
        }
        for (unsigned s = 0; s < count; ++s) {
            auto opened = co_await submit_to(s, [&, s]() { return shards[s]->open(); });
            if (!opened) {
                std::fprintf(stderr, "sluice-load: %s\n", opened.failure().message.c_str());
                for (unsigned t = 0; t < count; ++t) co_await submit_to(t, [&, t]() { return shards[t]->close(); });
                co_return 1;
            }
        }
        std::printf("sluice-load: %u connection(s) to %s:%u ready on %u shard(s); %s for %u s after %u s of warm-up%s\n",
                    settings.connections, settings.server.to_string().c_str(), settings.server_port, count,
                    settings.closed_loop ? "closed loop" : "open loop", duration, warmup,
                    sweep_rates.size() > 1 ? (", " + std::to_string(sweep_rates.size()) + " rates").c_str() : "");
        std::fflush(stdout);
        std::vector<load::sweep_step> steps;
        for (const double rate : sweep_rates) {
            if (sweep_rates.size() > 1) std::printf("sluice-load: sweep: offering %.0f requests a second\n", rate);
            step_files files;
            const bool writing = !out_folder.empty();
            if (writing) {
                const auto where = sweep_rates.size() > 1 ? std::filesystem::path(out_folder) / rate_folder(rate)
                                                          : std::filesystem::path(out_folder);
                if (auto opened = files.open(where); !opened) {
                    std::fprintf(stderr, "sluice-load: %s\n", opened.failure().message.c_str());
                    break;
                }
            }
            steps.push_back(co_await run_step(rate, writing ? &files : nullptr));
            steps.back().folder = sweep_rates.size() > 1 ? rate_folder(rate) : ".";
        }
        for (unsigned s = 0; s < count; ++s) co_await submit_to(s, [&, s]() { return shards[s]->close(); });
        if (sweep_rates.size() > 1) {
            const auto found = load::find_knee(steps);
            std::fputs(load::sweep_table(steps, found).c_str(), stdout);
            if (!out_folder.empty()) {
                std::ofstream(std::filesystem::path(out_folder) / "sweep.json") << load::sweep_json(steps, found);
                std::printf("sluice-load: wrote %s/sweep.json\n", out_folder.c_str());
            }
            std::fflush(stdout);
            co_return steps.size() == sweep_rates.size() ? 0 : 1;  // a knee is a finding, not a failure
        }
        co_return !steps.empty() && steps.front().valid ? 0 : 1;
    });
    std::fflush(stdout);
    interface.reset();
    dpdk_setup.reset();
    return exit_code;
}
