#include "sluice/core/topology.hh"

#include <hwloc.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

namespace sluice {
namespace {

struct bitmap_deleter {
    void operator()(hwloc_bitmap_s* bitmap) const noexcept { hwloc_bitmap_free(bitmap); }
};
using bitmap_ptr = std::unique_ptr<hwloc_bitmap_s, bitmap_deleter>;

std::vector<unsigned> to_vector(hwloc_const_bitmap_t bitmap) {
    std::vector<unsigned> cpus;
    if (bitmap == nullptr || hwloc_bitmap_weight(bitmap) < 0) return cpus;  // empty or infinite
    unsigned index = 0;
    hwloc_bitmap_foreach_begin(index, bitmap) { cpus.push_back(index); }
    hwloc_bitmap_foreach_end();
    return cpus;
}

std::string list_or_none(const std::vector<unsigned>& cpus) {
    return cpus.empty() ? std::string("none") : format_cpu_list(cpus);
}

// The calling thread's affinity (taskset), sized for however many CPUs the kernel has.
result<std::vector<unsigned>> thread_affinity() {
    for (int count = 1024; count <= (1 << 20); count *= 2) {
        cpu_set_t* set = CPU_ALLOC(count);
        if (set == nullptr) break;
        const std::size_t size = CPU_ALLOC_SIZE(count);
        if (sched_getaffinity(0, size, set) == 0) {
            std::vector<unsigned> cpus;
            for (int cpu = 0; cpu < count; ++cpu) {
                if (CPU_ISSET_S(cpu, size, set)) cpus.push_back(static_cast<unsigned>(cpu));
            }
            CPU_FREE(set);
            return cpus;
        }
        const int failure = errno;
        CPU_FREE(set);
        if (failure != EINVAL) {
            return error{std::string("could not read this thread's cpu affinity (") + std::strerror(failure) +
                         "); check that sched_getaffinity is permitted in this container"};
        }
    }
    return error{"could not read this thread's cpu affinity (the cpu mask is too large); report this machine"};
}

}  // namespace

topology::topology(hwloc_topology* handle, std::vector<unsigned> allowed) noexcept
    : handle_(handle), allowed_(std::move(allowed)) {}

topology::topology(topology&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), allowed_(std::move(other.allowed_)) {
    other.allowed_.clear();
}

topology& topology::operator=(topology&& other) noexcept {
    if (this != &other) {
        if (handle_ != nullptr) hwloc_topology_destroy(handle_);
        handle_ = std::exchange(other.handle_, nullptr);
        allowed_ = std::move(other.allowed_);
        other.allowed_.clear();
    }
    return *this;
}

topology::~topology() {
    if (handle_ != nullptr) hwloc_topology_destroy(handle_);
}

result<topology> topology::discover() {
    hwloc_topology_t handle = nullptr;
    if (hwloc_topology_init(&handle) != 0) {
        return error{std::string("hwloc could not start (") + std::strerror(errno) +
                     "); check that libhwloc is installed and memory is available"};
    }
    if (hwloc_topology_load(handle) != 0) {
        const int failure = errno;
        hwloc_topology_destroy(handle);
        return error{std::string("hwloc could not read the machine topology (") + std::strerror(failure) +
                     "); check that /sys and /proc are mounted"};
    }
    topology topo(handle, {});  // owns handle from here on

    auto affinity = thread_affinity();
    if (!affinity) return affinity.failure();
    const std::vector<unsigned> hwloc_allowed = to_vector(hwloc_topology_get_allowed_cpuset(handle));
    std::vector<unsigned> allowed;
    std::set_intersection(hwloc_allowed.begin(), hwloc_allowed.end(), affinity->begin(), affinity->end(),
                          std::back_inserter(allowed));
    if (allowed.empty()) {
        return error{"no cpu is allowed for this process (cgroup cpuset " + list_or_none(hwloc_allowed) +
                     ", taskset " + list_or_none(*affinity) + " do not overlap); widen the taskset or the cpuset"};
    }
    topo.allowed_ = std::move(allowed);
    return topo;
}

std::optional<unsigned> topology::numa_node_of(unsigned cpu) const {
    if (handle_ == nullptr) return std::nullopt;
    hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(handle_, cpu);
    if (pu == nullptr || pu->nodeset == nullptr) return std::nullopt;
    const int node = hwloc_bitmap_first(pu->nodeset);
    if (node < 0) return std::nullopt;
    return static_cast<unsigned>(node);
}

unsigned topology::numa_node_count() const {
    if (handle_ == nullptr) return 0;
    const int count = hwloc_get_nbobjs_by_type(handle_, HWLOC_OBJ_NUMANODE);
    return count < 0 ? 0u : static_cast<unsigned>(count);
}

std::string topology::describe() const {
    std::string text;
    if (handle_ == nullptr) return text;
    for (hwloc_obj_t node = hwloc_get_next_obj_by_type(handle_, HWLOC_OBJ_NUMANODE, nullptr); node != nullptr;
         node = hwloc_get_next_obj_by_type(handle_, HWLOC_OBJ_NUMANODE, node)) {
        const std::vector<unsigned> cpus = to_vector(node->cpuset);
        std::vector<unsigned> usable;
        std::set_intersection(cpus.begin(), cpus.end(), allowed_.begin(), allowed_.end(),
                              std::back_inserter(usable));
        if (!text.empty()) text += '\n';
        text += "numa node " + std::to_string(node->os_index) + ": cpus " + list_or_none(cpus);
        if (usable != cpus) text += " (allowed: " + list_or_none(usable) + ")";
    }
    return text;
}

result<void> topology::bind_current_thread(unsigned cpu) const {
    if (handle_ == nullptr) {
        return error{"cannot bind to core " + std::to_string(cpu) +
                     ": this topology was moved from; call topology::discover() again"};
    }
    if (!std::binary_search(allowed_.begin(), allowed_.end(), cpu)) {
        const std::string allowed = list_or_none(allowed_);
        return error{"core " + std::to_string(cpu) + " is not in the allowed set " + allowed +
                     " (cgroup cpuset / taskset); choose cores from " + allowed};
    }
    bitmap_ptr cpuset(hwloc_bitmap_alloc());
    if (!cpuset || hwloc_bitmap_only(cpuset.get(), cpu) != 0) {
        return error{"out of memory while binding to core " + std::to_string(cpu) + "; free some memory"};
    }
    if (hwloc_set_cpubind(handle_, cpuset.get(), HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) != 0 &&
        hwloc_set_cpubind(handle_, cpuset.get(), HWLOC_CPUBIND_THREAD) != 0) {
        return error{"could not bind this thread to core " + std::to_string(cpu) + " (" + std::strerror(errno) +
                     "); check the process's taskset and cgroup cpuset"};
    }

    // Memory on the core's node: only meaningful with several nodes, and best effort.
    if (numa_node_count() > 1) {
        hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(handle_, cpu);
        if (pu != nullptr && pu->nodeset != nullptr && !hwloc_bitmap_iszero(pu->nodeset)) {
            // Failure (ENOSYS, EXDEV, EPERM under seccomp) leaves the default policy: skip.
            (void)hwloc_set_membind(handle_, pu->nodeset, HWLOC_MEMBIND_BIND,
                                    HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET);
        }
    }
    return {};
}

}  // namespace sluice
