// EAL start-up. rte_eal_init reports failure as -1 and an rte_errno, after logging its
// reason and (for bad arguments) printing its usage to stdout. We keep its log in memory,
// keep stdout quiet while it runs, and turn errno plus its last "EAL:" line into one line
// that names the fix.
#include "sluice/dpdk/eal.hh"

#include <fcntl.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "sluice/core/cpu_list.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/topology.hh"

namespace sluice::dpdk {
namespace {

bool has_option(const std::vector<std::string>& args, std::initializer_list<std::string_view> names) {
    for (const auto& arg : args) {
        for (std::string_view name : names) {
            if (arg == name) return true;
            // "--name=value", and short options with their value attached ("-l0-1").
            if (arg.size() > name.size() && arg.compare(0, name.size(), name) == 0 &&
                (name.size() == 2 || arg[name.size()] == '=')) {
                return true;
            }
        }
    }
    return false;
}

// "hugepages-2048kB" -> 2048; "node12" -> 12. nullopt for any other name.
std::optional<std::uint64_t> number_after(std::string_view name, std::string_view prefix, std::string_view suffix) {
    if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix)) {
        return std::nullopt;
    }
    const std::string_view digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

std::uint64_t read_count(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::uint64_t value = 0;
    return in >> value ? value : 0;
}

// Appends one hugepage_count per hugepages-<size>kB folder under `folder`.
void read_sizes(const std::filesystem::path& folder, int node, std::vector<hugepage_count>& counts) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
        const auto kib = number_after(entry.path().filename().native(), "hugepages-", "kB");
        if (!kib) continue;
        counts.push_back({node, *kib, read_count(entry.path() / "nr_hugepages"),
                          read_count(entry.path() / "free_hugepages")});
    }
}

// The default page size's counts from /proc/meminfo, as node -1; nullopt if unreadable.
std::optional<hugepage_count> read_meminfo(const std::string& path) {
    std::ifstream meminfo(path);
    if (!meminfo) return std::nullopt;
    hugepage_count count{-1, 0, 0, 0};
    bool seen = false;
    std::string key;
    std::uint64_t value = 0;
    while (meminfo >> key >> value) {  // "HugePages_Total:    512", "Hugepagesize:  2048 kB"
        if (key == "HugePages_Total:") count.reserved = value, seen = true;
        if (key == "HugePages_Free:") count.free = value;
        if (key == "Hugepagesize:") count.page_kib = value;
        meminfo.ignore(256, '\n');
    }
    if (!seen) return std::nullopt;
    return count;
}

std::string page_size_name(std::uint64_t kib) {
    if (kib % (1024 * 1024) == 0) return std::to_string(kib / (1024 * 1024)) + " GiB";
    if (kib % 1024 == 0) return std::to_string(kib / 1024) + " MiB";
    return std::to_string(kib) + " KiB";
}

std::string join_nodes(const std::vector<int>& nodes) {
    std::string out;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (i != 0) out += i + 1 == nodes.size() ? " and " : ", ";
        out += std::to_string(nodes[i]);
    }
    return out;
}

