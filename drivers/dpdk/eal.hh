// sluice::dpdk::eal: DPDK's environment (EAL) for this process, started once from the
// arguments a user gives after `--`, and cleaned up (runtime folder included) when it
// is destroyed. Main thread, before the runtime starts; shard threads register as DPDK
// lcores through lcore_hook().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/core/config.hh"
#include "sluice/core/result.hh"

namespace sluice::dpdk {

class eal {
public:
    // Starts EAL with `args` (as after `--`; the program name is added). Sluice adds
    // what a single-process framework needs unless the user chose otherwise:
    // --lcores 0@(ALLOWED) so EAL does not pin the main thread, --no-telemetry, and a
    // per-process --file-prefix. Every failure is one line naming the likely fix; EAL's
    // own log lines are kept out of the terminal (SLUICE_EAL_LOG=1 shows them).
    static result<std::unique_ptr<eal>> start(const std::string& program, std::vector<std::string> args);

    eal(const eal&) = delete;
    eal& operator=(const eal&) = delete;
    ~eal();

    // Registers each shard thread as a DPDK lcore (mempool caches need one) and
    // releases it at stop. Add it to runtime_config::shard_hooks before the runtime runs.
    static sluice::shard_hook lcore_hook();

    // EAL's log lines from start-up.
    const std::string& startup_log() const noexcept { return startup_log_; }

private:
    eal(std::string runtime_dir, std::string startup_log);

    std::string runtime_dir_;
    std::string startup_log_;
};

// What start() will pass to rte_eal_init after its additions (exposed for tests).
std::vector<std::string> eal_arguments(const std::string& program, std::vector<std::string> args,
                                       const std::vector<unsigned>& allowed_cpus);

// The hugepages of one size the kernel keeps on one NUMA node, or machine-wide (node -1)
// on a kernel without per-node counts.
struct hugepage_count {
    int node;
    std::uint64_t page_kib;  // 2048, 1048576, ...
    std::uint64_t reserved;  // nr_hugepages
    std::uint64_t free;      // free_hugepages
};

// Every page size on every NUMA node under `sysfs_root` ("/sys" outside tests), from
// devices/system/node/node*/hugepages/hugepages-*kB; where the kernel has no per-node
// counts, from kernel/mm/hugepages/hugepages-*kB. Sorted by node, then size; empty when
// neither is there.
std::vector<hugepage_count> read_hugepage_counts(const std::string& sysfs_root);

// What start() checks before EAL runs without --no-huge (exposed for tests): fine when a
// page of any size is free on any node; else one line saying what to reserve and where,
// naming `local_nodes` (the NUMA nodes of the cpus the shards may use; empty: every node).
// Reads `meminfo_path` (/proc/meminfo, default page size only) only when sysfs has no counts.
result<void> check_hugepages(const std::string& sysfs_root, const std::string& meminfo_path,
                             const std::vector<unsigned>& local_nodes);

}  // namespace sluice::dpdk
