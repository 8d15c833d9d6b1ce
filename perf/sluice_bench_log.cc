// sluice-bench-log: the durable log's group commit (lib/storage/log.hh), measured. One
// shard pinned to --cpu (spin idle policy unless --idle says otherwise) with a storage
// engine. For each count N in --appenders it opens a fresh log file under --dir, starts N
// coroutines that each append --record-size bytes in a loop until --seconds have passed,
// and reports appends/s, fdatasyncs/s, the average batch (appends per write + fdatasync,
// from the log's counters) and the append latency (HDR histogram, from the call to
// append() to the acknowledgement).
//
// The rate the target compares with, "one fdatasync per append", is measured in the same
// run twice over: the log with one appender (each append is one write and one fdatasync;
// the counters confirm batches == appends), and an external anchor run before and after
// the log points: a plain loop of pwrite(2) + fdatasync(2) on the shard's thread, on a file
// in the same directory, writing what the log writes for one record (with O_DIRECT: the
// aligned block(s) holding the record, the last partial block rewritten each time; the
// file preallocated in 64 MiB steps as the log does).
//
// Prints a table on stderr and one JSON line on stdout, writes the JSON to
// results/log-group-commit.json (making results/ when missing), and deletes its files.
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "perf/spin_by_default.hh"
#include "sluice/core/app.hh"
#include "sluice/core/clock.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/spawn.hh"
#include "sluice/metrics/hdr_histogram.hh"
#include "sluice/storage/dio_alignment.hh"
#include "sluice/storage/engine.hh"
#include "sluice/storage/log.hh"
#include "sluice/storage/log_record.hh"

#ifndef SLUICE_BUILD_ROOT
#define SLUICE_BUILD_ROOT "."
#endif

namespace {

using sluice::clock;
using sluice::task;
using sluice::metrics::hdr_histogram;
namespace storage = sluice::storage;

constexpr const char* program = "sluice-bench-log";
constexpr std::uint64_t preallocate_step = 64ull << 20;  // as log_options::preallocate_bytes
constexpr double target_ratio = 20.0;
constexpr unsigned target_appenders = 256;

hdr_histogram latency_histogram() { return hdr_histogram(1, 60'000'000'000, 3); }  // ns

struct bench_options {
    std::string dir = SLUICE_BUILD_ROOT;
    unsigned seconds = 3;
    unsigned record_size = 128;
    std::vector<unsigned> appenders{1, 16, 256};
    bool direct = true;
    std::optional<unsigned> cpu;
};

// ---------------------------------------------------------------------------------------
// The machine and the filesystem under --dir, for the report.

struct place {
    std::string fstype;  // from /proc/self/mountinfo, else statfs's magic
    std::string source;  // the mounted device, e.g. /dev/vda
    std::string disk;    // the whole block device behind it, e.g. vda (empty when none)
    std::string disk_detail;  // "256 GiB, scheduler mq-deadline, write cache write back, ..."
};

std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("model name")) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    }
    return "unknown";
}

std::string kernel_release() {
    utsname about{};
    return ::uname(&about) == 0 ? about.release : "unknown";
}

const char* fs_name(long magic) {
    switch (static_cast<unsigned long>(magic)) {
        case EXT4_SUPER_MAGIC: return "ext2/3/4";
        case XFS_SUPER_MAGIC: return "xfs";
        case BTRFS_SUPER_MAGIC: return "btrfs";
        case TMPFS_MAGIC: return "tmpfs";
        case RAMFS_MAGIC: return "ramfs";
        case OVERLAYFS_SUPER_MAGIC: return "overlay";
        case NFS_SUPER_MAGIC: return "nfs";
        default: return "unknown";
    }
}

