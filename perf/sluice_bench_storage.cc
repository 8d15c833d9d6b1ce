// sluice-bench-storage: one storage job on one shard (pinned, spin idle policy by default),
// driven through Sluice's own engine and file API, the way perf/storage-vs-fio runs fio on
// the same file. QD worker coroutines each keep one request in flight on registered pool
// buffers; every completion's latency (from just before the co_await to just after it
// resumes: submission, the kernel and the loop's reaping all included) goes into an HDR
// histogram. Prints one JSON line on stdout. Jobs:
//   randread-qd1, randread-qd32  4 KiB reads at uniform random 4 KiB-aligned offsets
//   seqwrite-128k                128 KiB sequential writes (wrapping at --size), depth 8
//   write-fdatasync              4 KiB sequential write, then fdatasync, at depth 1
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <charconv>
#include <coroutine>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sched.h>
#include <string>
#include <string_view>
#include <vector>

#include "perf/spin_by_default.hh"
#include "sluice/core/app.hh"
#include "sluice/core/clock.hh"
#include "sluice/core/cpu_list.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/spawn.hh"
#include "sluice/metrics/hdr_histogram.hh"
#include "sluice/storage/engine.hh"
#include "sluice/storage/file.hh"

namespace {

using sluice::clock;
using sluice::task;
namespace storage = sluice::storage;

enum class operation_kind { random_read, sequential_write, write_then_fdatasync };

struct job_spec {
    const char* name;
    operation_kind kind;
    std::size_t block_size;
    unsigned depth;
};

constexpr job_spec jobs[] = {
    {"randread-qd1", operation_kind::random_read, 4096, 1},
    {"randread-qd32", operation_kind::random_read, 4096, 32},
    {"seqwrite-128k", operation_kind::sequential_write, 128 * 1024, 8},
    {"write-fdatasync", operation_kind::write_then_fdatasync, 4096, 1},
};

// "4096", "4k", "128K", "1G", "1GiB": bytes (binary multiples).
std::optional<std::uint64_t> parse_bytes(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data()) return std::nullopt;
    std::string unit(end, text.data() + text.size());
    for (char& c : unit) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (unit.ends_with("ib")) unit.resize(unit.size() - 2);
    else if (unit.size() == 2 && unit[1] == 'b') unit.resize(1);
    int shift = 0;
    if (unit.empty()) shift = 0;
    else if (unit == "k") shift = 10;
    else if (unit == "m") shift = 20;
    else if (unit == "g") shift = 30;
    else if (unit == "t") shift = 40;
    else return std::nullopt;
    return value << shift;
}

