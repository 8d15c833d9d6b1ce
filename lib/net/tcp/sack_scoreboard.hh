// sluice::net::tcp::sack_scoreboard: which bytes above SND.UNA the peer has SACKed (RFC 2018),
// and the RFC 6675 questions asked of them: IsLost, NextSeg's holes, SetPipe. Part of one
// connection, used only on its shard; fixed capacity, so an ACK never allocates.
//
// Read RFC 2018 3-4 and RFC 6675 2-5 before editing. Bounded at max_ranges: when a new range
// would be the 33rd, the lowest range (nearest SND.UNA) is forgotten, or the new one if it is
// the lowest. Forgetting only makes bytes look unreceived, so at worst they are sent again;
// merging ranges instead would claim holes were received, and a hole believed SACKed is not
// retransmitted until the RTO. With 31 ranges still above it, every hole below them stays
// IsLost by the DupThresh-ranges rule, so loss recovery proceeds as before.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "sluice/net/tcp/seq.hh"
#include "sluice/net/wire/tcp.hh"

namespace sluice::net::tcp {

class sack_scoreboard {
public:
    static constexpr std::size_t max_ranges = 32;
    static constexpr std::uint32_t duplicate_threshold = 3;  // RFC 6675 2: DupThresh

    // Drops what `snd_una` acknowledges, then records an ACK's SACK blocks. A block not wholly
    // inside (snd_una, snd_nxt] (SND.UNA < left < right <= SND.NXT) is ignored: RFC 2018 3
    // blocks report data above the cumulative ACK, RFC 6675 5 treats others as invalid, and
    // it keeps forged blocks from claiming bytes never sent. D-SACK blocks (RFC 2883) lie
    // below SND.UNA and are ignored here. Returns the bytes newly recorded as SACKed.
    std::uint32_t update(seq snd_una, seq snd_nxt, std::span<const wire::tcp_sack_block> blocks) noexcept;

    // Drops everything below the cumulative acknowledgment point.
    void acknowledge(seq snd_una) noexcept;
    // Forgets everything: RFC 6675 5.1 lets a sender clear the scoreboard after an RTO.
    void clear() noexcept;
    // Every unSACKed byte below `s` is lost, whatever IsLost's counting says: the connection
    // knows it by time (a SACKed tail loss probe, RFC 8985 6.2). Lasts until SND.UNA passes s.
    void mark_lost_before(seq s) noexcept { lost_before_ = s; }

    [[nodiscard]] bool is_sacked(seq s) const noexcept;
    [[nodiscard]] std::uint32_t sacked_bytes() const noexcept { return sacked_bytes_; }
    // One past the highest SACKed byte (the right edge of the highest range).
    [[nodiscard]] std::optional<seq> highest_sacked() const noexcept;
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }

    // RFC 6675 4 IsLost(SeqNum): DupThresh discontiguous SACKed ranges lie above s, or more
    // than (DupThresh - 1) * mss SACKed bytes lie above s; or s lies below mark_lost_before's.
    [[nodiscard]] bool is_lost(seq s, std::uint32_t mss) const noexcept;

    // RFC 6675 4 NextSeg() rule (1): the first unSACKed hole at or after max(from, snd_una),
    // below the highest SACKed byte, that IsLost, as {start, length}: length at most mss
    // (> 0), not past the next SACKed range or snd_nxt. Pass from = HighRxt's successor.
    [[nodiscard]] std::optional<std::pair<seq, std::uint32_t>> next_lost_hole(seq from, seq snd_una, seq snd_nxt,
                                                                              std::uint32_t mss) const noexcept;
    // NextSeg() rule (3): the same, for the first hole that is unSACKed but not IsLost.
    [[nodiscard]] std::optional<std::pair<seq, std::uint32_t>> next_unsacked_hole(seq from, seq snd_una,
                                                                                  seq snd_nxt,
                                                                                  std::uint32_t mss) const noexcept;

    // RFC 6675 4 SetPipe(): octets in flight. Each unSACKed octet in [snd_una, snd_nxt)
    // counts once unless IsLost, and once more when retransmitted, i.e. below `high_rxt`
    // (one past the highest octet retransmitted; snd_una when none was). Exact per octet:
    // IsLost is the same for every octet of one hole.
    [[nodiscard]] std::uint32_t pipe(seq snd_una, seq snd_nxt, seq high_rxt, std::uint32_t mss) const noexcept;

    // Sorted in sequence order, merged (no two overlap or touch).
    [[nodiscard]] std::span<const wire::tcp_sack_block> ranges() const noexcept { return {ranges_.data(), count_}; }

private:
    std::uint32_t insert(seq left, seq right) noexcept;
    void erase(std::size_t first, std::size_t past) noexcept;
    std::optional<std::pair<seq, std::uint32_t>> next_hole(seq from, seq snd_una, seq snd_nxt, std::uint32_t mss,
                                                           bool lost) const noexcept;
    static bool lost_given(std::uint32_t ranges_above, std::uint64_t bytes_above, std::uint32_t mss) noexcept {
        return ranges_above >= duplicate_threshold || bytes_above > std::uint64_t(duplicate_threshold - 1) * mss;
    }

    std::array<wire::tcp_sack_block, max_ranges> ranges_{};
    std::size_t count_ = 0;
    std::uint32_t sacked_bytes_ = 0;
    std::optional<seq> lost_before_;
};

}  // namespace sluice::net::tcp
