// buffer: fragment bookkeeping. Every fragment in a buffer holds exactly one reference to
// its segment and is never empty; the functions below keep both true.
#include "sluice/net/buffer.hh"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "sluice/net/detail/mbuf.hh"

namespace sluice::net {

static_assert(sizeof(buffer) <= 64, "a buffer should fit one cache line");

buffer::buffer(const buffer& other) : inline_{} {
    reserve(other.count_);
    for (const fragment& piece : other.fragments()) {
        detail::retain_segment(piece.segment_);
        push_back(piece);
    }
}

buffer& buffer::operator=(const buffer& other) {
    if (this != &other) *this = buffer(other);
    return *this;
}

void buffer::drop_all() noexcept {
    fragment* pieces = items();
    for (std::uint32_t i = 0; i < count_; ++i) detail::release_segment(pieces[i].segment_);
    if (on_heap_) delete[] heap_.items;
    on_heap_ = false;
    count_ = 0;
    size_ = 0;
}

void buffer::reserve(std::size_t count) {
    if (count <= capacity()) return;
    const std::size_t grown = std::max(count, capacity() * 2);
    auto* fresh = new fragment[grown];
    std::copy_n(items(), count_, fresh);
    if (on_heap_) delete[] heap_.items;
    heap_ = heap_items{fresh, grown};
    on_heap_ = true;
}

void buffer::push_back(const fragment& piece) {
    assert(piece.size_ != 0);
    reserve(count_ + 1);
    items()[count_++] = piece;
    size_ += piece.size_;
}

buffer buffer::slice(std::size_t offset, std::size_t n) const {
    buffer out;
    if (offset >= size_) return out;
    n = std::min(n, size_ - offset);
    if (n == 0) return out;

    const fragment* pieces = items();
    std::uint32_t first = 0;
    while (offset >= pieces[first].size_) offset -= pieces[first++].size_;
    std::uint32_t last = first;
    for (std::size_t covered = pieces[first].size_ - offset; covered < n;) covered += pieces[++last].size_;

    // Reserve before taking references, so a failed allocation leaves no count raised.
    out.reserve(last - first + 1);
    for (std::uint32_t i = first; i <= last; ++i) {
        const std::size_t start = i == first ? offset : 0;
        const std::size_t take = std::min<std::size_t>(pieces[i].size_ - start, n);
        detail::retain_segment(pieces[i].segment_);
        out.push_back(fragment(pieces[i].data_ + start, pieces[i].segment_, std::uint32_t(take)));
        n -= take;
    }
    return out;
}

std::pair<buffer, buffer> buffer::split(std::size_t at) const& { return {slice(0, at), slice(at)}; }

std::pair<buffer, buffer> buffer::split(std::size_t at) && {
    buffer tail = slice(at);
    trim_back(size_ - std::min(at, size_));
    return {std::move(*this), std::move(tail)};
}

void buffer::trim_front(std::size_t n) noexcept {
    n = std::min(n, size_);
    if (n == 0) return;
    fragment* pieces = items();
    std::uint32_t dropped = 0;
    while (dropped < count_ && n >= pieces[dropped].size_) {
        n -= pieces[dropped].size_;
        size_ -= pieces[dropped].size_;
        detail::release_segment(pieces[dropped++].segment_);
    }
    if (n != 0) {
        pieces[dropped].data_ += n;
        pieces[dropped].size_ -= std::uint32_t(n);
        size_ -= n;
    }
    std::copy(pieces + dropped, pieces + count_, pieces);
    count_ -= dropped;
}

void buffer::trim_back(std::size_t n) noexcept {
    n = std::min(n, size_);
    fragment* pieces = items();
    while (n != 0) {
        fragment& last = pieces[count_ - 1];
        if (n < last.size_) {
            last.size_ -= std::uint32_t(n);
            size_ -= n;
            return;
        }
        n -= last.size_;
        size_ -= last.size_;
        detail::release_segment(last.segment_);
        --count_;
    }
}

void buffer::append(buffer&& tail) {
    if (tail.count_ == 0 || this == &tail) return;
    if (count_ == 0) {
        *this = std::move(tail);
        return;
    }
    reserve(count_ + tail.count_);  // may throw; nothing has changed yet
    const fragment* theirs = tail.items();
    std::uint32_t i = 0;
    fragment& last = items()[count_ - 1];
    if (last.segment_ == theirs[0].segment_ && last.data_ + last.size_ == theirs[0].data_) {
        // One fragment, one reference: drop the one the tail held (ours stays).
        last.size_ += theirs[0].size_;
        size_ += theirs[0].size_;
        detail::release_segment(theirs[0].segment_);
        i = 1;
    }
    for (; i < tail.count_; ++i) push_back(theirs[i]);
    // Its references are ours now; only its storage is left to free.
    tail.count_ = 0;
    tail.drop_all();
}

std::optional<std::span<const std::byte>> buffer::contiguous_slow(std::size_t offset, std::size_t n) const noexcept {
    if (offset > size_ || n > size_ - offset) return std::nullopt;
    if (n == 0) return std::span<const std::byte>{};
    const fragment* pieces = items();
    std::uint32_t i = 0;
    while (offset >= pieces[i].size_) offset -= pieces[i++].size_;
    if (n > pieces[i].size_ - offset) return std::nullopt;
    return pieces[i].bytes().subspan(offset, n);
}

std::size_t buffer::copy_out(std::size_t offset, std::span<std::byte> dst) const noexcept {
    if (offset >= size_) return 0;
    const std::size_t total = std::min(dst.size(), size_ - offset);
    std::size_t copied = 0;
    for (const fragment& piece : fragments()) {
        if (copied == total) break;
        if (offset >= piece.size_) {
            offset -= piece.size_;
            continue;
        }
        const std::size_t take = std::min<std::size_t>(piece.size_ - offset, total - copied);
        std::memcpy(dst.data() + copied, piece.data_ + offset, take);
        copied += take;
        offset = 0;
    }
    return copied;
}

}  // namespace sluice::net