// splitmix64: a fixed seed gives the same offsets in every run.
struct offset_generator {
    std::uint64_t state;
    std::uint64_t next() noexcept {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

struct bench_state {
    explicit bench_state(const job_spec& spec) : job(spec) {}

    const job_spec& job;
    storage::file file;
    std::uint64_t blocks = 0;  // whole blocks in the region used
    clock::time_point measure_from{};
    clock::time_point stop_at{};
    clock::time_point last_completion{};
    offset_generator random{1};
    std::uint64_t next_block = 0;  // sequential jobs: shared cursor, wraps at `blocks`
    std::uint64_t operations = 0;  // completed in the measured window (writes: not counting syncs)
    sluice::metrics::hdr_histogram latency{1, 60'000'000'000, 3};       // ns; the job's read or write
    sluice::metrics::hdr_histogram sync_latency{1, 60'000'000'000, 3};  // ns; write-fdatasync only
    sluice::metrics::hdr_histogram pair_latency{1, 60'000'000'000, 3};  // ns; write + fdatasync
    unsigned running = 0;
    std::coroutine_handle<> waiting_main;
    std::string failure;

    std::uint64_t next_offset() noexcept {
        if (job.kind == operation_kind::random_read) return (random.next() % blocks) * job.block_size;
        const std::uint64_t block = next_block;
        next_block = next_block + 1 == blocks ? 0 : next_block + 1;
        return block * job.block_size;
    }
    void fail(const char* what, std::uint64_t offset, const storage::io_result& got) {
        if (!failure.empty()) return;
        failure = std::string(what) + " at offset " + std::to_string(offset) + ": " +
                  (got.ok() ? "short transfer of " + std::to_string(got.value()) + " bytes" : got.message());
    }
};

// co_await every_worker_done{state}: resumes main once the last worker has ended.
struct every_worker_done {
    bench_state& state;
    bool await_ready() const noexcept { return state.running == 0; }
    void await_suspend(std::coroutine_handle<> main) noexcept { state.waiting_main = main; }
    void await_resume() const noexcept {}
};

task<void> worker(bench_state& state, storage::pool_buffer buffer) {
    const std::size_t length = state.job.block_size;
    while (state.failure.empty()) {
        const clock::time_point start = clock::now();
        if (start >= state.stop_at) break;
        const bool measured = start >= state.measure_from;
        const std::uint64_t offset = state.next_offset();
        // Two statements, not `?:` with a co_await in each arm: GCC 12 destroys a
        // temporary of the arm not taken in that form.
        storage::io_result done;
        if (state.job.kind == operation_kind::random_read) done = co_await state.file.read(offset, buffer, length);
        else done = co_await state.file.write(offset, buffer, length);
        clock::time_point finish = clock::now();
        if (!done.ok() || std::uint64_t(done.value()) != length) {
            state.fail(state.job.kind == operation_kind::random_read ? "read" : "write", offset, done);
            break;
        }
        if (measured) state.latency.record((finish - start).count());
        if (state.job.kind == operation_kind::write_then_fdatasync) {
            const clock::time_point sync_start = finish;
            storage::io_result synced = co_await state.file.fdatasync();
            finish = clock::now();
            if (!synced.ok()) {
                state.fail("fdatasync", offset, synced);
                break;
            }
            if (measured) {
                state.sync_latency.record((finish - sync_start).count());
                state.pair_latency.record((finish - start).count());
            }
        }
        if (measured) {
            ++state.operations;
            state.last_completion = finish;
        }
    }
    if (--state.running == 0 && state.waiting_main) sluice::this_shard().schedule(state.waiting_main);
}

std::string json_percentiles(const sluice::metrics::hdr_histogram& h) {
    char text[512];
    std::snprintf(text, sizeof text,
                  "{\"count\":%llu,\"min\":%lld,\"mean\":%.0f,\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,"
                  "\"p99.9\":%lld,\"p99.99\":%lld,\"max\":%lld}",
                  static_cast<unsigned long long>(h.count()), static_cast<long long>(h.min()), h.mean(),
                  static_cast<long long>(h.value_at_percentile(50)), static_cast<long long>(h.value_at_percentile(90)),
                  static_cast<long long>(h.value_at_percentile(99)),
                  static_cast<long long>(h.value_at_percentile(99.9)),
                  static_cast<long long>(h.value_at_percentile(99.99)), static_cast<long long>(h.max()));
    return text;
}

std::string json_string(std::string_view text) {
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') quoted += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        quoted += c;
    }
    return quoted + "\"";
}

struct bench_options {
    std::string path;
    std::uint64_t size = 0;  // 0: the file's size
    unsigned seconds = 10;
    unsigned ramp_seconds = 0;
    std::optional<unsigned> cpu;
    const job_spec* job = nullptr;
    unsigned depth = 0;  // 0: the job's own
    unsigned registered_files = 64;  // the engine's file table; 0 = files go by descriptor
    unsigned max_submit_batch = storage::engine_options{}.max_submit_batch;  // 0: one submit per turn
    std::vector<unsigned> io_worker_cpus;  // empty: the engine's choice
    bool yield_to_io_workers = false;
    std::uint64_t seed = 1;
};

task<int> run_job(const bench_options& options, const job_spec& job) {
    storage::engine* engine = storage::engine::current();
    if (!engine || !engine->buffers()) {
        std::fprintf(stderr, "sluice-bench-storage: no storage engine on this shard\n");
        co_return 1;
    }
    bench_state state(job);
    state.random.state = options.seed;

    storage::open_options open;
    open.mode = job.kind == operation_kind::random_read ? storage::access::read_only : storage::access::read_write;
    auto opened = co_await storage::file::open(options.path, open);
    if (!opened.status.ok()) {
        std::fprintf(stderr, "sluice-bench-storage: %s (create the file first, e.g. with perf/storage-vs-fio)\n",
                     opened.status.message().c_str());
        co_return 1;
    }
    state.file = std::move(opened.opened);

    struct stat about {};
    if (::fstat(state.file.descriptor(), &about) != 0) {
        std::fprintf(stderr, "sluice-bench-storage: fstat %s: %s\n", options.path.c_str(), std::strerror(errno));
        co_return 1;
    }
    const std::uint64_t region = options.size ? options.size : std::uint64_t(about.st_size);
    if (region > std::uint64_t(about.st_size)) {
        std::fprintf(stderr,
                     "sluice-bench-storage: --size %llu is larger than %s (%lld bytes); write the file to that "
                     "size first\n",
                     static_cast<unsigned long long>(region), options.path.c_str(), static_cast<long long>(about.st_size));
        co_return 1;
    }
    state.blocks = region / job.block_size;
    if (state.blocks == 0) {
        std::fprintf(stderr, "sluice-bench-storage: %s holds no whole %zu-byte block\n", options.path.c_str(),
                     job.block_size);
        co_return 1;
    }

    std::vector<storage::pool_buffer> buffers;
    offset_generator fill{options.seed ^ 0x5eed};
    for (unsigned i = 0; i < job.depth; ++i) {
        auto buffer = engine->buffers()->try_acquire();
        if (!buffer) {
            std::fprintf(stderr, "sluice-bench-storage: the pool has fewer than %u buffers\n", job.depth);
            co_return 1;
        }
        // Writes carry random bytes, as fio's buffers do by default.
        for (std::size_t at = 0; at + 8 <= buffer->size(); at += 8) {
            const std::uint64_t word = fill.next();
            std::memcpy(buffer->data() + at, &word, 8);
        }
        buffers.push_back(std::move(*buffer));
    }

    const clock::time_point began = clock::now();
    state.measure_from = began + std::chrono::seconds(options.ramp_seconds);
    state.stop_at = state.measure_from + std::chrono::seconds(options.seconds);
    state.running = job.depth;
    for (auto& buffer : buffers) sluice::spawn(worker(state, std::move(buffer)));
    co_await every_worker_done{state};
    (void)co_await state.file.close();

    if (!state.failure.empty()) {
        std::fprintf(stderr, "sluice-bench-storage: %s: %s\n", options.path.c_str(), state.failure.c_str());
        co_return 1;
    }
    const double elapsed_s =
        std::chrono::duration<double>(std::max(state.last_completion, state.measure_from) - state.measure_from).count();
    const double ops_per_s = elapsed_s > 0 ? double(state.operations) / elapsed_s : 0.0;
    const auto& counters = engine->counters();

    std::string out = "{\"tool\":\"sluice\",\"job\":" + json_string(job.name) + ",\"file\":" + json_string(options.path);
    char text[1024];
    std::snprintf(text, sizeof text,
                  ",\"region_bytes\":%llu,\"bs\":%zu,\"depth\":%u,\"seconds\":%u,\"ramp_seconds\":%u,\"cpu\":%u,"
                  "\"idle\":%s,\"clock\":%s,\"elapsed_s\":%.3f,\"ops\":%llu,\"iops\":%.1f,\"mb_per_s\":%.2f",
                  static_cast<unsigned long long>(state.blocks * job.block_size), job.block_size, job.depth,
                  options.seconds, options.ramp_seconds, sluice::this_shard().cpu(),
                  sluice::this_shard().config().idle == sluice::idle_policy::spin ? "\"spin\"" : "\"adaptive\"",
                  sluice::clock_info().source == sluice::clock_source::tsc ? "\"tsc\"" : "\"monotonic\"", elapsed_s,
                  static_cast<unsigned long long>(state.operations), ops_per_s,
                  ops_per_s * double(job.block_size) / 1e6);
    out += text;
    out += ",\"lat_ns\":" + json_percentiles(state.latency);
    if (job.kind == operation_kind::write_then_fdatasync) {
        out += ",\"sync_lat_ns\":" + json_percentiles(state.sync_latency);
        out += ",\"write_sync_lat_ns\":" + json_percentiles(state.pair_latency);
    }
    std::snprintf(text, sizeof text,
                  ",\"engine\":{\"mode\":%s,\"submitted\":%llu,\"submit_calls\":%llu,\"completed\":%llu,"
                  "\"waited_for_slot\":%llu}}",
                  json_string(engine->description()).c_str(), static_cast<unsigned long long>(counters.submitted),
                  static_cast<unsigned long long>(counters.submit_calls),
                  static_cast<unsigned long long>(counters.completed),
                  static_cast<unsigned long long>(counters.waited_for_slot));
    out += text;
    std::printf("%s\n", out.c_str());
    std::fflush(stdout);
    co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> args = sluice::bench::arguments_with_spin_by_default(argc, argv);

    sluice::app app("sluice-bench-storage",
                    "one storage job on one pinned shard through Sluice's io_uring engine; prints one JSON line");
    bench_options options;
    auto& cli = app.options();
    cli.add_option("file", "PATH", "the file to read or write (it must exist; --size bytes of it are used)",
                   [&](std::string_view text) -> sluice::result<void> {
                       options.path = std::string(text);
                       return {};
                   });
    cli.add_option("size", "BYTES", "bytes of the file to use, e.g. 1G (default: the whole file)",
                   [&](std::string_view text) -> sluice::result<void> {
                       auto bytes = parse_bytes(text);
                       if (!bytes) return sluice::error{"--size needs a byte count such as 1G or 512M"};
                       options.size = *bytes;
                       return {};
                   }, "1G");
    cli.add_count("seconds", "measured seconds (default 10)", options.seconds, 1, 3600, "10");
    cli.add_count("ramp", "seconds run before measuring, as fio's ramp_time (default 0)", options.ramp_seconds, 0,
                  600, "1");
    cli.add_option("cpu", "N", "the cpu of the one shard (default: the last allowed cpu)",
                   [&](std::string_view text) -> sluice::result<void> {
                       unsigned cpu = 0;
                       const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cpu);
                       if (ec != std::errc{} || end != text.data() + text.size()) {
                           return sluice::error{"--cpu needs one cpu number, e.g. --cpu 1"};
                       }
                       options.cpu = cpu;
                       return {};
                   }, "1");
    cli.add_option("job", "NAME", "randread-qd1 | randread-qd32 | seqwrite-128k | write-fdatasync",
                   [&](std::string_view text) -> sluice::result<void> {
                       for (const auto& job : jobs) {
                           if (text == job.name) options.job = &job;
                       }
                       if (!options.job) {
                           return sluice::error{"--job must be randread-qd1, randread-qd32, seqwrite-128k or "
                                                "write-fdatasync"};
                       }
                       return {};
                   }, "randread-qd1");
    cli.add_count("depth", "requests in flight (default: the job's own; write-fdatasync is always 1)", options.depth,
                  1, 1024, "32");
    cli.add_option("io-worker-cpus", "LIST", "cpus for the kernel's io-wq workers (default: those no shard uses)",
                   [&](std::string_view text) -> sluice::result<void> {
                       auto cpus = sluice::parse_cpu_list(text);
                       if (!cpus) return sluice::error{"--io-worker-cpus: " + cpus.message()};
                       options.io_worker_cpus = *cpus;
                       return {};
                   }, "0");
    cli.add_count("registered-files", "slots in the ring's file table; 0 = none, the file goes by descriptor "
                  "(default 64)", options.registered_files, 0, 65536, "0");
    cli.add_flag("yield-to-io-workers", "io-wq workers on the shard's cpu; the shard yields while fsync-like "
                 "requests are in flight", options.yield_to_io_workers);
    cli.add_count("submit-batch", "SQEs per io_uring_enter at most; 0 = one submit per loop turn (default " +
                  std::to_string(options.max_submit_batch) + ")", options.max_submit_batch, 0, 65536, "0");

    job_spec chosen{};
    app.on_prepare([&](sluice::runtime_config& config) -> sluice::result<void> {
        if (options.path.empty()) return sluice::error{"--file PATH is required"};
        if (!options.job) return sluice::error{"--job NAME is required, e.g. --job randread-qd1"};
        chosen = *options.job;
        if (options.depth && chosen.kind != operation_kind::write_then_fdatasync) chosen.depth = options.depth;
        // One shard: on --cpu, else on the last cpu the runtime chose.
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return sluice::error{"sched_getaffinity failed"};
        const unsigned cpu = options.cpu.value_or(config.cpus.back());
        if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) {
            return sluice::error{"--cpu " + std::to_string(cpu) + " is not allowed here; pick one from taskset -p $$"};
        }
        config.cpus = {cpu};
        storage::engine_options engine;
        unsigned entries = 8;
        while (entries < chosen.depth) entries *= 2;
        engine.entries = entries;
        engine.buffer_count = chosen.depth;
        engine.buffer_size = chosen.block_size;
        engine.registered_files = options.registered_files;
        engine.max_submit_batch = options.max_submit_batch;
        engine.yield_to_io_workers = options.yield_to_io_workers;
        engine.io_worker_cpus = options.io_worker_cpus;
        config.shard_hooks.push_back(storage::engine::hook(engine));
        return {};
    });
    return app.run(int(args.size()), args.data(), [&]() -> task<int> { return run_job(options, chosen); });
}
