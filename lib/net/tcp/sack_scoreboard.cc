// The RFC 6675 scoreboard as a sorted array of merged ranges. Every range lies within one
// send window (less than 2^31 bytes), so comparing their edges as seq values is consistent.
#include "sluice/net/tcp/sack_scoreboard.hh"

#include <algorithm>

namespace sluice::net::tcp {

namespace {

seq left_of(const wire::tcp_sack_block& range) noexcept { return seq(range.left); }
seq right_of(const wire::tcp_sack_block& range) noexcept { return seq(range.right); }
std::uint32_t size_of(const wire::tcp_sack_block& range) noexcept { return range.right - range.left; }

// Bytes [a_left, a_right) and [b_left, b_right) share.
std::uint32_t overlap(seq a_left, seq a_right, seq b_left, seq b_right) noexcept {
    const seq start = seq_max(a_left, b_left);
    const seq end = seq_min(a_right, b_right);
    return start < end ? std::uint32_t(end - start) : 0;
}

}  // namespace

std::uint32_t sack_scoreboard::update(seq snd_una, seq snd_nxt,
                                      std::span<const wire::tcp_sack_block> blocks) noexcept {
    acknowledge(snd_una);
    const std::uint32_t in_flight = snd_nxt.value - snd_una.value;
    std::uint32_t added = 0;
    for (const wire::tcp_sack_block& block : blocks) {
        // Offsets from SND.UNA, unsigned, so a block anywhere else on the circle falls outside.
        const std::uint32_t left = block.left - snd_una.value;
        const std::uint32_t right = block.right - snd_una.value;
        if (left == 0 || left >= right || right > in_flight) continue;  // RFC 6675 5: invalid
        added += insert(seq(block.left), seq(block.right));
    }
    return added;
}

std::uint32_t sack_scoreboard::insert(seq left, seq right) noexcept {
    // Ranges [first, past) overlap or touch the new one; they become a single range.
    std::size_t first = 0;
    while (first < count_ && right_of(ranges_[first]) < left) ++first;
    std::size_t past = first;
    std::uint32_t already = 0;
    seq merged_left = left;
    seq merged_right = right;
    for (; past < count_ && left_of(ranges_[past]) <= right; ++past) {
        already += overlap(left_of(ranges_[past]), right_of(ranges_[past]), left, right);
        merged_left = seq_min(merged_left, left_of(ranges_[past]));
        merged_right = seq_max(merged_right, right_of(ranges_[past]));
    }
    const std::uint32_t added = std::uint32_t(right - left) - already;
    if (past > first) {
        ranges_[first] = {merged_left.value, merged_right.value};
        erase(first + 1, past);
        sacked_bytes_ += added;
        return added;
    }
    if (count_ == max_ranges) {
        // Full: forget the lowest range (the header says why), or the new one if it is lowest.
        if (first == 0) return 0;
        sacked_bytes_ -= size_of(ranges_[0]);
        erase(0, 1);
        --first;
    }
    std::copy_backward(ranges_.begin() + first, ranges_.begin() + count_, ranges_.begin() + count_ + 1);
    ranges_[first] = {left.value, right.value};
    ++count_;
    sacked_bytes_ += added;
    return added;
}

void sack_scoreboard::erase(std::size_t first, std::size_t past) noexcept {
    std::copy(ranges_.begin() + past, ranges_.begin() + count_, ranges_.begin() + first);
    count_ -= past - first;
}

void sack_scoreboard::acknowledge(seq snd_una) noexcept {
    std::size_t covered = 0;
    while (covered < count_ && right_of(ranges_[covered]) <= snd_una) sacked_bytes_ -= size_of(ranges_[covered++]);
    erase(0, covered);
    if (lost_before_ && *lost_before_ <= snd_una) lost_before_.reset();
    // A range the cumulative ACK reaches into keeps only its part above.
    if (count_ > 0 && left_of(ranges_[0]) < snd_una) {
        sacked_bytes_ -= std::uint32_t(snd_una - left_of(ranges_[0]));
        ranges_[0].left = snd_una.value;
    }
}

void sack_scoreboard::clear() noexcept {
    count_ = 0;
    sacked_bytes_ = 0;
    lost_before_.reset();
}

bool sack_scoreboard::is_sacked(seq s) const noexcept {
    for (std::size_t i = 0; i < count_ && left_of(ranges_[i]) <= s; ++i) {
        if (s < right_of(ranges_[i])) return true;
    }
    return false;
}

std::optional<seq> sack_scoreboard::highest_sacked() const noexcept {
    if (count_ == 0) return std::nullopt;
    return right_of(ranges_[count_ - 1]);
}

bool sack_scoreboard::is_lost(seq s, std::uint32_t mss) const noexcept {
    if (lost_before_ && s < *lost_before_) return true;
    std::uint32_t ranges_above = 0;
    std::uint64_t bytes_above = 0;
    // From the top down, while a range still holds a byte above s.
    for (std::size_t i = count_; i-- > 0 && right_of(ranges_[i]) - s > 1;) {
        ++ranges_above;
        bytes_above += std::uint32_t(right_of(ranges_[i]) - seq_max(left_of(ranges_[i]), s + 1));
    }
    return lost_given(ranges_above, bytes_above, mss);
}

std::optional<std::pair<seq, std::uint32_t>> sack_scoreboard::next_hole(seq from, seq snd_una, seq snd_nxt,
                                                                        std::uint32_t mss, bool lost) const noexcept {
    seq start = seq_max(from, snd_una);
    // Only holes with a range above them: RFC 6675 4 rules (1.b) and (3.b).
    for (std::size_t i = 0; i < count_; ++i) {
        const seq left = left_of(ranges_[i]);
        const seq right = right_of(ranges_[i]);
        if (right <= start) continue;
        if (left <= start) {  // start is SACKed: the hole, if any, begins past this range
            start = right;
            continue;
        }
        if (start >= snd_nxt) return std::nullopt;
        if (is_lost(start, mss) == lost) {
            return std::pair{start, std::min(mss, std::uint32_t(seq_min(left, snd_nxt) - start))};
        }
        // IsLost only weakens going up (fewer SACKed bytes above), so no later hole is lost.
        if (lost) return std::nullopt;
        start = right;
    }
    return std::nullopt;
}

std::optional<std::pair<seq, std::uint32_t>> sack_scoreboard::next_lost_hole(seq from, seq snd_una, seq snd_nxt,
                                                                             std::uint32_t mss) const noexcept {
    return next_hole(from, snd_una, snd_nxt, mss, true);
}

std::optional<std::pair<seq, std::uint32_t>> sack_scoreboard::next_unsacked_hole(seq from, seq snd_una,
                                                                                 seq snd_nxt,
                                                                                 std::uint32_t mss) const noexcept {
    return next_hole(from, snd_una, snd_nxt, mss, false);
}

std::uint32_t sack_scoreboard::pipe(seq snd_una, seq snd_nxt, seq high_rxt, std::uint32_t mss) const noexcept {
    const seq retransmitted_end = seq_min(seq_max(high_rxt, snd_una), snd_nxt);
    std::uint64_t in_flight = 0;
    std::uint32_t ranges_above = 0;
    std::uint64_t bytes_above = 0;
    // The holes from the top down: above range i-1 and below range i (or snd_nxt).
    for (std::size_t i = count_ + 1; i-- > 0;) {
        const seq hole_start = i > 0 ? seq_max(right_of(ranges_[i - 1]), snd_una) : snd_una;
        const seq hole_end = i < count_ ? seq_min(left_of(ranges_[i]), snd_nxt) : snd_nxt;
        if (i < count_) {
            ++ranges_above;
            bytes_above += size_of(ranges_[i]);
        }
        if (hole_start >= hole_end) continue;
        const bool marked_lost = lost_before_ && hole_start < *lost_before_;
        if (!marked_lost && !lost_given(ranges_above, bytes_above, mss)) in_flight += std::uint32_t(hole_end - hole_start);  // (a)
        if (hole_start < retransmitted_end) {  // (b)
            in_flight += std::uint32_t(seq_min(retransmitted_end, hole_end) - hole_start);
        }
    }
    return std::uint32_t(std::min<std::uint64_t>(in_flight, UINT32_MAX));
}

}  // namespace sluice::net::tcp
