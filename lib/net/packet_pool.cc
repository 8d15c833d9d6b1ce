// Packet pools. rte_pktmbuf_pool_create reports failure as null plus an rte_errno; we check
// what we can before calling it (so the message names the argument) and turn the rest into
// one line that names the fix.
#include "sluice/net/packet_pool.hh"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include <cstdio>
#include <utility>

#include "sluice/net/detail/mbuf.hh"

namespace sluice::net {

static_assert(packet_pool::headroom == RTE_PKTMBUF_HEADROOM, "packet_pool::headroom must match DPDK's build");
static_assert(packet_pool_config::default_data_room == RTE_MBUF_DEFAULT_BUF_SIZE);

namespace detail {
thread_local rte_mempool* current_pool = nullptr;
thread_local std::uint64_t foreign_frees = 0;
}  // namespace detail

namespace {

constexpr std::size_t max_name_length = RTE_MEMPOOL_NAMESIZE - 1;

std::string where(const packet_pool_config& config) {
    return config.socket < 0 ? std::string("on any socket") : "on socket " + std::to_string(config.socket);
}

std::string explain_failure(int code, const packet_pool_config& config) {
    const std::string pool = "packet pool '" + config.name + "': ";
    switch (code) {
        case ENOMEM:
            return pool + "not enough memory for " + std::to_string(config.count) + " mbufs of " +
                   std::to_string(config.data_room) + " bytes " + where(config) +
                   "; reserve more hugepages (or raise -m with --no-huge) or lower the count";
        case EEXIST:
            return pool + "a mempool with this name already exists; give each pool a unique name (add the shard id)";
        case ENOSPC:
            return pool + "DPDK has no memzone left; create fewer pools or raise RTE_MAX_MEMZONE";
        case EINVAL:
            return pool + "DPDK rejected the cache size " + std::to_string(config.cache_size) + " for " +
                   std::to_string(config.count) + " mbufs; lower cache_size";
        case E_RTE_SECONDARY:
            return pool + "cannot create pools in a secondary DPDK process; create them in the primary";
        default:
            return pool + "rte_pktmbuf_pool_create failed: " + rte_strerror(code);
    }
}

}  // namespace

result<packet_pool> packet_pool::create(const packet_pool_config& config) {
    const std::string pool = "packet pool '" + config.name + "': ";
    // Before EAL has started DPDK has no memory to give, and calling in would crash.
    if (rte_lcore_count() == 0) {
        return error{pool + "DPDK's EAL is not started; start it (dpdk::eal::start) before creating pools"};
    }
    if (config.name.empty() || config.name.size() > max_name_length) {
        return error{pool + "the name must be 1 to " + std::to_string(max_name_length) + " characters; shorten it"};
    }
    if (config.count == 0) return error{pool + "count is 0; ask for at least one mbuf"};
    if (config.cache_size > RTE_MEMPOOL_CACHE_MAX_SIZE) {
        return error{pool + "cache_size " + std::to_string(config.cache_size) + " is over DPDK's maximum of " +
                     std::to_string(RTE_MEMPOOL_CACHE_MAX_SIZE) + "; lower it"};
    }
    // DPDK flushes a cache at 1.5 times its size, and refuses a cache that could hold
    // more than the pool.
    if (std::uint64_t(config.cache_size) * 3 / 2 > config.count) {
        return error{pool + "cache_size " + std::to_string(config.cache_size) + " is over two thirds of count " +
                     std::to_string(config.count) + "; lower cache_size or raise count"};
    }
    rte_mempool* created = rte_pktmbuf_pool_create(config.name.c_str(), config.count, config.cache_size, 0,
                                                   config.data_room, config.socket < 0 ? SOCKET_ID_ANY : config.socket);
    if (created == nullptr) return error{explain_failure(rte_errno, config)};
    return packet_pool(created, config.name);
}

packet_pool::packet_pool(packet_pool&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), name_(std::move(other.name_)) {}

packet_pool& packet_pool::operator=(packet_pool&& other) noexcept {
    if (this != &other) {
        destroy();
        pool_ = std::exchange(other.pool_, nullptr);
        name_ = std::move(other.name_);
    }
    return *this;
}

packet_pool::~packet_pool() { destroy(); }

void packet_pool::destroy() noexcept {
    if (pool_ == nullptr) return;
    if (detail::current_pool == pool_) detail::current_pool = nullptr;
    if (const unsigned out = in_use(); out != 0) {
        std::fprintf(stderr,
                     "sluice: packet pool '%s' destroyed with %u mbufs still in use; leaking it (release every "
                     "packet and buffer, and stop the NIC queues, before destroying the pool)\n",
                     name_.c_str(), out);
    } else {
        rte_mempool_free(pool_);
    }
    pool_ = nullptr;
}

unsigned packet_pool::capacity() const noexcept { return pool_ ? pool_->size : 0; }
unsigned packet_pool::available() const noexcept { return pool_ ? rte_mempool_avail_count(pool_) : 0; }
unsigned packet_pool::in_use() const noexcept { return pool_ ? rte_mempool_in_use_count(pool_) : 0; }
std::uint16_t packet_pool::data_room() const noexcept { return pool_ ? rte_pktmbuf_data_room_size(pool_) : 0; }
int packet_pool::socket() const noexcept { return pool_ ? pool_->socket_id : -1; }

rte_mempool* packet_pool::current() noexcept { return detail::current_pool; }
void packet_pool::set_current(const packet_pool* pool) noexcept {
    detail::current_pool = pool ? pool->pool_ : nullptr;
}

packet_pool::scoped_current::~scoped_current() { detail::current_pool = previous_; }

std::uint64_t packet_pool::foreign_frees() noexcept { return detail::foreign_frees; }

result<std::vector<packet_pool>> packet_pool::create_per_shard(const std::string& name_prefix,
                                                              const std::vector<unsigned>& cpus,
                                                              const topology& topo, packet_pool_config shape) {
    std::vector<packet_pool> pools;
    pools.reserve(cpus.size());
    for (std::size_t s = 0; s < cpus.size(); ++s) {
        shape.name = name_prefix + std::to_string(s);
        shape.socket = int(topo.numa_node_of(cpus[s]).value_or(0));
        auto pool = create(shape);
        if (!pool) return error{"shard " + std::to_string(s) + ": " + pool.message()};
        pools.push_back(std::move(*pool));
    }
    return pools;
}

std::vector<rte_mempool*> packet_pool::mempools_of(const std::vector<packet_pool>& pools) {
    std::vector<rte_mempool*> mempools;
    for (const auto& pool : pools) mempools.push_back(pool.mempool());
    return mempools;
}

}  // namespace sluice::net
