// Test helpers for storage: run a body as the main task of a runtime whose shards carry a
// storage engine (engine::hook), and a scratch directory on a filesystem that takes
// O_DIRECT (tmpfs may not), removed with everything in it when the test ends; a tmpfs
// too small to hold much (ENOSPC); and a byte pattern to write and check by offset.
#pragma once

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sluice/core/config.hh"
#include "sluice/core/runtime.hh"
#include "sluice/core/task.hh"
#include "sluice/core/topology.hh"
#include "sluice/storage/engine.hh"

namespace sluice::testing {

inline runtime_config storage_config(unsigned shards, storage::engine_options options) {
    auto topo = topology::discover();
    BOOST_REQUIRE_MESSAGE(topo.ok(), (topo.ok() ? std::string() : topo.message()));
    runtime_config config;
    for (unsigned i = 0; i < shards; ++i) {
        config.cpus.push_back(topo->allowed_cpus()[i % topo->allowed_cpus().size()]);
    }
    config.idle = idle_policy::adaptive;
    config.report_placement = false;
    config.shard_hooks.push_back(storage::engine::hook(std::move(options)));
    return config;
}

inline int run_with_storage(unsigned shards, storage::engine_options options, std::function<task<int>()> body,
                            std::vector<shard_hook> extra_hooks = {}) {
    runtime_config config = storage_config(shards, std::move(options));
    for (auto& hook : extra_hooks) config.shard_hooks.push_back(std::move(hook));
    runtime engine(config);
    auto outcome = engine.run(std::move(body));
    BOOST_REQUIRE_MESSAGE(outcome.ok(), (outcome.ok() ? std::string() : outcome.message()));
    return *outcome;
}

inline storage::engine_options quiet_options() {
    storage::engine_options options;
    options.report = false;
    return options;
}

// Does `directory` accept O_DIRECT files? (tmpfs before 6.6 refuses with EINVAL.)
inline bool takes_direct_io(const std::string& directory) {
    const std::string probe = directory + "/.direct-probe";
    const int fd = ::open(probe.c_str(), O_CREAT | O_RDWR | O_DIRECT | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    ::close(fd);
    ::unlink(probe.c_str());
    return true;
}

// A fresh directory under /tmp, or under the current (build) directory when /tmp will not
// take O_DIRECT; removed with its contents on destruction.
class scratch_directory {
public:
    scratch_directory() {
        for (std::string base : {std::string("/tmp"), std::filesystem::current_path().string()}) {
            std::string pattern = base + "/sluice-storage-XXXXXX";
            if (!::mkdtemp(pattern.data())) continue;
            path_ = pattern;
            direct_ = takes_direct_io(path_);
            if (direct_) return;
            std::filesystem::remove_all(path_);
        }
        std::string pattern = "/tmp/sluice-storage-XXXXXX";  // buffered only
        BOOST_REQUIRE_MESSAGE(::mkdtemp(pattern.data()), "mkdtemp: " << std::strerror(errno));
        path_ = pattern;
    }
    scratch_directory(const scratch_directory&) = delete;
    ~scratch_directory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    bool direct_io() const { return direct_; }

private:
    std::string path_;
    bool direct_ = false;
};

// Precondition for the O_DIRECT cases: skipped, with the reason, where it cannot work.
inline boost::test_tools::assertion_result direct_io_available(boost::unit_test::test_unit_id) {
    scratch_directory probe;
    boost::test_tools::assertion_result available(probe.direct_io());
    if (!probe.direct_io()) available.message() << "O_DIRECT is not supported under /tmp nor the build directory";
    return available;
}

// Memory aligned for O_DIRECT, freed with the object.
struct aligned_bytes {
    explicit aligned_bytes(std::size_t size, std::size_t alignment = 4096)
        : bytes(static_cast<std::byte*>(std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment))),
          length(size) {}
    aligned_bytes(const aligned_bytes&) = delete;
    ~aligned_bytes() { std::free(bytes); }
    std::span<std::byte> span() const { return {bytes, length}; }
    std::byte* bytes;
    std::size_t length;
};

// A 1 MiB tmpfs of the test's own, for ENOSPC; unmounted (lazily, so never left busy) at
// the end. Needs root (CAP_SYS_ADMIN): can_mount_a_tmpfs skips the case otherwise.
struct tiny_filesystem {
    scratch_directory parent;
    std::string mountpoint = parent.file("tiny");
    bool mounted = false;
    tiny_filesystem() {
        std::filesystem::create_directory(mountpoint);
        mounted = ::mount("sluice-test", mountpoint.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") == 0;
    }
    ~tiny_filesystem() {
        if (mounted) ::umount2(mountpoint.c_str(), MNT_DETACH);
    }
};

inline boost::test_tools::assertion_result can_mount_a_tmpfs(boost::unit_test::test_unit_id) {
    tiny_filesystem probe;
    boost::test_tools::assertion_result possible(probe.mounted);
    if (!probe.mounted) possible.message() << "cannot mount a 1 MiB tmpfs here: " << std::strerror(errno);
    return possible;
}

// A byte pattern that depends on the file offset (and `salt`, to tell two writes of one
// range apart): data read back at the wrong place or from a stale write does not match.
inline void fill_pattern(std::span<std::byte> bytes, std::uint64_t offset, unsigned salt = 0) {
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = std::byte((offset + i + salt) * 131 % 251);
}

inline bool matches_pattern(std::span<const std::byte> bytes, std::uint64_t offset, unsigned salt = 0) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] != std::byte((offset + i + salt) * 131 % 251)) return false;
    }
    return true;
}

}  // namespace sluice::testing
