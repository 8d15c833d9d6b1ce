// connection::on_segment: RFC 9293 3.10.7 "SEGMENT ARRIVES", one state switch, and the
// numbered steps for synchronized states as named helpers: check sequence number (with
// PAWS, RFC 7323 5), RST (RFC 5961 3), SYN (RFC 5961 4), ACK (RFC 5961 5, RFC 5681,
// RFC 6582, RFC 6675), text, FIN. Read RFC 9293 3.10.7 before editing.
#include <algorithm>

#include "sluice/net/tcp/connection.hh"

namespace sluice::net::tcp {

void connection::on_segment(segment&& incoming, clock::time_point now) {
    ++counters_.segments_received;
    last_received_ = now;
    keepalive_sent_ = 0;
    if (options_.keepalive && keepalive_deadline_ != never) keepalive_deadline_ = now + options_.keepalive_idle;
    switch (state_) {
        case tcp_state::closed:  // the stack answers segments for no connection (3.10.7.1)
        case tcp_state::listen:  // a listener, not a connection, handles LISTEN (3.10.7.2)
            return;
        case tcp_state::syn_sent:  // 3.10.7.3
            return syn_sent_arrives(std::move(incoming), now);
        case tcp_state::syn_received:
        case tcp_state::established:
        case tcp_state::fin_wait_1:
        case tcp_state::fin_wait_2:
        case tcp_state::close_wait:
        case tcp_state::closing:
        case tcp_state::last_ack:
        case tcp_state::time_wait:  // 3.10.7.4: the same steps, state by state inside each
            break;
    }
    // The peer lost our SYN-ACK and sent its SYN again: the acceptability test would only
    // answer with an ACK its SYN-SENT state ignores, so send the SYN-ACK again (as Linux).
    if (state_ == tcp_state::syn_received && incoming.has(wire::tcp_syn) && !incoming.has(wire::tcp_ack) &&
        incoming.sequence == initial_receive_) {
        send_syn(now);
        return;
    }
    // First: sequence number, with PAWS ahead of it (RFC 7323 5.3 R1).
    if (timestamps_on_ && incoming.options.timestamps && !incoming.has(wire::tcp_rst) &&
        std::int32_t(incoming.options.timestamps->value - recent_timestamp_) < 0) {
        ++counters_.paws_rejected;
        challenge_ack(now);  // RFC 7323 5.3 R1: an ACK, rate limited like the others
        return;
    }
    if (!sequence_acceptable(incoming)) {
        ++counters_.out_of_window;
        // RFC 2883 4: data we hold already is reported in the ACK that answers it (D-SACK).
        const seq next = received_.next();
        if (sack_on_ && !incoming.payload.empty() && incoming.end() <= next) {
            duplicate_report_ = wire::tcp_sack_block{incoming.sequence.value,
                                                     (incoming.sequence + std::uint32_t(incoming.payload.size())).value};
        }
        // Answered with an ACK (RFC 9293 3.10.7.4), rate limited as challenge ACKs are, so
        // no pair of stacks can trade such ACKs at line rate.
        if (!incoming.has(wire::tcp_rst)) challenge_ack(now);
        return;
    }
    // RFC 7323 4.3 (2): remember the newest timestamp of a segment that covers the
    // left edge of our last ACK.
    if (timestamps_on_ && incoming.options.timestamps && incoming.sequence <= last_ack_sent_ &&
        std::int32_t(incoming.options.timestamps->value - recent_timestamp_) >= 0) {
        recent_timestamp_ = incoming.options.timestamps->value;
    }
    if (check_rst(incoming, now)) return;   // second
    if (check_syn(incoming, now)) return;   // fourth (the third, security, is not used)
    if (!incoming.has(wire::tcp_ack)) return;  // fifth: "if the ACK bit is off, drop"
    if (check_ack(incoming, now)) return;
    // Sixth, URG: urgent data is not supported (RFC 6093 advises against its use); the
    // bytes are delivered in line.
    process_text(incoming, now);  // seventh
    if (peer_fin_ && !fin_received_ && received_.next() == *peer_fin_) process_fin(now);  // eighth
    transmit(now);
}

// RFC 9293 3.10.7.3.
void connection::syn_sent_arrives(segment&& incoming, clock::time_point now) {
    const bool has_ack = incoming.has(wire::tcp_ack);
    if (has_ack && (incoming.acknowledgment <= initial_send_ || incoming.acknowledgment > send_max_)) {
        if (!incoming.has(wire::tcp_rst)) send_reset(incoming.acknowledgment, now);
        return;
    }
    if (incoming.has(wire::tcp_rst)) {
        // RFC 5961 3.2 for SYN-SENT: only an RST that acknowledges our SYN is believed.
        if (has_ack) finish(connection_error::refused);
        return;
    }
    if (!incoming.has(wire::tcp_syn)) return;
    initial_receive_ = incoming.sequence;
    received_ = receive_buffer(incoming.sequence + 1, options_.receive);
    // Our SYN's window was counted from no RCV.NXT (there was none yet): count it from
    // the one we now have, so the edge we advertise is ours to keep (never shrunk).
    advertised_edge_ = received_.next() + connection::syn_window(options_);
    take_syn_options(incoming);
    if (has_ack) {
        acknowledge_new_data(incoming.acknowledgment, now);
        state_ = tcp_state::established;
        established(now);
        // RFC 7323 2.2: the window of a SYN is never scaled; this one we take whole.
        send_window_ = incoming.window;
        max_send_window_ = std::max(max_send_window_, send_window_);
        window_update_sequence_ = incoming.sequence;
        window_update_ack_ = incoming.acknowledgment;
        if (!incoming.payload.empty()) {
            incoming.sequence += 1;  // the data follows the SYN
            incoming.flags &= std::uint8_t(~wire::tcp_syn);
            process_text(incoming, now);
        }
        ack_pending_ = true;  // carried by the first data segment if one leaves now
        transmit(now);
        return;
    }
    // Simultaneous open (RFC 9293 3.5, Figure 8): their SYN crossed ours.
    state_ = tcp_state::syn_received;
    send_window_ = incoming.window;
    window_update_sequence_ = incoming.sequence;
    send_next_ = initial_send_;
    send_syn(now);
}

// The acceptability test of RFC 9293 3.10.7.4, against the window we advertised.
bool connection::sequence_acceptable(const segment& incoming) const noexcept {
    const seq next = received_.next();
    const std::uint32_t window = std::uint32_t(std::max<std::int32_t>(0, advertised_edge_ - next));
    const std::uint32_t length = incoming.length();
    if (length == 0) {
        return window == 0 ? incoming.sequence == next : in_window(incoming.sequence, next, window);
    }
    if (window == 0) {
        // RFC 9293: "special allowance should be made to accept valid ACKs and RSTs": a
        // segment at RCV.NXT still has its ACK processed; its data is cut by the buffer.
        return incoming.sequence == next;
    }
    return in_window(incoming.sequence, next, window) || in_window(incoming.end() - 1, next, window);
}

// Second step: RST (RFC 5961 3.2): reset only on an exact match with RCV.NXT; another
// in-window RST gets a challenge ACK, so a blind attacker must guess the one number.
bool connection::check_rst(const segment& incoming, clock::time_point now) {
    if (!incoming.has(wire::tcp_rst)) return false;
    if (incoming.sequence != received_.next()) {
        challenge_ack(now);
        return true;
    }
    switch (state_) {
        case tcp_state::syn_received:
            // A passive open goes back to LISTEN (the listener keeps listening); an active
            // one is refused (RFC 9293 3.10.7.4, second, SYN-RECEIVED).
            finish(connection_error::refused);
            break;
        case tcp_state::closing:
        case tcp_state::last_ack:
        case tcp_state::time_wait:
            finish(connection_error::none);  // the peer is gone and we were done
            break;
        default:
            finish(connection_error::reset);
            break;
    }
    return true;
}

// Fourth step: SYN in a synchronized state (RFC 5961 4.2): always a challenge ACK, never a
// reset, whatever its sequence number. In TIME-WAIT a new SYN could reopen (RFC 6191); the
// connection table decides that before the segment reaches here.
bool connection::check_syn(const segment& incoming, clock::time_point now) {
    if (!incoming.has(wire::tcp_syn)) return false;
    challenge_ack(now);
    return true;
}

// Fifth step: the ACK field. Returns true when the segment is done with.
bool connection::check_ack(const segment& incoming, clock::time_point now) {
    const seq ack = incoming.acknowledgment;
    if (state_ == tcp_state::syn_received) {
        if (ack <= send_unacknowledged_ || ack > send_max_) {
            send_reset(ack, now);
            return true;
        }
        state_ = tcp_state::established;
        established(now);
        send_window_ = std::uint32_t(incoming.window) << send_shift_;
        max_send_window_ = std::max(max_send_window_, send_window_);
        window_update_sequence_ = incoming.sequence;
        window_update_ack_ = ack;
    }
    // RFC 5961 5.2: an ACK older than the largest window we were ever offered, or for
    // data not yet sent, is dropped; the latter is answered with an ACK (RFC 9293).
    if (ack > send_max_) {
        ++counters_.ack_of_unsent;
        challenge_ack(now);
        return true;
    }
    if (ack < send_unacknowledged_ - max_send_window_) {
        challenge_ack(now);
        return true;
    }
    const bool advanced = ack > send_unacknowledged_;
    if (advanced) {
        acknowledge_new_data(ack, now);
    } else if (ack == send_unacknowledged_ && incoming.payload.empty() && !incoming.has(wire::tcp_fin) &&
               send_max_ != send_unacknowledged_ && (std::uint32_t(incoming.window) << send_shift_) == send_window_) {
        // RFC 5681 2: a duplicate ACK carries no data, leaves the window alone and comes
        // while data is outstanding. SACK information rides on it (RFC 6675 2).
        if (sack_on_) scoreboard_.update(send_unacknowledged_, send_max_, incoming.options.sack_blocks());
        on_duplicate_ack(now);
    } else if (sack_on_) {
        scoreboard_.update(send_unacknowledged_, send_max_, incoming.options.sack_blocks());
    }
    if (advanced || probe_.outstanding()) on_loss_probe_ack(incoming, advanced, now);
    update_send_window(incoming);

    const bool fin_acknowledged = fin_queued_ && send_unacknowledged_ == data_end() + 1;
    switch (state_) {
        case tcp_state::fin_wait_1:
            if (fin_acknowledged) state_ = tcp_state::fin_wait_2;
            break;
        case tcp_state::closing:
            if (fin_acknowledged) {
                enter_time_wait(now);
                return true;
            }
            break;
        case tcp_state::last_ack:
            if (fin_acknowledged) {
                finish(connection_error::none);
                return true;
            }
            break;
        case tcp_state::time_wait:
            // Only a retransmitted FIN can come here: acknowledge it and restart 2*MSL.
            if (incoming.has(wire::tcp_fin)) {
                send_ack(now);
                time_wait_deadline_ = now + options_.time_wait;
            }
            return true;
        default:
            break;
    }
    return false;
}

// RFC 9293 3.10.7.4 fifth step, "update the send window": only from a segment newer than
// the one that set it last (SND.WL1, SND.WL2), so an old reordered one cannot shrink it.
void connection::update_send_window(const segment& incoming) {
    if (window_update_sequence_ < incoming.sequence ||
        (window_update_sequence_ == incoming.sequence && window_update_ack_ <= incoming.acknowledgment)) {
        const std::uint32_t offered = std::uint32_t(incoming.window) << send_shift_;
        const bool opened = send_window_ == 0 && offered > 0;
        send_window_ = offered;
        max_send_window_ = std::max(max_send_window_, send_window_);
        window_update_sequence_ = incoming.sequence;
        window_update_ack_ = incoming.acknowledgment;
        if (opened) {
            persist_deadline_ = never;
            persist_backoffs_ = 0;
        }
    }
}

// Seventh step: data for the receive buffer, and the ACK it calls for.
void connection::process_text(segment& incoming, clock::time_point now) {
    if (incoming.has(wire::tcp_fin)) {
        const seq fin_at = incoming.sequence + std::uint32_t(incoming.payload.size());
        if (!peer_fin_ && fin_at <= advertised_edge_) peer_fin_ = fin_at;
    }
    if (incoming.payload.empty()) return;
    if (!can_receive(state_)) return;  // data after the peer's FIN: ignored (RFC 9293 seventh)
    if (application_closed_) {
        // Nobody will read it: RFC 9293 3.10.4 lets a closed socket answer data with RST
        // (as RFC 1122 4.2.2.13 describes), so the peer learns at once.
        send_reset(send_max_, now);
        finish(connection_error::aborted);
        return;
    }
    const std::size_t size = incoming.payload.size();
    const seq start = incoming.sequence;
    const bool was_out_of_order = received_.has_out_of_order();
    // RFC 2883 4: the part we held already goes back as a D-SACK block.
    if (sack_on_ && start < received_.next()) {
        duplicate_report_ = wire::tcp_sack_block{start.value, seq_min(start + std::uint32_t(size), received_.next()).value};
    }
    const auto result = received_.insert(start, std::move(incoming.payload));
    counters_.bytes_received += result.advanced;
    if (result.advanced > 0) events_.readable = true;
    // RFC 5681 4.2: out-of-order data, and data that fills a hole, are acknowledged at
    // once (they feed the sender's fast retransmit and recovery); duplicates too.
    const bool immediately = result.out_of_order || result.advanced == 0 || was_out_of_order ||
                             !options_.delayed_ack;
    if (size >= send_mss_) ++full_segments_unacked_;
    schedule_ack(immediately || full_segments_unacked_ >= 2, now);
}

// Eighth step: the FIN, once every byte before it is in (RFC 9293 3.10.7.4 eighth).
void connection::process_fin(clock::time_point now) {
    fin_received_ = true;
    received_.advance_past_fin();
    events_.readable = true;
    switch (state_) {
        case tcp_state::syn_received:
        case tcp_state::established:
            state_ = tcp_state::close_wait;
            break;
        case tcp_state::fin_wait_1:
            // Our FIN not yet acknowledged (else check_ack moved us to FIN-WAIT-2).
            state_ = tcp_state::closing;
            break;
        case tcp_state::fin_wait_2:
            enter_time_wait(now);
            break;
        default:
            break;
    }
    schedule_ack(true, now);
}

// Options of the peer's SYN (RFC 9293 3.7.1, RFC 7323 2-3, RFC 2018 2), agreed only when
// both sides offered them.
void connection::take_syn_options(const segment& syn) {
    peer_mss_ = syn.options.mss.value_or(536);  // RFC 9293 3.7.1 (MUST-15)
    window_scale_on_ = options_.window_scale && syn.options.window_scale.has_value();
    if (window_scale_on_) {
        send_shift_ = std::min(*syn.options.window_scale, wire::tcp_max_window_scale);
    } else {
        send_shift_ = 0;
        receive_shift_ = 0;
    }
    timestamps_on_ = options_.timestamps && syn.options.timestamps.has_value();
    if (timestamps_on_) recent_timestamp_ = syn.options.timestamps->value;
    sack_on_ = options_.sack && syn.options.sack_permitted;
    // The data a segment carries: the smaller MSS, less the options every segment has
    // (RFC 9293 3.7.1: "the effective MSS ... minus the size of the TCP options").
    send_mss_ = std::uint16_t(std::min(peer_mss_, options_.mss) - (timestamps_on_ ? 12 : 0));
    congestion_->reset(send_mss_);
}

void connection::acknowledge_new_data(seq ack, clock::time_point now) {
    // An RTT sample from the timed segment, never from a retransmitted one (Karn; RFC 6298 3).
    if (timed_sequence_ && ack > *timed_sequence_) {
        rtt_.on_sample(now - timed_since_);
        timed_sequence_.reset();
    }
    std::uint32_t acked = std::uint32_t(ack - send_unacknowledged_);
    if (!syn_acknowledged_ && ack > initial_send_) {
        syn_acknowledged_ = true;
        acked -= 1;  // the SYN's number is not data
    }
    sent_.acknowledge(seq_min(ack, sent_.tail()));
    const std::uint32_t flight_before = std::uint32_t(send_max_ - send_unacknowledged_);
    send_unacknowledged_ = ack;
    if (send_next_ < send_unacknowledged_) send_next_ = send_unacknowledged_;
    if (sack_on_) scoreboard_.acknowledge(ack);
    duplicate_acks_ = 0;
    retries_ = 0;
    rtt_.reset_back_off();  // progress: the next timeout starts from the plain RTO again
    if (in_recovery_) {
        if (ack >= recovery_point_) {
            in_recovery_ = false;  // RFC 6582 3.2 (3): a full acknowledgment ends recovery
            congestion_->on_recovery_end(flight_before - acked, send_mss_, now);
        } else if (!sack_on_) {
            // RFC 6582 3.2 (5): a partial acknowledgment: the next hole is lost too.
            send_one(send_unacknowledged_, send_mss_, now);
            ++counters_.retransmitted_segments;
        }
    } else if (acked > 0) {
        congestion_->on_ack(acked, send_mss_, now, rtt_.smoothed());
    }
    // "recover" is compared modulo 2^32: once SND.UNA has passed it, it follows one byte
    // behind, so that after 2 GiB more it does not read as ahead again and block fast
    // retransmit (RFC 6582 4.1's test stays as it was).
    if (!in_recovery_ && recovery_point_ < send_unacknowledged_ - 1) recovery_point_ = send_unacknowledged_ - 1;
    // RFC 6298 (5.2) and (5.3).
    if (send_unacknowledged_ == send_max_) {
        retransmit_deadline_ = never;
    } else {
        retransmit_deadline_ = now + rtt_.rto();
    }
    if (acked > 0 && sent_.room() > 0 && can_send(state_)) events_.writable = true;
}

// RFC 5681 3.2 and RFC 6675 5: the third duplicate ACK (or SACKed bytes that show the
// first segment lost) starts fast retransmit, once per window (RFC 6582 4.1).
void connection::on_duplicate_ack(clock::time_point now) {
    ++counters_.duplicate_acks;
    ++duplicate_acks_;
    if (in_recovery_) return;  // transmit() sends what the pipe allows
    const bool lost = duplicate_acks_ >= 3 || (sack_on_ && scoreboard_.is_lost(send_unacknowledged_, send_mss_));
    if (!lost) return;
    // RFC 6582 4.1: these duplicates are from before the last recovery ("recover" starts
    // at the ISS, so before any recovery this never holds).
    if (send_unacknowledged_ - 1 < recovery_point_) return;
    enter_recovery(now);
}

// Fast retransmit of the first unacknowledged segment and the window cut (RFC 5681 3.2
// steps 2-3, RFC 6675 5 step 4): on duplicate ACKs, or on a SACKed tail loss probe.
void connection::enter_recovery(clock::time_point now) {
    probe_.clear();
    probe_deadline_ = never;
    recovery_resent_ = false;
    in_recovery_ = true;
    recovery_point_ = send_max_;
    ++counters_.fast_retransmits;
    congestion_->on_loss(std::uint32_t(send_max_ - send_unacknowledged_), send_mss_, now);
    timed_sequence_.reset();
    send_one(send_unacknowledged_, send_mss_, now);
    ++counters_.retransmitted_segments;
    highest_retransmitted_ = send_unacknowledged_ + send_mss_;
    retransmit_deadline_ = now + rtt_.rto();
    arm_loss_probe(now);  // the recovery timer: a lost retransmission is found without the RTO
}

// RFC 5961 3.2, 4.2, 5.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, rate limited (section 7).
void connection::challenge_ack(clock::time_point now) {
    if (!challenge_limit_.try_take(now)) {
        ++counters_.challenge_acks_limited;
        return;
    }
    ++counters_.challenge_acks;
    send_ack(now);
}

}  // namespace sluice::net::tcp