place describe_place(const std::string& dir, long magic) {
    place found;
    found.fstype = fs_name(magic);
    struct stat about {};
    if (::stat(dir.c_str(), &about) != 0) return found;
    const unsigned major_id = major(about.st_dev), minor_id = minor(about.st_dev);
    const std::string wanted = std::to_string(major_id) + ":" + std::to_string(minor_id);
    std::ifstream mounts("/proc/self/mountinfo");
    for (std::string line; std::getline(mounts, line);) {
        // id parent MAJ:MIN root mountpoint options [optional...] - fstype source superoptions
        std::istringstream fields(line);
        std::string id, parent, devno;
        fields >> id >> parent >> devno;
        if (devno != wanted) continue;
        const auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream tail(line.substr(dash + 3));
        tail >> found.fstype >> found.source;  // the last matching mount wins (it is on top)
    }
    // /sys/dev/block/MAJ:MIN -> .../block/vda or .../block/vda/vda1 (a partition).
    std::error_code ec;
    std::filesystem::path sys = std::filesystem::canonical("/sys/dev/block/" + wanted, ec);
    if (ec) return found;
    if (std::filesystem::exists(sys / "partition", ec)) sys = sys.parent_path();
    found.disk = sys.filename().string();
    const std::string sectors = read_first_line((sys / "size").string());
    std::string detail;
    if (!sectors.empty()) {
        const double gib = double(std::strtoull(sectors.c_str(), nullptr, 10)) * 512.0 / double(1ull << 30);
        char text[64];
        std::snprintf(text, sizeof text, "%.0f GiB", gib);
        detail = text;
    }
    auto add = [&detail](const std::string& what, const std::string& value) {
        if (value.empty()) return;
        if (!detail.empty()) detail += ", ";
        detail += what + " " + value;
    };
    add("model", read_first_line((sys / "device/model").string()));
    std::string scheduler = read_first_line((sys / "queue/scheduler").string());  // "none [mq-deadline] kyber"
    if (const auto open = scheduler.find('['), close = scheduler.find(']'); open < close && close != std::string::npos) {
        scheduler = scheduler.substr(open + 1, close - open - 1);
    }
    add("scheduler", scheduler);
    add("write cache", read_first_line((sys / "queue/write_cache").string()));
    add("rotational", read_first_line((sys / "queue/rotational").string()));
    add("logical block", read_first_line((sys / "queue/logical_block_size").string()));
    found.disk_detail = detail;
    return found;
}

// ---------------------------------------------------------------------------------------
// One point: N appenders on a fresh log.

struct point_result {
    unsigned appenders = 0;
    double elapsed_s = 0;
    std::uint64_t appends = 0;  // acknowledged during the point (the log's counter)
    storage::log_counters counters;
    hdr_histogram latency = latency_histogram();
    double appends_per_s() const { return elapsed_s > 0 ? double(appends) / elapsed_s : 0.0; }
    double syncs_per_s() const { return elapsed_s > 0 ? double(counters.fdatasyncs) / elapsed_s : 0.0; }
    double avg_batch() const { return counters.batches ? double(counters.appends) / double(counters.batches) : 0.0; }
};

struct point_state {
    storage::log* log = nullptr;
    clock::time_point stop_at{};
    clock::time_point last_ack{};
    hdr_histogram* latency = nullptr;
    unsigned running = 0;
    std::coroutine_handle<> waiting_main;
    std::string failure;
};

// co_await every_appender_done{state}: resumes main once the last appender has ended.
struct every_appender_done {
    point_state& state;
    bool await_ready() const noexcept { return state.running == 0; }
    void await_suspend(std::coroutine_handle<> main) noexcept { state.waiting_main = main; }
    void await_resume() const noexcept {}
};

task<void> appender(point_state& state, std::vector<std::byte> payload) {
    while (state.failure.empty()) {
        const clock::time_point start = clock::now();
        if (start >= state.stop_at) break;
        const storage::append_result acked = co_await state.log->append(payload);
        const clock::time_point finish = clock::now();
        if (!acked.status.ok()) {
            if (state.failure.empty()) state.failure = acked.status.message();
            break;
        }
        state.latency->record((finish - start).count());
        state.last_ack = std::max(state.last_ack, finish);
    }
    if (--state.running == 0 && state.waiting_main) sluice::this_shard().schedule(state.waiting_main);
}

// Removes a file when it goes out of scope (every exit path of a point).
struct remove_at_exit {
    std::string path;
    ~remove_at_exit() {
        if (!path.empty()) ::unlink(path.c_str());
    }
};