// "2 MiB pages on node 0 (echo 512 > <path>)": 1 GiB more in the smallest size offered
// (the one the kernel can still find free memory for at run time), on the nodes the
// shards may run on if sysfs lists them, else on every node it lists.
std::string how_to_reserve(const std::string& sysfs_root, bool from_sysfs, const std::vector<hugepage_count>& counts,
                           const std::vector<unsigned>& local_nodes) {
    std::uint64_t kib = 0;
    for (const auto& count : counts) {
        if (count.page_kib != 0 && (kib == 0 || count.page_kib < kib)) kib = count.page_kib;
    }
    if (kib == 0) kib = 2048;  // meminfo without a Hugepagesize line
    std::vector<int> listed, local;
    for (const auto& count : counts) {
        if (count.node < 0 || std::find(listed.begin(), listed.end(), count.node) != listed.end()) continue;
        listed.push_back(count.node);
        if (std::find(local_nodes.begin(), local_nodes.end(), unsigned(count.node)) != local_nodes.end()) {
            local.push_back(count.node);
        }
    }
    const std::vector<int>& nodes = local.empty() ? listed : local;
    const int first_node = nodes.empty() ? -1 : nodes.front();
    std::uint64_t pages = std::max<std::uint64_t>(1, (1024 * 1024) / kib);
    for (const auto& count : counts) {
        if (count.node == first_node && count.page_kib == kib) pages += count.reserved;  // nr_hugepages is a total
    }
    const std::string size_folder = "hugepages-" + std::to_string(kib) + "kB";
    std::string path;
    if (!from_sysfs) {
        path = "/proc/sys/vm/nr_hugepages";  // meminfo knows only the default size
    } else if (nodes.empty()) {
        path = sysfs_root + "/kernel/mm/hugepages/" + size_folder + "/nr_hugepages";
    } else {
        path = sysfs_root + "/devices/system/node/node" + std::to_string(first_node) + "/hugepages/" + size_folder +
               "/nr_hugepages";
    }
    std::string fix = page_size_name(kib) + " pages";
    if (!nodes.empty()) fix += (nodes.size() > 1 ? " on nodes " : " on node ") + join_nodes(nodes);
    fix += " (echo " + std::to_string(pages) + " > " + path;
    if (nodes.size() > 1) fix += ", and likewise for the other node" + std::string(nodes.size() > 2 ? "s" : "");
    return fix + ")";
}

// What went wrong, in EAL's words: getopt's complaint if there is one ("unrecognized
// option '--bogus'"), else the last line EAL logged, without its "EAL: " prefix.
std::string last_eal_line(const std::string& log) {
    for (const char* complaint : {"unrecognized option", "invalid option", "requires an argument"}) {
        const std::size_t at = log.find(complaint);
        if (at != std::string::npos) return log.substr(at, log.find('\n', at) - at);
    }
    std::string last;
    std::size_t start = 0;
    while (start < log.size()) {
        std::size_t end = log.find('\n', start);
        if (end == std::string::npos) end = log.size();
        std::string_view line(log.data() + start, end - start);
        if (line.rfind("EAL: ", 0) == 0 && line.find("Detected") == std::string_view::npos) {
            last = std::string(line.substr(5));
        }
        start = end + 1;
    }
    while (!last.empty() && (last.back() == '.' || last.back() == ' ')) last.pop_back();
    return last;
}

std::string explain_failure(int code, const std::string& log) {
    const std::string detail = last_eal_line(log);
    const std::string seen = detail.empty() ? "" : " (EAL: " + detail + ")";
    switch (code) {
        case ENODEV:
            return "DPDK EAL: no such device" + seen + "; check the --vdev and -a names after -- (e.g. --vdev=net_ring0)";
        case EINVAL:
            return "DPDK EAL: invalid arguments" + seen + "; check the EAL arguments after -- (dpdk-testpmd --help lists them)";
        case EACCES:
            return "DPDK EAL: permission denied" + seen +
                   "; run as root, or reserve hugepages (echo 512 > /proc/sys/vm/nr_hugepages), or pass --no-huge after --";
        case ENOMEM:
            return "DPDK EAL: not enough memory" + seen + "; reserve more hugepages or lower -m after --";
        case EALREADY:
            return "DPDK EAL is already running in this process; start it once";
        default:
            return std::string("DPDK EAL failed to start: ") + rte_strerror(code) + seen +
                   "; run with SLUICE_EAL_LOG=1 to see EAL's log";
    }
}

