// sluice::frame_allocator: where coroutine frames come from (docs/architecture.md, rule 8). Each shard
// owns one; frames are carved from per-size-class free lists so spawning a task does not
// touch the global heap. A frame must be freed on the shard that allocated it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice {

class frame_allocator {
public:
    // Frames up to this size come from the pool; larger ones from the heap.
    static constexpr std::size_t size_step = 64;
    static constexpr std::size_t pooled_limit = 2048;
    static constexpr std::size_t chunk_bytes = 64 * 1024;

    frame_allocator() = default;
    frame_allocator(const frame_allocator&) = delete;
    frame_allocator& operator=(const frame_allocator&) = delete;
    ~frame_allocator();

    void* allocate(std::size_t bytes);
    void free(void* frame, std::size_t bytes) noexcept;

    std::uint64_t live_frames() const noexcept { return live_; }
    std::uint64_t heap_fallbacks() const noexcept { return heap_fallbacks_; }

    // The allocator of the shard running on this thread, or null off-shard.
    static frame_allocator* current() noexcept { return current_; }
    static void set_current(frame_allocator* allocator) noexcept { current_ = allocator; }

private:
    struct free_block {
        free_block* next;
    };
    static constexpr std::size_t classes = pooled_limit / size_step;

    void refill(std::size_t size_class);

    free_block* free_lists_[classes] = {};
    std::vector<void*> chunks_;
    std::byte* chunk_cursor_ = nullptr;
    std::size_t chunk_left_ = 0;
    std::uint64_t live_ = 0;
    std::uint64_t heap_fallbacks_ = 0;
    static thread_local frame_allocator* current_;
};

namespace detail {
// Used by every coroutine promise in Sluice: the current shard's allocator, or the heap
// off-shard. A small header remembers which, so a frame is returned where it came from.
void* allocate_frame(std::size_t bytes);
void free_frame(void* frame, std::size_t bytes) noexcept;
}  // namespace detail

}  // namespace sluice
