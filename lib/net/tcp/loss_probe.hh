// sluice::net::tcp::loss_probe: one tail loss probe (TLP, RFC 8985 7): what it sent, and
// what the ACKs that followed say about it. Part of one connection, used only on its shard;
// sans-I/O. The connection decides when to probe and acts on the verdicts (loss_probe.cc).
//
// Read RFC 8985 7 and RFC 2883 (D-SACK) before editing. Without a probe, a lost tail (the
// last segments of a write, with nothing after them to bring duplicate ACKs) waits for the
// RTO; the probe makes the peer answer, and its SACK shows what is missing.
#pragma once

#include <cstdint>
#include <span>

#include "sluice/core/clock.hh"
#include "sluice/net/tcp/seq.hh"
#include "sluice/net/wire/tcp.hh"

namespace sluice::net::tcp {

// RFC 8985 7.2: PTO = 2 * SRTT, plus the peer's worst-case delayed ACK when a single
// segment is in flight (its ACK may be held back), and never under `minimum`.
[[nodiscard]] clock::duration probe_timeout(clock::duration smoothed_rtt, bool one_segment_in_flight,
                                            clock::duration peer_delayed_ack, clock::duration minimum) noexcept;

// RFC 2883 4: an ACK's first SACK block is a D-SACK (a duplicate the peer received) when it
// lies below the cumulative ACK, or inside the second block. True when it reports any byte
// of [start, end).
[[nodiscard]] bool reports_duplicate(std::span<const wire::tcp_sack_block> blocks, seq ack, seq start,
                                     seq end) noexcept;

enum class probe_verdict : std::uint8_t {
    pending,    // nothing learned yet
    delivered,  // the probe carried new data, and it was acknowledged
    redundant,  // the peer had the probed bytes already: a D-SACK, or a duplicate ACK at its end
    repaired,   // the probe replaced the one lost segment: the window must shrink (RFC 8985 7.4)
    tail_lost,  // the probe was SACKed and the data below it was not: that data is lost
};

class loss_probe {
public:
    // Sent [start, end); `flight` is what was in flight when it left.
    void sent(seq start, seq end, bool retransmission, std::uint32_t flight) noexcept;
    void clear() noexcept { outstanding_ = false; }

    [[nodiscard]] bool outstanding() const noexcept { return outstanding_; }
    [[nodiscard]] seq start() const noexcept { return start_; }
    [[nodiscard]] seq end() const noexcept { return end_; }
    [[nodiscard]] std::uint32_t flight() const noexcept { return flight_; }

    // An ACK while the probe is outstanding (RFC 8985 7.4.2). `advanced`: it moved SND.UNA;
    // `duplicate`: a pure duplicate ACK (no data, nothing acknowledged); `reported`: its
    // D-SACK names the probe; `sacked`: a SACK block covers the probe's first byte. Any
    // verdict but pending ends the episode.
    probe_verdict on_ack(seq ack, bool advanced, bool duplicate, bool reported, bool sacked) noexcept;

private:
    seq start_;
    seq end_;
    std::uint32_t flight_ = 0;
    bool retransmission_ = false;
    bool outstanding_ = false;
    // SND.UNA reached end_ exactly: either the original's late ACK or the probe's own. The
    // next ACK decides: a duplicate at end_ means the probe was a copy (a peer without
    // D-SACK), an ACK beyond it means the probe was what arrived.
    bool reached_end_ = false;
};

}  // namespace sluice::net::tcp