task<std::optional<point_result>> run_point(const bench_options& options, unsigned appenders, unsigned index) {
    const std::string path =
        options.dir + "/sluice-bench-log." + std::to_string(::getpid()) + "." + std::to_string(index) + ".log";
    ::unlink(path.c_str());
    remove_at_exit cleanup{path};
    auto opened = co_await storage::log::open(path, {.direct = options.direct});
    if (!opened.status.ok()) {
        std::fprintf(stderr, "%s: %s\n", program, opened.status.message().c_str());
        co_return std::nullopt;
    }
    storage::log& log = *opened.opened;
    if (options.record_size > log.max_record_bytes()) {
        std::fprintf(stderr, "%s: --record-size %u is over the log's largest record (%zu bytes); pick a smaller one\n",
                     program, options.record_size, log.max_record_bytes());
        (void)co_await log.close();
        co_return std::nullopt;
    }

    point_result result;
    result.appenders = appenders;
    point_state state;
    state.log = &log;
    state.latency = &result.latency;
    const clock::time_point began = clock::now();
    state.stop_at = began + std::chrono::seconds(options.seconds);
    state.last_ack = began;
    state.running = appenders;
    for (unsigned i = 0; i < appenders; ++i) {
        std::vector<std::byte> payload(options.record_size);
        for (std::size_t at = 0; at < payload.size(); ++at) payload[at] = std::byte((i * 131 + at * 7 + 1) & 0xFF);
        sluice::spawn(appender(state, std::move(payload)));
    }
    co_await every_appender_done{state};
    result.counters = log.counters();
    const storage::io_result closed = co_await log.close();
    if (!state.failure.empty()) {
        std::fprintf(stderr, "%s: %u appenders: %s\n", program, appenders, state.failure.c_str());
        co_return std::nullopt;
    }
    if (!closed.ok()) {
        std::fprintf(stderr, "%s: closing %s: %s\n", program, path.c_str(), closed.message().c_str());
        co_return std::nullopt;
    }
    result.appends = result.counters.appends;
    result.elapsed_s = std::chrono::duration<double>(state.last_ack - began).count();
    co_return result;
}

// ---------------------------------------------------------------------------------------
// The anchor: pwrite + fdatasync per record, plain system calls on the shard's thread.

struct anchor_result {
    double elapsed_s = 0;
    std::uint64_t pairs = 0;
    std::size_t write_bytes = 0;  // bytes per pwrite (the last one)
    hdr_histogram latency = latency_histogram();
    double per_s() const { return elapsed_s > 0 ? double(pairs) / elapsed_s : 0.0; }
};

