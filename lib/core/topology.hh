// sluice::topology: the machine's cores and NUMA nodes as hwloc sees them, narrowed to
// the cores this process may use, and pinning of shard threads. Discover it once on the
// main thread before any thread is pinned; it owns its hwloc topology. Once built, its
// const members may be called from any thread at once (each shard binds itself).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sluice/core/cpu_list.hh"  // format_cpu_list, parse_cpu_list
#include "sluice/core/result.hh"

struct hwloc_topology;  // hwloc's handle; hwloc.h stays out of our headers

namespace sluice {

class topology {
public:
    // Loads the topology (sysfs, cgroup cpuset) and reads the calling thread's affinity.
    static result<topology> discover();

    topology(topology&& other) noexcept;
    topology& operator=(topology&& other) noexcept;
    topology(const topology&) = delete;
    topology& operator=(const topology&) = delete;
    ~topology();

    // Logical CPUs (OS index, as taskset numbers them) this process may run on: hwloc's
    // allowed set (cgroup cpuset) intersected with the affinity of the thread that called
    // discover() (taskset). Sorted ascending; never empty for a discovered topology.
    const std::vector<unsigned>& allowed_cpus() const noexcept { return allowed_; }

    // The NUMA node (OS index) whose memory is local to `cpu`; nullopt for a CPU that
    // does not exist (or is outside the cgroup cpuset).
    std::optional<unsigned> numa_node_of(unsigned cpu) const;

    // Number of NUMA nodes (at least 1 on a discovered topology).
    unsigned numa_node_count() const;

    // One line per NUMA node, joined by '\n', e.g. "numa node 0: cpus 0-1"; a node where
    // taskset leaves only some of its cpus reads "numa node 0: cpus 0-3 (allowed: 1,3)".
    std::string describe() const;

    // Binds the calling thread to `cpu` alone (strictly where the OS supports it) and, on
    // a machine with more than one NUMA node, binds its memory to the cpu's node. Memory
    // binding is best effort: where the OS refuses it (no NUMA support, a container
    // without the capability) it is skipped quietly. Fails if `cpu` is not allowed.
    result<void> bind_current_thread(unsigned cpu) const;

private:
    topology(hwloc_topology* handle, std::vector<unsigned> allowed) noexcept;

    hwloc_topology* handle_ = nullptr;
    std::vector<unsigned> allowed_;
};

}  // namespace sluice
