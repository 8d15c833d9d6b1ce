// sluice::storage::buffer_pool: one shard's DMA-aligned I/O buffers — a fixed count of a
// fixed size, carved from one mapping and registered with that shard's ring. The pool and
// its memory belong to the owning shard; a pool_buffer handle may travel to other shards,
// and wherever it is dropped the buffer goes back home through submit_to.
#pragma once

#include <sys/uio.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "sluice/core/result.hh"
#include "sluice/core/task.hh"

namespace sluice::storage {

class buffer_pool;

// Owns one pool buffer until destroyed or released. Move-only. Reading or writing its
// bytes is fine on any shard that holds it; I/O with it (fixed-buffer ops) only on the
// owner shard, whose ring has it registered.
class pool_buffer {
public:
    pool_buffer() = default;
    pool_buffer(pool_buffer&& other) noexcept { *this = std::move(other); }
    pool_buffer& operator=(pool_buffer&& other) noexcept;
    pool_buffer(const pool_buffer&) = delete;
    pool_buffer& operator=(const pool_buffer&) = delete;
    ~pool_buffer() { release(); }

    bool valid() const noexcept { return pool_ != nullptr; }
    std::byte* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
    // Index in the pool and in the ring's registered-buffer table.
    unsigned index() const noexcept { return index_; }
    unsigned owner_shard() const noexcept { return owner_shard_; }
    const buffer_pool* pool() const noexcept { return pool_; }

    // Gives the buffer back now: at once on the owner shard (or when the I/O using it
    // completes), otherwise by a submit_to to the owner.
    void release() noexcept;

private:
    friend class buffer_pool;
    pool_buffer(buffer_pool& pool, unsigned index, unsigned owner, std::byte* data, std::size_t size) noexcept
        : pool_(&pool), index_(index), owner_shard_(owner), data_(data), size_(size) {}

    buffer_pool* pool_ = nullptr;
    unsigned index_ = 0;
    unsigned owner_shard_ = 0;
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

struct buffer_pool_counters {
    std::uint64_t acquired = 0;
    std::uint64_t waited = 0;                      // acquire() calls that found the pool empty
    std::uint64_t returned_from_other_shards = 0;  // came home through submit_to
};

class buffer_pool {
public:
    // Control path, on the owning shard: `count` buffers of `size` bytes (rounded up to
    // `alignment`, a power of two), placed on the calling thread's NUMA node by first touch.
    static result<std::unique_ptr<buffer_pool>> create(unsigned owner_shard, std::size_t count, std::size_t size,
                                                       std::size_t alignment = 4096);
    buffer_pool(const buffer_pool&) = delete;
    buffer_pool& operator=(const buffer_pool&) = delete;
    ~buffer_pool();

    // Owner shard only.
    std::optional<pool_buffer> try_acquire() noexcept;
    // Owner shard only: waits (FIFO) while every buffer is out.
    task<pool_buffer> acquire();

    unsigned owner_shard() const noexcept { return owner_shard_; }
    std::size_t count() const noexcept { return count_; }
    std::size_t buffer_size() const noexcept { return size_; }
    std::size_t available() const noexcept { return free_.size(); }
    const buffer_pool_counters& counters() const noexcept { return counters_; }

    // For registering with the ring: one iovec per buffer, in index order.
    std::span<const iovec> regions() const noexcept { return regions_; }
    bool registered() const noexcept { return registered_; }
    void mark_registered(bool registered) noexcept { registered_ = registered; }
    bool owns(const pool_buffer& buffer) const noexcept { return buffer.pool_ == this; }

    // The engine brackets each operation that uses buffer `index`: a buffer released while
    // the kernel still reads or writes it goes back only when the last such CQE arrives.
    void io_started(unsigned index) noexcept { ++io_count_[index]; }
    void io_finished(unsigned index) noexcept;

private:
    friend class pool_buffer;
    struct waiter;

    buffer_pool(unsigned owner_shard, std::size_t count, std::size_t size, std::byte* memory, std::size_t mapped);
    pool_buffer handle(unsigned index) noexcept;
    void give_back(unsigned index) noexcept;             // owner shard
    void give_back_from_other_shard(unsigned index) noexcept;

    unsigned owner_shard_;
    std::size_t count_;
    std::size_t size_;
    std::byte* memory_;
    std::size_t mapped_;
    bool registered_ = false;
    std::vector<iovec> regions_;
    std::vector<unsigned> free_;
    std::vector<std::uint32_t> io_count_;    // operations in the kernel using each buffer
    std::vector<bool> released_during_io_;   // dropped by its holder before those finished
    std::deque<waiter*> waiters_;
    buffer_pool_counters counters_;
};

}  // namespace sluice::storage
