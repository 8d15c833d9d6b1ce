// The pool's memory is one anonymous mapping, touched (MAP_POPULATE) by the owning shard's
// thread so that its pages land on that core's NUMA node. A buffer dropped on another
// shard travels home as a submit_to call: the pool's lists are touched only by its owner.
#include "sluice/storage/buffer_pool.hh"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "sluice/core/shard.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/submit_to.hh"

namespace sluice::storage {

namespace {

task<void> route_home(buffer_pool* pool, unsigned index, unsigned owner,
                      void (*give_back)(buffer_pool*, unsigned)) {
    co_await submit_to(owner, [pool, index, give_back] { give_back(pool, index); });
}

}  // namespace

pool_buffer& pool_buffer::operator=(pool_buffer&& other) noexcept {
    if (this != &other) {
        release();
        pool_ = std::exchange(other.pool_, nullptr);
        index_ = other.index_;
        owner_shard_ = other.owner_shard_;
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void pool_buffer::release() noexcept {
    if (!pool_) return;
    buffer_pool* pool = std::exchange(pool_, nullptr);
    data_ = nullptr;
    size_ = 0;
    shard* here = shard::current();
    if (here && here->id() == owner_shard_) {
        pool->give_back(index_);
    } else if (here) {
        spawn(route_home(pool, index_, owner_shard_,
                         [](buffer_pool* home, unsigned index) { home->give_back_from_other_shard(index); }));
    } else {
        std::fprintf(stderr, "storage: buffer %u of shard %u dropped off any shard; it stays out of its pool\n",
                     index_, owner_shard_);
    }
}

// Lives in the frame of a task waiting in acquire().
struct buffer_pool::waiter {
    std::coroutine_handle<> handle;
    std::optional<unsigned> index;  // set by give_back when this waiter is served
};

result<std::unique_ptr<buffer_pool>> buffer_pool::create(unsigned owner_shard, std::size_t count, std::size_t size,
                                                         std::size_t alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > 4096) {
        return error{"storage: buffer alignment must be a power of two no larger than the 4096-byte page"};
    }
    const std::size_t rounded = (std::max<std::size_t>(size, 1) + alignment - 1) & ~(alignment - 1);
    const std::size_t mapped = std::max<std::size_t>(count * rounded, 1);
    void* memory = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (memory == MAP_FAILED) {
        return error{"storage: shard " + std::to_string(owner_shard) + ": cannot map " + std::to_string(mapped / 1024) +
                     " KiB of I/O buffers: " + std::strerror(errno) + "; use fewer or smaller buffers"};
    }
    return std::unique_ptr<buffer_pool>(
        new buffer_pool(owner_shard, count, rounded, static_cast<std::byte*>(memory), mapped));
}

buffer_pool::buffer_pool(unsigned owner_shard, std::size_t count, std::size_t size, std::byte* memory,
                         std::size_t mapped)
    : owner_shard_(owner_shard), count_(count), size_(size), memory_(memory), mapped_(mapped),
      io_count_(count, 0), released_during_io_(count, false) {
    regions_.reserve(count);
    free_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        regions_.push_back(iovec{memory_ + i * size_, size_});
    }
    // Hand out low indexes first: the LIFO free list pops from the back.
    for (std::size_t i = count; i-- > 0;) free_.push_back(unsigned(i));
}

buffer_pool::~buffer_pool() { munmap(memory_, mapped_); }

pool_buffer buffer_pool::handle(unsigned index) noexcept {
    ++counters_.acquired;
    return pool_buffer(*this, index, owner_shard_, memory_ + std::size_t(index) * size_, size_);
}

std::optional<pool_buffer> buffer_pool::try_acquire() noexcept {
    if (free_.empty()) return std::nullopt;
    const unsigned index = free_.back();
    free_.pop_back();
    return handle(index);
}

task<pool_buffer> buffer_pool::acquire() {
    if (auto ready = try_acquire()) co_return std::move(*ready);
    ++counters_.waited;
    struct wait_awaiter {
        buffer_pool& pool;
        waiter node{};
        bool taken = false;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> self) {
            node.handle = self;
            pool.waiters_.push_back(&node);
        }
        unsigned await_resume() noexcept {
            taken = true;
            return *node.index;
        }
        // A waiter destroyed while queued leaves the queue; one served but never resumed
        // hands its buffer on.
        ~wait_awaiter() {
            if (!node.index) {
                auto& queue = pool.waiters_;
                queue.erase(std::remove(queue.begin(), queue.end(), &node), queue.end());
            } else if (!taken) {
                pool.give_back(*node.index);
            }
        }
    };
    const unsigned index = co_await wait_awaiter{*this};
    co_return handle(index);
}

void buffer_pool::give_back(unsigned index) noexcept {
    if (io_count_[index] != 0) {
        released_during_io_[index] = true;  // io_finished() brings it back
        return;
    }
    if (!waiters_.empty()) {
        waiter* next = waiters_.front();
        waiters_.pop_front();
        next->index = index;
        this_shard().schedule(next->handle);
        return;
    }
    free_.push_back(index);
}

void buffer_pool::give_back_from_other_shard(unsigned index) noexcept {
    ++counters_.returned_from_other_shards;
    give_back(index);
}

void buffer_pool::io_finished(unsigned index) noexcept {
    if (--io_count_[index] == 0 && released_during_io_[index]) {
        released_during_io_[index] = false;
        give_back(index);
    }
}

}  // namespace sluice::storage