// While alive, sends stdout (EAL prints its usage there on bad arguments) to /dev/null
// and stderr (getopt's own complaints) to a temporary file that text() reads back.
class quiet_terminal {
public:
    quiet_terminal() : captured_(std::tmpfile()) {
        std::fflush(stdout);
        std::fflush(stderr);
        saved_out_ = dup(STDOUT_FILENO);
        saved_err_ = dup(STDERR_FILENO);
        const int null_fd = open("/dev/null", O_WRONLY);
        if (null_fd >= 0) {
            dup2(null_fd, STDOUT_FILENO);
            close(null_fd);
        }
        if (captured_) dup2(fileno(captured_), STDERR_FILENO);
    }
    ~quiet_terminal() {
        restore();
        if (captured_) std::fclose(captured_);
    }
    std::string text() {
        restore();
        std::string out;
        if (!captured_) return out;
        std::rewind(captured_);
        char buffer[512];
        while (std::fgets(buffer, sizeof buffer, captured_)) out += buffer;
        return out;
    }

private:
    void restore() {
        std::fflush(stdout);
        std::fflush(stderr);
        if (saved_out_ >= 0) dup2(saved_out_, STDOUT_FILENO), close(saved_out_), saved_out_ = -1;
        if (saved_err_ >= 0) dup2(saved_err_, STDERR_FILENO), close(saved_err_), saved_err_ = -1;
    }
    std::FILE* captured_;
    int saved_out_ = -1;
    int saved_err_ = -1;
};

}  // namespace

std::vector<hugepage_count> read_hugepage_counts(const std::string& sysfs_root) {
    std::vector<hugepage_count> counts;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(sysfs_root + "/devices/system/node", ec)) {
        const auto node = number_after(entry.path().filename().native(), "node", "");
        if (node) read_sizes(entry.path() / "hugepages", int(*node), counts);
    }
    if (counts.empty()) read_sizes(sysfs_root + "/kernel/mm/hugepages", -1, counts);  // a kernel without NUMA
    std::sort(counts.begin(), counts.end(), [](const hugepage_count& a, const hugepage_count& b) {
        return std::pair(a.node, a.page_kib) < std::pair(b.node, b.page_kib);
    });
    return counts;
}

result<void> check_hugepages(const std::string& sysfs_root, const std::string& meminfo_path,
                             const std::vector<unsigned>& local_nodes) {
    std::vector<hugepage_count> counts = read_hugepage_counts(sysfs_root);
    const bool from_sysfs = !counts.empty();
    if (!from_sysfs) {
        const auto meminfo = read_meminfo(meminfo_path);
        if (!meminfo) {
            return error{"cannot tell whether hugepages are reserved: neither " + sysfs_root +
                         "/kernel/mm/hugepages nor " + meminfo_path +
                         " can be read: mount sysfs and proc, or pass --no-huge after --"};
        }
        counts.push_back(*meminfo);
    }
    std::uint64_t reserved = 0;
    for (const auto& count : counts) {
        if (count.free != 0) return {};  // EAL maps what it needs from any node and size
        reserved += count.reserved;
    }
    const std::string fix = how_to_reserve(sysfs_root, from_sysfs, counts, local_nodes);
    if (reserved == 0) {
        const bool per_node = counts.front().node >= 0;
        return error{std::string(per_node ? "no hugepages are reserved on any node" : "no hugepages are reserved") +
                     ": reserve " + fix + " or pass --no-huge after --"};
    }
    return error{"all " + std::to_string(reserved) +
                 " reserved hugepages are in use (by another DPDK process, or by files one left in /dev/hugepages): "
                 "stop it or delete them, reserve more " + fix + ", or pass --no-huge after --"};
}