std::optional<anchor_result> run_anchor(const bench_options& options, const char* label) {
    const std::string path = options.dir + "/sluice-bench-log." + std::to_string(::getpid()) + ".anchor-" + label;
    ::unlink(path.c_str());
    remove_at_exit cleanup{path};
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | (options.direct ? O_DIRECT : 0), 0644);
    if (fd < 0) {
        std::fprintf(stderr, "%s: open %s: %s\n", program, path.c_str(), std::strerror(errno));
        return std::nullopt;
    }
    struct close_at_exit {
        int fd;
        ~close_at_exit() { ::close(fd); }
    } closer{fd};

    const std::size_t record = storage::encoded_log_record_bytes(options.record_size);
    std::size_t block = 1, memory_alignment = 64;
    if (options.direct) {
        const storage::dio_alignment alignment = storage::query_dio_alignment(fd);
        block = std::max<std::size_t>(alignment.offset, 1);
        memory_alignment = std::max<std::size_t>({4096, alignment.memory, block});
    }
    const std::size_t buffer_bytes = (record + 2 * block + memory_alignment - 1) / memory_alignment * memory_alignment;
    std::unique_ptr<std::byte, void (*)(void*)> buffer{
        static_cast<std::byte*>(std::aligned_alloc(memory_alignment, buffer_bytes)), std::free};
    if (!buffer) {
        std::fprintf(stderr, "%s: no memory for the anchor's buffer\n", program);
        return std::nullopt;
    }
    for (std::size_t at = 0; at < buffer_bytes; ++at) buffer.get()[at] = std::byte((at * 13 + 5) & 0xFF);

    anchor_result result;
    std::uint64_t end = 0, allocated = 0;
    bool preallocation_works = true;
    const clock::time_point began = clock::now();
    const clock::time_point stop_at = began + std::chrono::seconds(options.seconds);
    clock::time_point last = began;
    for (;;) {
        const clock::time_point start = clock::now();
        if (start >= stop_at) break;
        // What the log writes for a batch of one record: from the block holding the end of
        // the log to the block boundary after the new record (O_DIRECT), or the record alone.
        const std::uint64_t from = end / block * block;
        const std::uint64_t to = (end + record + block - 1) / block * block;
        const std::size_t length = std::size_t(to - from);
        if (preallocation_works && to > allocated) {
            const std::uint64_t step = std::max<std::uint64_t>(preallocate_step, to - allocated);
            if (::fallocate(fd, 0, off_t(allocated), off_t(step)) == 0) {
                allocated += step;
            } else if (errno == EOPNOTSUPP) {
                preallocation_works = false;
            } else {
                std::fprintf(stderr, "%s: fallocate %s: %s\n", program, path.c_str(), std::strerror(errno));
                return std::nullopt;
            }
        }
        const ssize_t wrote = ::pwrite(fd, buffer.get(), length, off_t(from));
        if (wrote != ssize_t(length)) {
            std::fprintf(stderr, "%s: pwrite %s: %s\n", program, path.c_str(),
                         wrote < 0 ? std::strerror(errno) : "short write");
            return std::nullopt;
        }
        if (::fdatasync(fd) != 0) {
            std::fprintf(stderr, "%s: fdatasync %s: %s\n", program, path.c_str(), std::strerror(errno));
            return std::nullopt;
        }
        last = clock::now();
        result.latency.record((last - start).count());
        ++result.pairs;
        result.write_bytes = length;
        end += record;
    }
    result.elapsed_s = std::chrono::duration<double>(last - began).count();
    return result;
}

// ---------------------------------------------------------------------------------------
// Report.

