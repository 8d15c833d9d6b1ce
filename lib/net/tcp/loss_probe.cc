// The tail loss probe (RFC 8985 7): the probe's state and verdicts, and the connection's
// side: when to arm the probe timer (7.2), what the probe carries (7.3), and what an ACK
// after it means (7.4). Loss below a SACKed probe is inferred as RACK would (RFC 8985 6.2):
// everything below the probe was sent at least a PTO (two round trips) before it.
#include "sluice/net/tcp/loss_probe.hh"

#include <algorithm>

#include "sluice/net/tcp/connection.hh"

namespace sluice::net::tcp {

clock::duration probe_timeout(clock::duration smoothed_rtt, bool one_segment_in_flight,
                              clock::duration peer_delayed_ack, clock::duration minimum) noexcept {
    clock::duration timeout = 2 * smoothed_rtt;
    if (one_segment_in_flight) timeout += peer_delayed_ack;
    return std::max(timeout, minimum);
}

bool reports_duplicate(std::span<const wire::tcp_sack_block> blocks, seq ack, seq start, seq end) noexcept {
    if (blocks.empty()) return false;
    const seq left{blocks[0].left};
    const seq right{blocks[0].right};
    if (!(left < right)) return false;
    const bool below_ack = left < ack;
    const bool inside_second =
        blocks.size() >= 2 && seq{blocks[1].left} <= left && right <= seq{blocks[1].right};
    if (!below_ack && !inside_second) return false;
    return left < end && start < right;
}

void loss_probe::sent(seq start, seq end, bool retransmission, std::uint32_t flight) noexcept {
    start_ = start;
    end_ = end;
    retransmission_ = retransmission;
    flight_ = flight;
    outstanding_ = true;
    reached_end_ = false;
}

probe_verdict loss_probe::on_ack(seq ack, bool advanced, bool duplicate, bool reported, bool sacked) noexcept {
    if (!outstanding_) return probe_verdict::pending;
    probe_verdict verdict = probe_verdict::pending;
    if (reported) {
        verdict = probe_verdict::redundant;
    } else if (sacked && ack < start_) {
        verdict = probe_verdict::tail_lost;
    } else if (ack < end_) {
        return probe_verdict::pending;
    } else if (!retransmission_) {
        verdict = probe_verdict::delivered;
    } else if (ack > end_) {
        // RFC 8985 7.4.2: acknowledged beyond the probe with no D-SACK for it: the probe
        // was the copy that arrived.
        verdict = probe_verdict::repaired;
    } else if (advanced && !reached_end_) {
        reached_end_ = true;
        return probe_verdict::pending;
    } else if (duplicate && reached_end_) {
        verdict = probe_verdict::redundant;  // both copies arrived; this peer sends no D-SACK
    } else {
        return probe_verdict::pending;
    }
    outstanding_ = false;
    return verdict;
}

// RFC 8985 7.2's conditions: SACK on, an RTT known, data in flight, and neither fast
// recovery, RTO recovery nor an unanswered probe. RFC 8985 also waits when data is SACKed,
// leaving that to RACK's reordering timer; without RACK, the same timer does that job
// (on_loss_probe_timeout).
bool connection::may_probe() const noexcept {
    if (!options_.tail_loss_probe || !sack_on_ || !syn_acknowledged_ || !rtt_.has_sample()) return false;
    if (send_max_ == send_unacknowledged_ || in_recovery_ || retries_ > 0 || probe_.outstanding()) return false;
    return !(send_unacknowledged_ < recovery_point_);  // not in RTO recovery
}

// RACK's rule (RFC 8985 6.2) where the caller knows every byte in flight left at least a
// PTO ago: an unSACKed byte below a SACKed one is lost. False when nothing is SACKed.
bool connection::mark_holes_below_sacked_lost() noexcept {
    const auto highest = scoreboard_.highest_sacked();
    if (!highest || !(send_unacknowledged_ < *highest)) return false;
    scoreboard_.mark_lost_before(*highest);
    return true;
}

// RFC 8985 7.2: (re)started after new data leaves and after an ACK of new data. In fast
// recovery the same timer runs from the last (re)transmission, to find retransmissions
// that were lost (on_recovery_timeout), once until an ACK moves SND.UNA again. A timer
// that would not fire before the RTO is not armed: the RTO does the same job.
void connection::arm_loss_probe(clock::time_point now) noexcept {
    probe_deadline_ = never;
    clock::duration timeout;
    if (in_recovery_) {
        if (!options_.tail_loss_probe || !sack_on_ || !rtt_.has_sample() || recovery_resent_) return;
        timeout = std::max(2 * rtt_.smoothed(), options_.loss_probe_minimum);
    } else {
        if (!may_probe()) return;
        const bool one_segment = std::uint32_t(send_max_ - send_unacknowledged_) <= send_mss_;
        timeout = probe_timeout(rtt_.smoothed(), one_segment, options_.loss_probe_delayed_ack,
                                options_.loss_probe_minimum);
    }
    if (now + timeout < retransmit_deadline_) probe_deadline_ = now + timeout;
}

// Fast recovery went a PTO (two round trips) with nothing sent and no ACK that let anything
// go: the holes below SACKed data were retransmitted at least that long ago and are still
// missing, so those retransmissions were most likely lost. RFC 6675 sends a hole once, and
// RACK (RFC 8985 6.2) finds such a loss only when data sent after it is SACKed; without
// this, the RTO (10 ms, and a window of one segment) would. Send the holes once more: once
// per stall (an ACK that moves SND.UNA allows another), with no second window cut. The RTO
// deadline stays where it was, so a peer that has gone still meets the RTO, its back-off
// and its retry limit.
void connection::on_recovery_timeout(clock::time_point now) {
    if (!mark_holes_below_sacked_lost()) return;
    recovery_resent_ = true;
    ++counters_.retransmissions_lost;
    highest_retransmitted_ = send_unacknowledged_;
    transmit(now);
}

// RFC 8985 7.3: a new segment if the peer's window takes one, else the last segment sent
// again (with the FIN if that was last). Either makes the peer send an ACK whose SACK
// blocks show any hole below. The RTO then watches the probe.
void connection::on_loss_probe_timeout(clock::time_point now) {
    probe_deadline_ = never;
    if (in_recovery_) return on_recovery_timeout(now);
    if (!may_probe()) return;
    // Every byte in flight left at least a PTO (over an RTT) ago, and none was answered
    // since: an unSACKed byte below a SACKed one is lost by RACK's rule (RFC 8985 6.2,
    // 6.3's timer). Recover it now; no probe is needed to learn that.
    if (mark_holes_below_sacked_lost()) {
        ++counters_.loss_probe_recoveries;
        enter_recovery(now);
        return;
    }
    ++counters_.loss_probes;
    const std::uint32_t flight = std::uint32_t(send_max_ - send_unacknowledged_);
    const std::int32_t window_left = (send_unacknowledged_ + send_window_) - send_next_;
    const std::uint32_t queued = send_next_ < data_end() ? std::uint32_t(data_end() - send_next_) : 0;
    const std::uint32_t size = std::min<std::uint32_t>(queued, send_mss_);
    if (send_next_ == send_max_ && size > 0 && window_left >= std::int32_t(size)) {
        const seq start = send_next_;
        send_one(start, size, now);
        probe_.sent(start, send_max_, false, flight);
    } else {
        const seq last_data = seq_min(send_max_, data_end());
        const seq start = last_data - std::min<std::uint32_t>(std::uint32_t(last_data - send_unacknowledged_), send_mss_);
        send_one(start, std::uint32_t(last_data - start), now);
        probe_.sent(start, send_max_, true, flight);
    }
    retransmit_deadline_ = now + rtt_.rto();
}

// RFC 8985 7.4: what an ACK says about an outstanding probe; then (7.2) an ACK of new data
// restarts the probe timer.
void connection::on_loss_probe_ack(const segment& incoming, bool advanced, clock::time_point now) {
    if (probe_.outstanding()) {
        const seq ack = incoming.acknowledgment;
        const auto blocks = incoming.options.sack_blocks();
        const bool duplicate = !advanced && incoming.payload.empty() && !incoming.has(wire::tcp_fin);
        const bool reported = reports_duplicate(blocks, ack, probe_.start(), probe_.end());
        const bool sacked = std::any_of(blocks.begin(), blocks.end(), [&](const wire::tcp_sack_block& block) {
            return seq{block.left} <= probe_.start() && probe_.start() < seq{block.right};
        });
        const seq probe_start = probe_.start();
        switch (probe_.on_ack(ack, advanced, duplicate, reported, sacked)) {
            case probe_verdict::pending:
            case probe_verdict::delivered:
                break;
            case probe_verdict::redundant:
                ++counters_.loss_probes_redundant;
                break;
            case probe_verdict::repaired:
                // RFC 8985 7.4.2: the loss was real though recovery never ran: respond as
                // fast recovery would have.
                ++counters_.loss_probe_recoveries;
                if (!in_recovery_) congestion_->on_loss(probe_.flight(), send_mss_, now);
                break;
            case probe_verdict::tail_lost:
                ++counters_.loss_probe_recoveries;
                // The blocks count even on an ACK that moved SND.UNA: they show the holes.
                scoreboard_.update(send_unacknowledged_, send_max_, blocks);
                scoreboard_.mark_lost_before(probe_start);
                if (!in_recovery_) enter_recovery(now);
                break;
        }
    }
    if (advanced) {
        recovery_resent_ = false;
        arm_loss_probe(now);
    }
}

}  // namespace sluice::net::tcp