std::vector<std::string> eal_arguments(const std::string& program, std::vector<std::string> args,
                                       const std::vector<unsigned>& allowed_cpus) {
    std::vector<std::string> full{program};
    // EAL pins the main thread to lcore 0's cpus; give it every allowed cpu so that
    // pinning stays the runtime's job (each shard registers its own lcore).
    if (!has_option(args, {"-l", "-c", "--lcores"}) && !allowed_cpus.empty()) {
        full.push_back("--lcores=0@(" + format_cpu_list(allowed_cpus) + ")");
    }
    if (!has_option(args, {"--telemetry", "--no-telemetry"})) {
        full.push_back("--no-telemetry");  // no socket left behind
    }
    if (!has_option(args, {"--file-prefix"})) {
        full.push_back("--file-prefix=sluice-" + std::to_string(getpid()));
    }
    // Without hugepages EAL reserves only 64 MiB, too little for a pool per shard.
    if (has_option(args, {"--no-huge"}) && !has_option(args, {"-m", "--socket-mem"})) {
        full.push_back("-m");
        full.push_back("1024");
    }
    // One process owns its ports: no shared files (hugepage maps, config) to leave behind.
    if (!has_option(args, {"--in-memory", "--no-shconf", "--proc-type"})) {
        full.push_back(has_option(args, {"--no-huge"}) ? "--no-shconf" : "--in-memory");
    }
    full.insert(full.end(), args.begin(), args.end());
    return full;
}

result<std::unique_ptr<eal>> eal::start(const std::string& program, std::vector<std::string> args) {
    auto topo = topology::discover();
    if (!topo) return topo.failure();
    if (!has_option(args, {"--no-huge"})) {
        std::vector<unsigned> local_nodes;  // where the shards' pools will want their pages

        for (unsigned cpu : topo->allowed_cpus()) {
            const auto node = topo->numa_node_of(cpu);
            if (node && std::find(local_nodes.begin(), local_nodes.end(), *node) == local_nodes.end()) {
                local_nodes.push_back(*node);
            }
        }
        if (auto hugepages = check_hugepages("/sys", "/proc/meminfo", local_nodes); !hugepages) return hugepages.failure();
    }
    std::vector<std::string> full = eal_arguments(program, std::move(args), topo->allowed_cpus());
    std::vector<char*> argv;
    for (auto& arg : full) argv.push_back(arg.data());
    argv.push_back(nullptr);

    const bool show_log = std::getenv("SLUICE_EAL_LOG") != nullptr;
    char* log_buffer = nullptr;
    std::size_t log_size = 0;
    std::FILE* log_stream = show_log ? nullptr : open_memstream(&log_buffer, &log_size);
    if (log_stream) rte_openlog_stream(log_stream);
    int rc;
    std::string terminal;
    {
        quiet_terminal quiet;
        rc = rte_eal_init(int(argv.size() - 1), argv.data());
        terminal = quiet.text();
    }
    const int code = rte_errno;
    std::string log;
    if (log_stream) {
        std::fflush(log_stream);
        rte_openlog_stream(nullptr);  // back to stderr
        std::fclose(log_stream);
        log.assign(log_buffer ? log_buffer : "", log_size);
        std::free(log_buffer);
    }
    const std::string runtime_dir = rte_eal_get_runtime_dir() ? rte_eal_get_runtime_dir() : "";
    if (rc < 0) {
        if (!runtime_dir.empty()) rmdir(runtime_dir.c_str());  // only if EAL left it empty
        return error{explain_failure(code, terminal + log)};
    }
    return std::unique_ptr<eal>(new eal(runtime_dir, std::move(log)));
}

eal::eal(std::string runtime_dir, std::string startup_log)
    : runtime_dir_(std::move(runtime_dir)), startup_log_(std::move(startup_log)) {}

eal::~eal() {
    rte_eal_cleanup();
    if (!runtime_dir_.empty()) rmdir(runtime_dir_.c_str());
}

sluice::shard_hook eal::lcore_hook() {
    return {
        [](shard& s) -> result<void> {
            if (rte_thread_register() != 0) {
                return error{"shard " + std::to_string(s.id()) + " could not become a DPDK lcore (" +
                             rte_strerror(rte_errno) + "); RTE_MAX_LCORE is " + std::to_string(RTE_MAX_LCORE) +
                             ": use fewer shards"};
            }
            return {};
        },
        [](shard&) { rte_thread_unregister(); },
    };
}

}  // namespace sluice::dpdk
