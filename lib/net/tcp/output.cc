// connection's output side: what leaves, when the windows allow it (RFC 9293 3.8.6, RFC
// 5681, RFC 6675 5), with sender and receiver silly-window avoidance (RFC 9293 3.8.6.2),
// Nagle when asked for (3.7.4), and the options every segment carries (RFC 7323, 2018).
#include <algorithm>
#include <chrono>

#include "sluice/net/tcp/connection.hh"

namespace sluice::net::tcp {

seq connection::data_end() const noexcept { return sent_.tail(); }

bool connection::fin_pending() const noexcept { return fin_queued_ && send_next_ == data_end(); }

// RFC 6675 SetPipe() with SACK; without it, NewReno's inflation (RFC 6582 3.2 (4)) seen as
// a pipe: each duplicate ACK says one segment has left the network.
std::uint32_t connection::pipe() const noexcept {
    if (sack_on_) return scoreboard_.pipe(send_unacknowledged_, send_max_, highest_retransmitted_, send_mss_);
    const std::uint32_t flight = std::uint32_t(send_max_ - send_unacknowledged_);
    const std::uint32_t left = std::min<std::uint32_t>(flight, duplicate_acks_ * std::uint32_t(send_mss_));
    return flight - left;
}

// Bytes the congestion window lets us put in flight now.
std::uint32_t connection::usable_window() const noexcept {
    const std::uint32_t in_flight = in_recovery_ ? pipe() : std::uint32_t(send_next_ - send_unacknowledged_);
    const std::uint32_t window = congestion_->window();
    return window > in_flight ? window - in_flight : 0;
}

void connection::transmit(clock::time_point now) {
    const seq sent_before = send_max_;
    const std::uint64_t retransmitted_before = counters_.retransmitted_segments;
    const bool may_send_data = syn_acknowledged_ &&
                               (can_send(state_) || state_ == tcp_state::fin_wait_1 || state_ == tcp_state::closing ||
                                state_ == tcp_state::last_ack);
    if (may_send_data) {
        // RFC 5681 4.1: after an idle period longer than an RTO, start again from the
        // initial window rather than bursting a stale one.
        if (send_max_ == send_unacknowledged_ && last_send_ != clock::time_point{} && now - last_send_ > rtt_.rto()) {
            congestion_->on_idle_restart(send_mss_);
        }
        for (;;) {
            const std::uint32_t usable = usable_window();
            if (usable == 0) break;
            // RFC 6675 5 (NextSeg rule 1): in SACK recovery a lost hole goes before new data.
            if (in_recovery_ && sack_on_) {
                const seq from = seq_max(highest_retransmitted_, send_unacknowledged_);
                if (auto hole = scoreboard_.next_lost_hole(from, send_unacknowledged_, send_max_, send_mss_)) {
                    send_one(hole->first, std::min(hole->second, usable), now);
                    highest_retransmitted_ = hole->first + std::min(hole->second, usable);
                    ++counters_.retransmitted_segments;
                    continue;
                }
            }
            if (send_next_ >= data_end()) break;  // nothing left to send (a FIN is handled below)
            const std::uint32_t queued = std::uint32_t(data_end() - send_next_);
            const std::int32_t window_left = (send_unacknowledged_ + send_window_) - send_next_;
            if (window_left <= 0) break;
            // With TSO, whole MSS at a time up to segmentation_bytes: the device cuts them
            // into the same frames we would have sent one by one.
            const std::uint32_t most = std::max<std::uint32_t>(send_mss_, options_.segmentation_bytes);
            std::uint32_t size = std::min({queued, most, std::uint32_t(window_left), usable});
            if (size > send_mss_) size -= size % send_mss_;
            if (size < send_mss_) {
                // RFC 9293 3.8.6.2.1: a short segment only when it is all there is, and
                // then (with Nagle on) only once nothing is in flight.
                const bool all_queued = size == queued;
                const bool idle = send_max_ == send_unacknowledged_;
                if (!all_queued && !(idle && size >= max_send_window_ / 2)) break;
                if (all_queued && !options_.nodelay && !idle) break;
            }
            send_one(send_next_, size, now);
        }
        if (fin_pending()) {
            send_one(send_next_, 0, now);  // the FIN alone: the data before it has left
        }
        // RFC 9293 3.8.6.1: a zero window with data waiting and nothing in flight to
        // bring an update: probe it.
        if (send_window_ == 0 && send_next_ < data_end() && send_max_ == send_unacknowledged_ &&
            persist_deadline_ == never) {
            persist_deadline_ = now + rtt_.rto();
        }
        // RFC 8985 7.2: new data left; in recovery, any (re)transmission restarts it.
        if (send_max_ > sent_before || counters_.retransmitted_segments != retransmitted_before) arm_loss_probe(now);
    }
    if (ack_pending_) send_ack(now);
}

// Sends [at, at + max_bytes) of the queued data (a new segment or a retransmission) with
// the FIN when it reaches the end and the application has closed.
bool connection::send_one(seq at, std::uint32_t max_bytes, clock::time_point now) {
    outgoing_segment out;
    out.sequence = at;
    out.flags = wire::tcp_ack;
    if (at < data_end()) out.payload = sent_.view(at, max_bytes);
    if (out.payload.size() > send_mss_) out.segment_size = send_mss_;
    const seq after_data = at + std::uint32_t(out.payload.size());
    if (!out.payload.empty() && after_data == data_end()) out.flags |= wire::tcp_psh;
    if (fin_queued_ && after_data == data_end()) out.flags |= wire::tcp_fin;
    const seq end = at + out.length();
    if (end == at) return false;
    const bool fresh = end > send_max_;
    if (fresh) {
        counters_.bytes_sent += std::uint32_t(end - seq_max(at, send_max_)) - (out.has(wire::tcp_fin) ? 1 : 0);
        if (!timed_sequence_ && at >= send_max_) {
            timed_sequence_ = at;  // Karn: time only a first transmission
            timed_since_ = now;
        }
        send_max_ = end;
    } else if (at < send_max_ && !in_recovery_) {
        ++counters_.retransmitted_segments;
    }
    if (at == send_next_) send_next_ = end;
    if (retransmit_deadline_ == never) retransmit_deadline_ = now + rtt_.rto();  // RFC 6298 (5.1)
    emit(std::move(out), now);
    return true;
}

// Our SYN (active open) or SYN-ACK (passive), with every option we offer: in a SYN-ACK
// only those the peer's SYN offered (RFC 7323 2.2, 3.2; RFC 2018 2).
void connection::send_syn(clock::time_point now) {
    outgoing_segment out;
    out.sequence = initial_send_;
    out.flags = wire::tcp_syn;
    const bool answering = state_ == tcp_state::syn_received;
    if (answering) out.flags |= wire::tcp_ack;
    out.options.mss = options_.mss;
    if (answering ? window_scale_on_ : options_.window_scale) out.options.window_scale = receive_shift_;
    if (answering ? sack_on_ : options_.sack) out.options.sack_permitted = true;
    if (answering ? timestamps_on_ : options_.timestamps) {
        out.options.timestamps = wire::tcp_timestamps{timestamp_value(now), answering ? recent_timestamp_ : 0};
    }
    if (send_max_ == initial_send_) {
        timed_sequence_ = initial_send_;
        timed_since_ = now;
    }
    send_next_ = initial_send_ + 1;
    send_max_ = seq_max(send_max_, send_next_);
    if (retransmit_deadline_ == never) retransmit_deadline_ = now + rtt_.rto();
    emit(std::move(out), now);
}

// A segment without data carries the highest sequence number sent (SND.MAX), not the
// SND.NXT a timeout rewound: the peer may already hold everything up to SND.MAX, and an
// ACK numbered below its RCV.NXT would fail its acceptability test and go unread — two
// stacks rewound at once would then answer each other's ACKs for ever (RFC 9293 3.10.7.4).
void connection::send_ack(clock::time_point now) {
    outgoing_segment out;
    out.sequence = send_max_;
    out.flags = wire::tcp_ack;
    emit(std::move(out), now);
}

// RFC 9293 3.10.7: <SEQ=sequence><CTL=RST>, no ACK, no options.
void connection::send_reset(seq sequence, clock::time_point now) {
    outgoing_segment out;
    out.sequence = sequence;
    out.flags = wire::tcp_rst;
    ++counters_.segments_sent;
    sink_.send(tuple_, std::move(out), now);
}

// Every segment but a bare RST: ACK, window and the per-segment options filled here, and
// any ACK we owed is now paid.
void connection::emit(outgoing_segment&& out, clock::time_point now) {
    if (out.has(wire::tcp_syn)) {
        // RFC 7323 2.2: the window in a SYN is never scaled.
        out.window = std::uint16_t(std::min<std::size_t>(received_.window(), 65535));
        if (out.has(wire::tcp_ack)) out.acknowledgment = received_.next();
        advertised_edge_ = received_.next() + out.window;
    } else {
        out.acknowledgment = received_.next();
        out.window = advertise_window();
        out.options = options_for(out.flags, now);
    }
    if (out.has(wire::tcp_ack)) {
        last_ack_sent_ = out.acknowledgment;
        ack_pending_ = false;
        full_segments_unacked_ = 0;
        duplicate_report_.reset();  // sent in this ACK's options, if there was one
        delayed_ack_deadline_ = never;
    }
    last_send_ = now;
    ++counters_.segments_sent;
    sink_.send(tuple_, std::move(out), now);
}

// The window field: RCV.WND shifted, its right edge never moved back (RFC 9293 3.8.6.2.2
// MUST-40's "shrinking"), and moved forward only by a useful amount (receiver SWS
// avoidance: min(half the buffer, one MSS)).
std::uint16_t connection::advertise_window() noexcept {
    const seq next = received_.next();
    const seq edge = next + received_.window();
    const std::uint32_t threshold =
        std::min<std::uint32_t>(std::uint32_t(options_.receive.capacity / 2), options_.mss);
    if (edge > advertised_edge_ && (edge - advertised_edge_ >= std::int32_t(threshold) || advertised_edge_ <= next)) {
        advertised_edge_ = edge;
    }
    const std::uint32_t window = std::uint32_t(std::max<std::int32_t>(0, advertised_edge_ - next));
    return std::uint16_t(std::min<std::uint32_t>(window >> receive_shift_, 65535));
}

wire::tcp_options connection::options_for(std::uint8_t, clock::time_point now) const noexcept {
    wire::tcp_options options;
    if (timestamps_on_) options.timestamps = wire::tcp_timestamps{timestamp_value(now), recent_timestamp_};
    if (sack_on_ && (received_.has_out_of_order() || duplicate_report_)) {
        // RFC 2018 3: at most 3 blocks beside timestamps (40 bytes of options), else 4;
        // RFC 2883 4: a D-SACK block goes first.
        const std::size_t room = timestamps_on_ ? 3 : 4;
        std::size_t first = 0;
        if (duplicate_report_) options.sack[first++] = *duplicate_report_;
        options.sack_count =
            std::uint8_t(first + received_.sack_blocks(std::span(options.sack.data() + first, room - first)));
    }
    return options;
}

std::uint32_t connection::timestamp_value(clock::time_point now) const noexcept {
    return timestamp_for(initial_send_, now);
}

}  // namespace sluice::net::tcp
