#include "sluice/core/frame_allocator.hh"

#include <cstdio>
#include <cstdlib>
#include <new>

namespace sluice {

thread_local frame_allocator* frame_allocator::current_ = nullptr;

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer every frame goes to the heap, so ASan sees each frame's
// lifetime (use-after-free, leaks) instead of a recycled pool block.
constexpr bool pool_frames = false;
#else
constexpr bool pool_frames = true;
#endif

frame_allocator::~frame_allocator() {
    if (live_ != 0) {
        std::fprintf(stderr, "sluice: %llu coroutine frame(s) still alive when their shard's allocator was destroyed\n",
                     static_cast<unsigned long long>(live_));
    }
    for (void* chunk : chunks_) {
        ::operator delete(chunk, std::align_val_t{size_step});
    }
}

void frame_allocator::refill(std::size_t size_class) {
    const std::size_t block = (size_class + 1) * size_step;
    if (chunk_left_ < block) {
        chunk_cursor_ = static_cast<std::byte*>(::operator new(chunk_bytes, std::align_val_t{size_step}));
        chunks_.push_back(chunk_cursor_);
        chunk_left_ = chunk_bytes;
    }
    auto* fresh = reinterpret_cast<free_block*>(chunk_cursor_);
    chunk_cursor_ += block;
    chunk_left_ -= block;
    fresh->next = free_lists_[size_class];
    free_lists_[size_class] = fresh;
}

void* frame_allocator::allocate(std::size_t bytes) {
    ++live_;
    if (!pool_frames || bytes > pooled_limit || bytes == 0) {
        ++heap_fallbacks_;
        return ::operator new(bytes);
    }
    const std::size_t size_class = (bytes - 1) / size_step;
    if (!free_lists_[size_class]) {
        refill(size_class);
    }
    free_block* block = free_lists_[size_class];
    free_lists_[size_class] = block->next;
    return block;
}

void frame_allocator::free(void* frame, std::size_t bytes) noexcept {
    --live_;
    if (!pool_frames || bytes > pooled_limit || bytes == 0) {
        ::operator delete(frame);
        return;
    }
    const std::size_t size_class = (bytes - 1) / size_step;
    auto* block = static_cast<free_block*>(frame);
    block->next = free_lists_[size_class];
    free_lists_[size_class] = block;
}

namespace detail {

// The header keeps the frame's payload aligned as operator new would.
constexpr std::size_t header_bytes = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

void* allocate_frame(std::size_t bytes) {
    frame_allocator* owner = frame_allocator::current();
    void* raw = owner ? owner->allocate(bytes + header_bytes) : ::operator new(bytes + header_bytes);
    *static_cast<frame_allocator**>(raw) = owner;
    return static_cast<std::byte*>(raw) + header_bytes;
}

void free_frame(void* frame, std::size_t bytes) noexcept {
    void* raw = static_cast<std::byte*>(frame) - header_bytes;
    frame_allocator* owner = *static_cast<frame_allocator**>(raw);
    if (!owner) {
        ::operator delete(raw);
        return;
    }
    if (owner != frame_allocator::current()) {
        // Returning a block to another shard's free list would race with that shard.
        std::fprintf(stderr, "sluice: a coroutine frame was destroyed off the shard that created it; "
                             "keep a task on its shard and move results with submit_to\n");
        std::abort();
    }
    owner->free(raw, bytes + header_bytes);
}

}  // namespace detail
}  // namespace sluice
