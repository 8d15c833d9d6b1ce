// Set-up failures end in one line naming the fix: io_uring refused (by
// kernel.io_uring_disabled, or seccomp — tried for real in a child process under a seccomp
// filter), and buffers beyond the locked-memory limit (tried for real in a child without
// CAP_IPC_LOCK and with a 64 KiB RLIMIT_MEMLOCK). The machine's own settings are never touched.
#include <boost/test/unit_test.hpp>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <functional>
#include <string>

#include "sluice/core/runtime.hh"
#include "sluice/core/topology.hh"
#include "sluice/storage/engine.hh"
#include "sluice/storage/setup_error.hh"

using namespace sluice;
using namespace sluice::storage;

namespace {

// Runs a one-shard runtime with a storage engine in a child process after `restrict`, and
// returns the start-up error line it got ("" if it started).
std::string start_error_in_child(const std::function<bool()>& restrict) {
    int channel[2];
    BOOST_REQUIRE_EQUAL(::pipe(channel), 0);
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        ::close(channel[0]);
        std::string line = "restriction failed";
        if (restrict()) {
            auto topo = topology::discover();
            runtime_config config;
            config.cpus = {topo.ok() ? topo->allowed_cpus()[0] : 0u};
            config.report_placement = false;
            engine_options options;
            options.report = false;
            config.shard_hooks.push_back(engine::hook(options));
            runtime engine_runtime(config);
            auto outcome = engine_runtime.run([]() -> task<int> { co_return 0; });
            line = outcome.ok() ? std::string() : outcome.message();
        }
        (void)!::write(channel[1], line.data(), line.size());
        ::_exit(0);
    }
    ::close(channel[1]);
    std::string line;
    char chunk[512];
    for (ssize_t got; (got = ::read(channel[0], chunk, sizeof chunk)) > 0;) line.append(chunk, std::size_t(got));
    ::close(channel[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return line;
}

bool deny_io_uring_setup_with_seccomp() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{sizeof filter / sizeof filter[0], filter};
    return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) == 0;
}

bool lock_little_memory_without_cap_ipc_lock() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) return false;
    data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
    data[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
    if (::syscall(SYS_capset, &header, data) != 0) return false;
    const rlimit small{64 * 1024, 64 * 1024};
    return ::setrlimit(RLIMIT_MEMLOCK, &small) == 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(setup_failures)

BOOST_AUTO_TEST_CASE(disabled_io_uring_names_the_sysctl_that_enables_it) {
    const std::string line = describe_setup_failure(EPERM, 0, 2);
    BOOST_TEST(line.find("kernel.io_uring_disabled=2") != std::string::npos, line);
    BOOST_TEST(line.find("sysctl kernel.io_uring_disabled=0") != std::string::npos, line);
    BOOST_TEST(line.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(io_uring_refused_by_seccomp_names_the_profile) {
    const std::string line = start_error_in_child(deny_io_uring_setup_with_seccomp);
    BOOST_TEST_MESSAGE(line);
    if (read_io_uring_disabled_setting() > 0) {
        BOOST_TEST(line.find("kernel.io_uring_disabled") != std::string::npos, line);
    } else {
        BOOST_TEST(line.find("storage: io_uring on shard 0: io_uring_setup failed") == 0, line);
        BOOST_TEST(line.find("seccomp") != std::string::npos, line);
    }
}

BOOST_AUTO_TEST_CASE(buffers_beyond_the_memlock_limit_name_ulimit) {
    const std::string line = start_error_in_child(lock_little_memory_without_cap_ipc_lock);
    BOOST_TEST_MESSAGE(line);
    BOOST_TEST(line.find("registering 1024 KiB of I/O buffers failed") != std::string::npos, line);
    BOOST_TEST(line.find("ulimit -l") != std::string::npos, line);
    BOOST_TEST(line.find("LimitMEMLOCK") != std::string::npos, line);
}

BOOST_AUTO_TEST_SUITE_END()
