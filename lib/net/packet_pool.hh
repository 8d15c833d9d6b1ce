// sluice::net::packet_pool: one shard's pool of mbufs (an rte_mempool made by
// rte_pktmbuf_pool_create), and the per-thread "current pool" that packet allocations use.
// Control path, after EAL has started: a pool is created for one shard, set current on that
// shard's thread, and destroyed once nothing holds its mbufs. The pool owns its mempool.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sluice/core/result.hh"
#include "sluice/core/topology.hh"

struct rte_mempool;

namespace sluice::net {

struct packet_pool_config {
    // Unique in the process (DPDK names mempools globally); at most 26 characters.
    std::string name;
    // How many mbufs. 2^q - 1 uses the backing ring best.
    unsigned count = 8191;
    // Per-lcore cache: allocation and free on the owning shard stay in it (no atomics);
    // at most 512, and at most two thirds of count.
    unsigned cache_size = 256;
    // Bytes of buffer per mbuf, headroom included. A pool only for the indirect mbufs of
    // packet::from_buffer can use 0.
    static constexpr std::uint16_t default_data_room = 2048 + 128;
    std::uint16_t data_room = default_data_room;
    // NUMA node to place the pool on (the shard's node); -1 for any.
    int socket = -1;
};

class packet_pool {
public:
    // Room left in front of a fresh packet's data for headers (RTE_PKTMBUF_HEADROOM).
    static constexpr std::uint16_t headroom = 128;

    // One line on failure naming the fix, e.g. "not enough memory for 8191 mbufs on socket
    // 0; reserve more hugepages or lower the count".
    static result<packet_pool> create(const packet_pool_config& config);
    // One pool per shard, on the NUMA node of that shard's cpu, named name_prefix + shard
    // number; `shape` gives the count, cache and data room. A failure names the shard.
    static result<std::vector<packet_pool>> create_per_shard(const std::string& name_prefix,
                                                             const std::vector<unsigned>& cpus,
                                                             const topology& topo, packet_pool_config shape);
    // The mempools of `pools`, in order, as dpdk::port::open takes them.
    static std::vector<rte_mempool*> mempools_of(const std::vector<packet_pool>& pools);

    packet_pool(packet_pool&& other) noexcept;
    packet_pool& operator=(packet_pool&& other) noexcept;
    packet_pool(const packet_pool&) = delete;
    packet_pool& operator=(const packet_pool&) = delete;
    // Frees the mempool. If mbufs are still out (held by a packet, a buffer or a NIC
    // queue) it leaks the mempool instead and says so on stderr: freeing memory that
    // someone still reads is worse.
    ~packet_pool();

    const std::string& name() const noexcept { return name_; }
    rte_mempool* mempool() const noexcept { return pool_; }  // for rx queue set-up
    unsigned capacity() const noexcept;
    unsigned available() const noexcept;  // free mbufs, per-lcore caches included
    unsigned in_use() const noexcept;
    std::uint16_t data_room() const noexcept;
    int socket() const noexcept;

    // The current pool of the calling thread: what packet::allocate() and the other
    // allocating calls without a pool argument draw from. The DPDK driver's shard hook
    // sets it on each shard to that shard's pool. A pool is current on at most the one
    // thread that set it; destroying it clears it there.
    static rte_mempool* current() noexcept;
    static void set_current(const packet_pool* pool) noexcept;  // null clears
    bool is_current() const noexcept { return pool_ != nullptr && pool_ == current(); }

    // Sets `pool` current for one scope (tests, tools, the shard hook), then restores.
    class scoped_current {
    public:
        explicit scoped_current(const packet_pool& pool) noexcept : previous_(current()) { set_current(&pool); }
        scoped_current(const scoped_current&) = delete;
        scoped_current& operator=(const scoped_current&) = delete;
        ~scoped_current();

    private:
        rte_mempool* previous_;
    };

    // Mbufs released on this thread while another pool was current. An mbuf always goes
    // back to its own pool, so this is not a leak, but it passes through this thread's
    // lcore cache of the other shard's pool, and the owner's shard is the one that should
    // free it (docs/architecture.md, rule 1). Counted in debug builds only (always 0 with NDEBUG).
    static std::uint64_t foreign_frees() noexcept;

private:
    packet_pool(rte_mempool* pool, std::string name) noexcept : pool_(pool), name_(std::move(name)) {}
    void destroy() noexcept;

    rte_mempool* pool_ = nullptr;
    std::string name_;
};

}  // namespace sluice::net
