// The receive buffer: cut to the window, in-order bytes queued for reading, later ones held
// sorted and trimmed so each byte is held once, pulled in when the hole before them closes.
#include "sluice/net/tcp/receive_buffer.hh"

#include <algorithm>
#include <limits>
#include <utility>

namespace sluice::net::tcp {

namespace {
// RFC 7323 2.3: no window is larger than 2^30, so every held byte lies within 2^31 of RCV.NXT.
constexpr std::size_t max_window = std::size_t(1) << 30;
}  // namespace

receive_buffer::receive_buffer(seq next, const receive_limits& limits) : next_(next), limits_(limits) {}

std::uint32_t receive_buffer::window() const noexcept {
    if (readable_bytes_ >= limits_.capacity) return 0;
    return std::uint32_t(std::min(limits_.capacity - readable_bytes_, max_window));
}

receive_buffer::insert_result receive_buffer::insert(seq start, buffer&& payload) {
    insert_result result;
    if (payload.empty()) {
        result.dropped = true;
        return result;
    }
    const std::int64_t right = window();
    std::int64_t first = offset_of(start);
    const std::int64_t last = first + std::int64_t(payload.size());
    // RFC 9293 3.10.7.4 (first check): bytes before RCV.NXT were received already.
    if (last <= 0) {
        counters_.duplicate_bytes += payload.size();
        result.dropped = true;
        return result;
    }
    if (first < 0) {
        counters_.duplicate_bytes += std::uint64_t(-first);
        payload.trim_front(std::size_t(-first));
        start = next_;
        first = 0;
    }
    // RFC 9293 3.10.7.4: only bytes inside RCV.WND are kept; the rest is cut.
    if (first >= right) {
        counters_.out_of_window_bytes += payload.size();
        result.dropped = true;
        return result;
    }
    if (last > right) {
        counters_.out_of_window_bytes += std::uint64_t(last - right);
        payload.trim_back(std::size_t(last - right));
    }
    if (first > 0) return hold(start, std::move(payload));
    result.advanced = std::uint32_t(payload.size());
    take_in_order(std::move(payload));
    result.advanced += pull_held();
    return result;
}

void receive_buffer::take_in_order(buffer&& payload) {
    next_ += std::uint32_t(payload.size());
    readable_bytes_ += payload.size();
    readable_.push_back(std::move(payload));
}

std::uint32_t receive_buffer::pull_held() {
    std::uint32_t advanced = 0;
    std::size_t reached = 0;
    for (; reached < held_.size(); ++reached) {
        held_piece& piece = held_[reached];
        const std::int64_t ahead = offset_of(piece.start);
        if (ahead > 0) break;  // a hole is left before this one
        const std::size_t behind = std::size_t(-ahead);
        held_bytes_ -= piece.bytes.size();
        if (behind >= piece.bytes.size()) {
            counters_.duplicate_bytes += piece.bytes.size();
            continue;
        }
        // The in-order piece carried the front of this one too.
        counters_.duplicate_bytes += behind;
        piece.bytes.trim_front(behind);
        advanced += std::uint32_t(piece.bytes.size());
        take_in_order(std::move(piece.bytes));
    }
    held_.erase(held_.begin(), held_.begin() + std::ptrdiff_t(reached));
    return advanced;
}

receive_buffer::insert_result receive_buffer::hold(seq start, buffer&& payload) {
    insert_result result;
    seq end = start + std::uint32_t(payload.size());
    // Held pieces that end at or before `start` stay as they are.
    std::size_t first = 0;
    while (first < held_.size() && held_[first].end() <= start) ++first;
    // Pieces overlapping the front: their bytes stay, the new piece starts after them.
    for (; first < held_.size() && held_[first].start <= start; ++first) {
        held_piece& piece = held_[first];
        if (piece.end() >= end) {
            // Nothing new. RFC 2018 4: the next SACK's first block is still the one holding it.
            counters_.duplicate_bytes += payload.size();
            piece.arrival = ++arrivals_;
            result.dropped = true;
            return result;
        }
        const std::uint32_t cut = std::uint32_t(piece.end() - start);
        counters_.duplicate_bytes += cut;
        payload.trim_front(cut);
        start = piece.end();
    }
    // Pieces the new one covers whole are replaced by it (so the count never grows by more
    // than one); one overlapping its back keeps its bytes and cuts the new piece short.
    std::size_t past = first;
    std::size_t covered = 0;
    while (past < held_.size() && held_[past].end() <= end) covered += held_[past++].bytes.size();
    if (past < held_.size() && held_[past].start < end) {
        const std::uint32_t cut = std::uint32_t(end - held_[past].start);
        counters_.duplicate_bytes += cut;
        payload.trim_back(cut);
        end = held_[past].start;
    }
    counters_.duplicate_bytes += covered;

    if (past == first && held_.size() >= limits_.max_out_of_order_segments) {
        // At the bound. RFC 9293 3.10.7.4 lets a receiver discard out-of-order data, so the
        // new piece goes — unless it lands in the first hole: bytes nearest RCV.NXT are what
        // the next retransmission joins up with, so keep them and drop the farthest piece.
        ++counters_.out_of_order_dropped;
        if (first != 0 || held_.empty()) {
            result.dropped = true;
            return result;
        }
        held_bytes_ -= held_.back().bytes.size();
        held_.pop_back();
        past = std::min(past, held_.size());
    }
    held_bytes_ += payload.size();
    held_bytes_ -= covered;
    // The one allocation for held pieces, made at the first hole: an in-order connection
    // (and an idle one) never makes it.
    if (held_.capacity() == 0) held_.reserve(limits_.max_out_of_order_segments);
    held_piece piece{start, std::move(payload), ++arrivals_};
    if (past == first) {
        held_.insert(held_.begin() + std::ptrdiff_t(first), std::move(piece));
    } else {
        held_[first] = std::move(piece);
        held_.erase(held_.begin() + std::ptrdiff_t(first) + 1, held_.begin() + std::ptrdiff_t(past));
    }
    ++counters_.out_of_order_segments;
    result.out_of_order = true;
    return result;
}

void receive_buffer::advance_past_fin() noexcept {
    next_ += 1;
    counters_.out_of_order_dropped += held_.size();
    held_.clear();
    held_bytes_ = 0;
}

buffer receive_buffer::read(std::size_t max) {
    buffer out;
    while (max != 0 && !readable_.empty()) {
        buffer& front = readable_.front();
        if (front.size() <= max) {
            max -= front.size();
            readable_bytes_ -= front.size();
            out.append(readable_.pop_front());
        } else {
            auto [taken, rest] = std::move(front).split(max);
            front = std::move(rest);
            readable_bytes_ -= max;
            out.append(std::move(taken));
            max = 0;
        }
    }
    return out;
}

std::size_t receive_buffer::sack_blocks(std::span<wire::tcp_sack_block> out) const noexcept {
    // Each pass picks the most recent block older than the last one written; arrivals are
    // unique and start at 1, so 0 means none is left. At most out.size() passes over held_.
    std::size_t written = 0;
    std::uint64_t below = std::numeric_limits<std::uint64_t>::max();
    while (written < out.size()) {
        std::uint64_t best = 0;
        wire::tcp_sack_block block;
        for (std::size_t i = 0; i < held_.size();) {
            const std::size_t run = i;
            std::uint64_t recency = held_[i].arrival;
            while (i + 1 < held_.size() && held_[i].end() == held_[i + 1].start) {
                recency = std::max(recency, held_[++i].arrival);
            }
            if (recency < below && recency > best) {
                best = recency;
                block = {held_[run].start.value, held_[i].end().value};
            }
            ++i;
        }
        if (best == 0) break;
        out[written++] = block;
        below = best;
    }
    return written;
}

void receive_buffer::set_capacity(std::size_t capacity) noexcept {
    limits_.capacity = capacity;
    const std::int64_t right = window();
    while (!held_.empty()) {
        held_piece& last = held_.back();
        const std::int64_t first = offset_of(last.start);
        const std::int64_t beyond = first + std::int64_t(last.bytes.size()) - right;
        if (beyond <= 0) break;
        if (first < right) {
            last.bytes.trim_back(std::size_t(beyond));
            held_bytes_ -= std::size_t(beyond);
            break;
        }
        held_bytes_ -= last.bytes.size();
        ++counters_.out_of_order_dropped;
        held_.pop_back();
    }
}

}  // namespace sluice::net::tcp
