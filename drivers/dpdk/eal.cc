// EAL start-up. rte_eal_init reports failure as -1 and an rte_errno, after logging its
// reason and (for bad arguments) printing its usage to stdout. We keep its log in memory,
// keep stdout quiet while it runs, and turn errno plus its last "EAL:" line into one line
// that names the fix.
#include "drivers/dpdk/eal.hh"

#include <fcntl.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>

#include "lib/core/cpu_list.hh"
#include "lib/core/shard.hh"
#include "lib/core/topology.hh"

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

long hugepages_reserved() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    long value = 0;
    while (meminfo >> key >> value) {
        if (key == "HugePages_Total:") return value;
        meminfo.ignore(256, '\n');
    }
    return 0;
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
    if (!has_option(args, {"--no-huge"}) && hugepages_reserved() == 0) {
        return error{"no hugepages are reserved: reserve some (echo 512 > /proc/sys/vm/nr_hugepages) or pass --no-huge after --"};
    }
    auto topo = topology::discover();
    if (!topo) return topo.failure();
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
