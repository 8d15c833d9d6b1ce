// Set-up failures become one line that names the fix, never a bare errno.
// Sources: io_uring_setup(2) ERRORS; Documentation/admin-guide/sysctl/kernel.rst
// (io_uring_disabled: 0 allowed, 1 only for io_uring_group members, 2 nobody);
// io_uring_register(2) (IORING_REGISTER_BUFFERS pins pages against RLIMIT_MEMLOCK
// unless the process has CAP_IPC_LOCK).
#include "sluice/storage/setup_error.hh"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace sluice::storage {

int read_io_uring_disabled_setting() noexcept {
    std::FILE* setting = std::fopen("/proc/sys/kernel/io_uring_disabled", "r");
    if (!setting) return -1;
    int value = -1;
    if (std::fscanf(setting, "%d", &value) != 1) value = -1;
    std::fclose(setting);
    return value;
}

std::string describe_setup_failure(int error_number, unsigned shard_id, int disabled_setting) {
    const std::string where = "storage: io_uring on shard " + std::to_string(shard_id) + ": ";
    switch (error_number) {
    case EPERM:
    case ENOSYS:
        // io_uring_setup(2): EPERM when kernel.io_uring_disabled forbids it (or a seccomp
        // filter denies the call with EPERM); ENOSYS when the kernel lacks io_uring or
        // seccomp/containers return ENOSYS for unknown calls.
        if (disabled_setting > 0) {
            return where + "io_uring is disabled (kernel.io_uring_disabled=" + std::to_string(disabled_setting) +
                   "); enable it with `sysctl kernel.io_uring_disabled=0`";
        }
        return where + "io_uring_setup failed (" + std::strerror(error_number) +
               "): io_uring is blocked by seccomp or a container profile, or the kernel lacks it; "
               "allow io_uring_setup/io_uring_enter/io_uring_register in the seccomp profile "
               "(e.g. docker --security-opt seccomp=unconfined) and check `sysctl kernel.io_uring_disabled` is 0";
    case ENOMEM:
        return where + "io_uring_setup failed (out of memory for the rings): lower the ring entries, or raise "
                       "the locked-memory limit (`ulimit -l`, LimitMEMLOCK= in the systemd unit)";
    case EINVAL:
        return where + "io_uring_setup rejected every set-up this engine tries (EINVAL): the kernel is too old "
                       "for Sluice's storage (needs 5.19 or later)";
    default:
        return where + "io_uring_setup failed: " + std::strerror(error_number);
    }
}

std::string describe_buffer_registration_failure(int error_number, unsigned shard_id, std::size_t bytes) {
    const std::string where = "storage: shard " + std::to_string(shard_id) + ": registering " +
                              std::to_string(bytes / 1024) + " KiB of I/O buffers failed: ";
    if (error_number == ENOMEM || error_number == EPERM) {
        return where + "the locked-memory limit is too low; raise it with `ulimit -l unlimited` (or "
                       "LimitMEMLOCK=infinity in the systemd unit, memlock in /etc/security/limits.conf), "
                       "or use fewer or smaller buffers";
    }
    return where + std::strerror(error_number);
}

}  // namespace sluice::storage