std::string with_commas(double value) {
    const auto whole = static_cast<unsigned long long>(value + 0.5);
    std::string digits = std::to_string(whole), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string micros(const hdr_histogram& h, double percentile) {
    char text[32];
    const double us = double(h.value_at_percentile(percentile)) / 1000.0;
    std::snprintf(text, sizeof text, us < 100 ? "%.1f" : "%.0f", us);
    return text;
}

// value / base, or 0 when nothing was measured for the base (keeps inf out of the JSON).
double ratio(double value, double base) { return base > 0 ? value / base : 0.0; }

std::string ratio_text(double value) {
    char text[32];
    std::snprintf(text, sizeof text, value >= 10 ? "%.1fx" : "%.2fx", value);
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

std::string json_latency(const hdr_histogram& h) {
    char text[512];
    std::snprintf(text, sizeof text,
                  "{\"count\":%llu,\"min\":%lld,\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,\"p99.9\":%lld,"
                  "\"p99.99\":%lld,\"max\":%lld}",
                  static_cast<unsigned long long>(h.count()), static_cast<long long>(h.min()),
                  static_cast<long long>(h.value_at_percentile(50)), static_cast<long long>(h.value_at_percentile(90)),
                  static_cast<long long>(h.value_at_percentile(99)), static_cast<long long>(h.value_at_percentile(99.9)),
                  static_cast<long long>(h.value_at_percentile(99.99)), static_cast<long long>(h.max()));
    return text;
}

std::string json_number(double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%.3f", value);
    return text;
}

std::string json_anchor(const anchor_result& a) {
    return "{\"pairs\":" + std::to_string(a.pairs) + ",\"elapsed_s\":" + json_number(a.elapsed_s) +
           ",\"per_s\":" + json_number(a.per_s()) + ",\"write_bytes\":" + std::to_string(a.write_bytes) +
           ",\"lat_ns\":" + json_latency(a.latency) + "}";
}

task<int> run_bench(const bench_options& options, const place& where) {
    if (!storage::engine::current()) {
        std::fprintf(stderr, "%s: no storage engine on this shard\n", program);
        co_return 1;
    }
    const unsigned cpu = sluice::this_shard().cpu();
    const std::size_t record = storage::encoded_log_record_bytes(options.record_size);
    std::fprintf(stderr, "%s: %u s per point, %u-byte records (%zu with the header), %s, cpu %u, %s on %s (%s)\n",
                 program, options.seconds, options.record_size, record, options.direct ? "O_DIRECT" : "buffered", cpu,
                 where.fstype.c_str(), where.source.c_str(), options.dir.c_str());

    auto before = run_anchor(options, "before");
    if (!before) co_return 1;
    std::vector<point_result> points;
    for (std::size_t i = 0; i < options.appenders.size(); ++i) {
        auto point = co_await run_point(options, options.appenders[i], unsigned(i));
        if (!point) co_return 1;
        points.push_back(std::move(*point));
    }
    auto after = run_anchor(options, "after");
    if (!after) co_return 1;

    // The denominators: the log's own 1-appender point (when measured), and the faster of
    // the two anchor runs (the conservative choice for a ratio that must reach 20x).
    const point_result* single = nullptr;
    const point_result* target_point = nullptr;
    for (const auto& p : points) {
        if (p.appenders == 1 && !single) single = &p;
        if (p.appenders == target_appenders) target_point = &p;
    }
    const double anchor_rate = std::max(before->per_s(), after->per_s());
    const double single_rate = single ? single->appends_per_s() : 0.0;

    // The table.
    std::fprintf(stderr, "%-26s %11s %13s %10s %9s %9s %9s %14s %14s\n", "what", "appends/s", "fdatasyncs/s",
                 "avg batch", "p50 us", "p99 us", "p99.9 us", "vs 1 appender", "vs pwrite+sync");
    auto anchor_row = [&](const char* name, const anchor_result& a) {
        std::fprintf(stderr, "%-26s %11s %13s %10s %9s %9s %9s %14s %14s\n", name, with_commas(a.per_s()).c_str(),
                     with_commas(a.per_s()).c_str(), "1.00", micros(a.latency, 50).c_str(),
                     micros(a.latency, 99).c_str(), micros(a.latency, 99.9).c_str(),
                     single_rate > 0 ? ratio_text(a.per_s() / single_rate).c_str() : "-",
                     ratio_text(ratio(a.per_s(), anchor_rate)).c_str());
    };
    anchor_row("pwrite+fdatasync, before", *before);
    for (const auto& p : points) {
        const std::string name = "log, " + std::to_string(p.appenders) + (p.appenders == 1 ? " appender" : " appenders");
        char batch[32];
        std::snprintf(batch, sizeof batch, "%.2f", p.avg_batch());
        std::fprintf(stderr, "%-26s %11s %13s %10s %9s %9s %9s %14s %14s\n", name.c_str(),
                     with_commas(p.appends_per_s()).c_str(), with_commas(p.syncs_per_s()).c_str(), batch,
                     micros(p.latency, 50).c_str(), micros(p.latency, 99).c_str(), micros(p.latency, 99.9).c_str(),
                     single_rate > 0 ? ratio_text(p.appends_per_s() / single_rate).c_str() : "-",
                     ratio_text(ratio(p.appends_per_s(), anchor_rate)).c_str());
    }
    anchor_row("pwrite+fdatasync, after", *after);
    std::fprintf(stderr, "(ratios against pwrite+fdatasync use the faster of its two runs, %s/s)\n",
                 with_commas(anchor_rate).c_str());

    bool one_sync_per_append = false;
    if (single) {
        const auto& c = single->counters;
        one_sync_per_append = c.batches == c.appends && c.fdatasyncs == c.appends;
        std::fprintf(stderr, "1 appender: %llu appends, %llu batches, %llu fdatasyncs: %s\n",
                     static_cast<unsigned long long>(c.appends), static_cast<unsigned long long>(c.batches),
                     static_cast<unsigned long long>(c.fdatasyncs),
                     one_sync_per_append ? "one write + one fdatasync per append (confirmed)"
                                         : "NOT one fdatasync per append");
    }
    std::string verdict = "not measured (no 256-appender point)";
    bool met = false;
    double vs_single = 0, vs_anchor = 0;
    if (target_point) {
        vs_anchor = ratio(target_point->appends_per_s(), anchor_rate);
        vs_single = single_rate > 0 ? target_point->appends_per_s() / single_rate : 0.0;
        met = vs_anchor >= target_ratio && (!single || vs_single >= target_ratio);
        verdict = std::string(met ? "met" : "NOT met") + ": " +
                  (single ? ratio_text(vs_single) + " the 1-appender rate, " : std::string{}) +
                  ratio_text(vs_anchor) + " pwrite+fdatasync";
    }
    std::fprintf(stderr, "target: %u appenders >= %.0fx the rate of one fdatasync per append: %s\n", target_appenders,
                 target_ratio, verdict.c_str());

    // One JSON line.
    std::string out = "{\"tool\":\"sluice-bench-log\",\"dir\":" + json_string(options.dir) +
                      ",\"seconds\":" + std::to_string(options.seconds) +
                      ",\"record_size\":" + std::to_string(options.record_size) +
                      ",\"record_bytes_with_header\":" + std::to_string(record) +
                      ",\"direct\":" + (options.direct ? "true" : "false") + ",\"cpu\":" + std::to_string(cpu) +
                      ",\"idle\":" +
                      (sluice::this_shard().config().idle == sluice::idle_policy::spin ? "\"spin\"" : "\"adaptive\"") +
                      ",\"machine\":{\"cpu_model\":" + json_string(cpu_model()) +
                      ",\"kernel\":" + json_string(kernel_release()) + ",\"fstype\":" + json_string(where.fstype) +
                      ",\"source\":" + json_string(where.source) + ",\"disk\":" + json_string(where.disk) +
                      ",\"disk_detail\":" + json_string(where.disk_detail) +
                      ",\"engine\":" + json_string(storage::engine::current()->description()) + "}" +
                      ",\"anchor_before\":" + json_anchor(*before) + ",\"anchor_after\":" + json_anchor(*after) +
                      ",\"anchor_rate\":" + json_number(anchor_rate) + ",\"points\":[";
    for (std::size_t i = 0; i < points.size(); ++i) {
        const auto& p = points[i];
        const auto& c = p.counters;
        if (i) out += ",";
        out += "{\"appenders\":" + std::to_string(p.appenders) + ",\"elapsed_s\":" + json_number(p.elapsed_s) +
               ",\"appends\":" + std::to_string(c.appends) + ",\"batches\":" + std::to_string(c.batches) +
               ",\"fdatasyncs\":" + std::to_string(c.fdatasyncs) + ",\"bytes\":" + std::to_string(c.bytes) +
               ",\"bytes_written\":" + std::to_string(c.bytes_written) +
               ",\"max_batch_records\":" + std::to_string(c.max_batch_records) +
               ",\"waited_for_room\":" + std::to_string(c.waited_for_room) +
               ",\"preallocations\":" + std::to_string(c.preallocations) +
               ",\"appends_per_s\":" + json_number(p.appends_per_s()) +
               ",\"fdatasyncs_per_s\":" + json_number(p.syncs_per_s()) + ",\"avg_batch\":" + json_number(p.avg_batch()) +
               ",\"vs_1_appender\":" + json_number(single_rate > 0 ? p.appends_per_s() / single_rate : 0.0) +
               ",\"vs_pwrite_fdatasync\":" + json_number(ratio(p.appends_per_s(), anchor_rate)) +
               ",\"lat_ns\":" + json_latency(p.latency) + "}";
    }
    out += "],\"one_fdatasync_per_append_at_1\":" + std::string(single ? (one_sync_per_append ? "true" : "false") : "null") +
           ",\"target\":{\"appenders\":" + std::to_string(target_appenders) +
           ",\"ratio\":" + json_number(target_ratio) + ",\"measured\":" + (target_point ? "true" : "false") +
           ",\"vs_1_appender\":" + json_number(vs_single) + ",\"vs_pwrite_fdatasync\":" + json_number(vs_anchor) +
           ",\"met\":" + (met ? "true" : "false") + "}}";
    std::printf("%s\n", out.c_str());
    std::fflush(stdout);

    std::error_code ec;
    std::filesystem::create_directories("results", ec);
    std::ofstream saved("results/log-group-commit.json");
    if (saved << out << '\n') std::fprintf(stderr, "%s: wrote results/log-group-commit.json\n", program);
    else std::fprintf(stderr, "%s: could not write results/log-group-commit.json (the figures are above)\n", program);
    co_return 0;
}

std::optional<std::vector<unsigned>> parse_list(std::string_view text) {
    std::vector<unsigned> values;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
        if (ec != std::errc{} || end != item.data() + item.size() || value == 0 || value > 65536) return std::nullopt;
        values.push_back(value);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
        if (text.empty()) return std::nullopt;  // a trailing comma
    }
    if (values.empty()) return std::nullopt;
    return values;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> args = sluice::bench::arguments_with_spin_by_default(argc, argv);

    sluice::app app("sluice-bench-log",
                    "the durable log's group commit: appends/s at 1, 16, 256 concurrent appenders, against one "
                    "fdatasync per append");
    bench_options options;
    bool direct_flag = false, buffered_flag = false;
    auto& cli = app.options();
    cli.add_option("dir", "DIR",
                   "where the log files go, on a disk filesystem, not tmpfs (default: the build folder, " SLUICE_BUILD_ROOT
                   ")",
                   [&](std::string_view text) -> sluice::result<void> {
                       options.dir = std::string(text);
                       return {};
                   }, "/var/tmp");
    cli.add_count("seconds", "seconds per point (default 3)", options.seconds, 1, 3600, "3");
    cli.add_count("record-size", "payload bytes per append (default 128; the log adds a 24-byte header)",
                  options.record_size, 1, 16u << 20, "128");
    cli.add_option("appenders", "LIST", "concurrent appenders per point, comma-separated (default 1,16,256)",
                   [&](std::string_view text) -> sluice::result<void> {
                       auto list = parse_list(text);
                       if (!list) return sluice::error{"--appenders needs counts from 1 to 65536, e.g. 1,16,256"};
                       options.appenders = std::move(*list);
                       return {};
                   }, "1,16,256");
    cli.add_flag("direct", "O_DIRECT, as the log defaults (the default)", direct_flag);
    cli.add_flag("buffered", "through the page cache (log_options::direct = false)", buffered_flag);
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

    place where;
    app.on_prepare([&](sluice::runtime_config& config) -> sluice::result<void> {
        if (direct_flag && buffered_flag) return sluice::error{"--direct and --buffered exclude each other; pick one"};
        options.direct = !buffered_flag;
        struct statfs fs {};
        if (::statfs(options.dir.c_str(), &fs) != 0) {
            return sluice::error{"--dir " + options.dir + ": " + std::strerror(errno) + "; pass an existing directory"};
        }
        if (static_cast<unsigned long>(fs.f_type) == TMPFS_MAGIC || static_cast<unsigned long>(fs.f_type) == RAMFS_MAGIC) {
            return sluice::error{"--dir " + options.dir + " is on " + fs_name(fs.f_type) +
                                 ": no disk behind it, so fdatasync costs nothing there; pass --dir on a disk "
                                 "filesystem (ext4, xfs)"};
        }
        where = describe_place(options.dir, fs.f_type);
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return sluice::error{"sched_getaffinity failed"};
        const unsigned cpu = options.cpu.value_or(config.cpus.back());
        if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) {
            return sluice::error{"--cpu " + std::to_string(cpu) + " is not allowed here; pick one from taskset -p $$"};
        }
        config.cpus = {cpu};
        // The engine's defaults: each log takes one 64 KiB pool buffer as its batch buffer
        // (a batch holds up to 64 KiB less one block of records, some 400 of 152 bytes).
        config.shard_hooks.push_back(storage::engine::hook(storage::engine_options{}));
        return {};
    });
    return app.run(int(args.size()), args.data(), [&]() -> task<int> { return run_bench(options, where); });
}
