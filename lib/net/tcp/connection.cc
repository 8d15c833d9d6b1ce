// connection: opening, the application's calls, the timers (RFC 6298 retransmission,
// RFC 9293 3.8.6.1 persist, RFC 1122 4.2.3.6 keepalive, 4.2.3.2 delayed ACK, TIME-WAIT)
// and how a connection ends. Segment processing is in segment_arrives.cc, output in
// output.cc.
#include "sluice/net/tcp/connection.hh"

#include <algorithm>

namespace sluice::net::tcp {

std::string_view describe(connection_error error) noexcept {
    switch (error) {
        case connection_error::none: return "closed";
        case connection_error::refused: return "connection refused (the peer answered our SYN with RST)";
        case connection_error::reset: return "connection reset by the peer";
        case connection_error::timed_out: return "connection timed out (retransmissions or keepalive unanswered)";
        case connection_error::aborted: return "connection aborted by this side";
    }
    return "unknown connection error";
}

// RFC 7323 2.3: the smallest shift that lets the buffer's bytes be offered, at most 14.
std::uint8_t connection::window_shift_for(const connection_options& options) noexcept {
    if (!options.window_scale) return 0;
    std::uint8_t shift = 0;
    while ((options.receive.capacity >> shift) > 65535 && shift < wire::tcp_max_window_scale) ++shift;
    return shift;
}

std::uint16_t connection::syn_window(const connection_options& options) noexcept {
    return std::uint16_t(std::min<std::size_t>(options.receive.capacity, 65535));
}

// RFC 7323 5.4: a clock of 1 ms a tick from a start unguessable per connection (derived
// from the ISN, itself keyed, RFC 6528).
std::uint32_t connection::timestamp_for(seq iss, clock::time_point now) noexcept {
    const auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    return std::uint32_t(milliseconds) + iss.value * 2654435761u;
}

// Every field is a std::uint64_t; one added to the struct must be added here too.
static_assert(sizeof(connection_counters) == 22 * sizeof(std::uint64_t), "sum the new counter in operator+=");

connection_counters& operator+=(connection_counters& sum, const connection_counters& more) noexcept {
    sum.segments_received += more.segments_received;
    sum.segments_sent += more.segments_sent;
    sum.bytes_received += more.bytes_received;
    sum.bytes_sent += more.bytes_sent;
    sum.retransmitted_segments += more.retransmitted_segments;
    sum.retransmit_timeouts += more.retransmit_timeouts;
    sum.fast_retransmits += more.fast_retransmits;
    sum.duplicate_acks += more.duplicate_acks;
    sum.loss_probes += more.loss_probes;
    sum.loss_probe_recoveries += more.loss_probe_recoveries;
    sum.loss_probes_redundant += more.loss_probes_redundant;
    sum.retransmissions_lost += more.retransmissions_lost;
    sum.out_of_window += more.out_of_window;
    sum.paws_rejected += more.paws_rejected;
    sum.challenge_acks += more.challenge_acks;
    sum.challenge_acks_limited += more.challenge_acks_limited;
    sum.ack_of_unsent += more.ack_of_unsent;
    sum.zero_window_probes += more.zero_window_probes;
    sum.keepalive_probes += more.keepalive_probes;
    sum.delayed_acks += more.delayed_acks;
    sum.path_mtu_reductions += more.path_mtu_reductions;
    sum.icmp_ignored += more.icmp_ignored;
    return sum;
}

connection::connection(const four_tuple& tuple, const connection_options& options, segment_sink& sink)
    : tuple_(tuple),
      options_(options),
      sink_(sink),
      sent_(seq(0), options.send_buffer),
      received_(seq(0), options.receive),
      receive_shift_(window_shift_for(options)),
      rtt_(options.rto),
      congestion_(make_congestion_control(options.congestion, options.mss)),
      challenge_limit_(options.challenge_acks_per_second, options.challenge_acks_per_second) {}

void connection::open(seq iss, clock::time_point now) {
    initial_send_ = iss;
    recovery_point_ = iss;  // RFC 6582 3.2: "recover" starts at the ISS
    highest_retransmitted_ = iss;
    send_unacknowledged_ = iss;
    send_next_ = iss;
    send_max_ = iss;
    sent_ = send_buffer(iss + 1, options_.send_buffer);
    state_ = tcp_state::syn_sent;
    last_received_ = now;
    send_syn(now);
}

void connection::accept_syn(const segment& syn, seq iss, clock::time_point now) {
    initial_send_ = iss;
    recovery_point_ = iss;  // RFC 6582 3.2: "recover" starts at the ISS
    highest_retransmitted_ = iss;
    send_unacknowledged_ = iss;
    send_next_ = iss;
    send_max_ = iss;
    sent_ = send_buffer(iss + 1, options_.send_buffer);
    initial_receive_ = syn.sequence;
    received_ = receive_buffer(syn.sequence + 1, options_.receive);
    take_syn_options(syn);
    send_window_ = syn.window;  // RFC 7323 2.2: unscaled in a SYN
    max_send_window_ = send_window_;
    window_update_sequence_ = syn.sequence;
    window_update_ack_ = iss;
    state_ = tcp_state::syn_received;
    last_received_ = now;
    send_syn(now);
}

void connection::accept_cookie(segment&& third, seq iss, std::uint16_t peer_mss,
                               std::optional<std::uint8_t> peer_window_scale, bool peer_sack_permitted,
                               clock::time_point now) {
    initial_send_ = iss;
    recovery_point_ = iss;  // RFC 6582 3.2: "recover" starts at the ISS
    highest_retransmitted_ = iss;
    send_unacknowledged_ = iss + 1;
    send_next_ = iss + 1;
    send_max_ = iss + 1;
    syn_acknowledged_ = true;
    sent_ = send_buffer(iss + 1, options_.send_buffer);
    initial_receive_ = third.sequence - 1;
    received_ = receive_buffer(third.sequence, options_.receive);
    // The cookie kept the SYN's options (the timestamp echo carries scale and SACK); a
    // third ACK without timestamps brings neither, so both stay off (as Linux does).
    segment syn;
    syn.options.mss = peer_mss;
    syn.options.window_scale = third.options.timestamps ? peer_window_scale : std::nullopt;
    syn.options.sack_permitted = third.options.timestamps && peer_sack_permitted;
    if (third.options.timestamps) syn.options.timestamps = wire::tcp_timestamps{third.options.timestamps->value, 0};
    take_syn_options(syn);
    if (!window_scale_on_) receive_shift_ = 0;
    send_window_ = std::uint32_t(third.window) << send_shift_;
    max_send_window_ = send_window_;
    window_update_sequence_ = third.sequence;
    window_update_ack_ = third.acknowledgment;
    advertised_edge_ = third.sequence + syn_window(options_);
    state_ = tcp_state::established;
    established(now);
    last_received_ = now;
    if (!third.payload.empty() || third.has(wire::tcp_fin)) on_segment(std::move(third), now);
}

clock::time_point connection::next_deadline() const noexcept {
    // Pairwise, not std::min over an initializer_list: this runs after every segment.
    const clock::time_point sending = std::min(retransmit_deadline_, std::min(persist_deadline_, probe_deadline_));
    const clock::time_point waiting = std::min(delayed_ack_deadline_, std::min(keepalive_deadline_, time_wait_deadline_));
    return std::min(sending, waiting);
}

void connection::on_timer(clock::time_point now) {
    if (time_wait_deadline_ <= now) return finish(connection_error::none);  // RFC 9293 3.10.8
    if (retransmit_deadline_ <= now) on_retransmit_timeout(now);
    if (state_ == tcp_state::closed) return;
    if (probe_deadline_ <= now) on_loss_probe_timeout(now);
    if (persist_deadline_ <= now) on_persist_timeout(now);
    if (delayed_ack_deadline_ <= now) {
        ++counters_.delayed_acks;
        send_ack(now);
    }
    if (keepalive_deadline_ <= now) on_keepalive_timeout(now);
}

// RFC 6298 (5.4)-(5.6): retransmit the earliest unacknowledged segment, back the timer
// off, and (RFC 5681 3.1) fall back to a loss window of one segment; the rest follows in
// slow start from SND.UNA. Too many in a row end the connection (RFC 9293 3.8.3, R2).
void connection::on_retransmit_timeout(clock::time_point now) {
    if (send_unacknowledged_ == send_max_) {
        retransmit_deadline_ = never;
        return;
    }
    ++retries_;
    ++counters_.retransmit_timeouts;
    probe_.clear();  // RFC 8985 7: the RTO ends a probe episode
    probe_deadline_ = never;
    if (retries_ > (syn_acknowledged_ ? options_.data_retries : options_.syn_retries)) {
        return finish(connection_error::timed_out);
    }
    timed_sequence_.reset();
    rtt_.back_off();
    retransmit_deadline_ = now + rtt_.rto();
    if (!syn_acknowledged_) {
        ++counters_.retransmitted_segments;
        return send_syn(now);
    }
    if (retries_ == 1) congestion_->on_timeout(std::uint32_t(send_max_ - send_unacknowledged_), send_mss_, now);
    in_recovery_ = false;
    recovery_point_ = send_max_;  // RFC 6582 4.1: no fast retransmit for what was sent before
    duplicate_acks_ = 0;
    if (sack_on_) scoreboard_.clear();  // RFC 6675 5.1: the receiver may have reneged
    send_next_ = send_unacknowledged_;
    ++counters_.retransmitted_segments;
    send_one(send_next_, send_mss_, now);
}

// RFC 9293 3.8.6.1: a zero window is probed, backing off like the RTO, for as long as the
// peer keeps answering. The probe is an out-of-window ACK (SEG.SEQ = SND.UNA - 1), which
// the peer must answer with its window (RFC 9293 3.10.7.4 first step).
void connection::on_persist_timeout(clock::time_point now) {
    if (send_window_ != 0 || send_next_ >= data_end()) {
        persist_deadline_ = never;
        persist_backoffs_ = 0;
        return;
    }
    ++counters_.zero_window_probes;
    outgoing_segment probe;
    probe.sequence = send_unacknowledged_ - 1;
    probe.flags = wire::tcp_ack;
    emit(std::move(probe), now);
    persist_backoffs_ = std::min(persist_backoffs_ + 1, 16u);
    const clock::duration wait = std::min(rtt_.rto() * (1 << std::min(persist_backoffs_, 10u)), options_.rto.maximum);
    persist_deadline_ = now + wait;
}

// RFC 1122 4.2.3.6: after keepalive_idle with nothing received, probe every interval; the
// probe carries no data (SEG.SEQ = SND.UNA - 1, out of the peer's window) so the peer
// answers with an ACK.
void connection::on_keepalive_timeout(clock::time_point now) {
    if (!options_.keepalive || !is_synchronized(state_)) {
        keepalive_deadline_ = never;
        return;
    }
    // Data in flight has the retransmission timer watching the peer (and before our SYN
    // is acknowledged there is no SND.UNA - 1 to probe with): look again an interval later.
    if (!syn_acknowledged_ || send_unacknowledged_ != send_max_) {
        keepalive_deadline_ = now + options_.keepalive_interval;
        return;
    }
    if (keepalive_sent_ >= options_.keepalive_probes) return finish(connection_error::timed_out);
    ++keepalive_sent_;
    ++counters_.keepalive_probes;
    outgoing_segment probe;
    probe.sequence = send_unacknowledged_ - 1;
    probe.flags = wire::tcp_ack;
    emit(std::move(probe), now);
    keepalive_deadline_ = now + options_.keepalive_interval;
}

void connection::set_keepalive(bool on, clock::time_point now) noexcept {
    options_.keepalive = on;
    keepalive_sent_ = 0;
    keepalive_deadline_ = on ? std::max(last_received_, now - options_.keepalive_idle) + options_.keepalive_idle : never;
}

void connection::on_path_mtu(std::uint16_t mtu, seq quoted_sequence, clock::time_point now) {
    // RFC 5927 4.1 and 5.2: believe it only for data in flight, and never below the floor.
    if (quoted_sequence < send_unacknowledged_ || quoted_sequence >= send_max_ || mtu < 40 + 8) {
        ++counters_.icmp_ignored;
        return;
    }
    const std::uint16_t overhead = 40 + (timestamps_on_ ? 12 : 0);
    const std::uint16_t wanted = std::uint16_t(std::max<int>(mtu - overhead, options_.min_path_mss - (timestamps_on_ ? 12 : 0)));
    if (wanted >= send_mss_) {
        ++counters_.icmp_ignored;
        return;
    }
    ++counters_.path_mtu_reductions;
    send_mss_ = wanted;
    // RFC 1191 6.5: resend what was lost at the old size without a congestion response.
    timed_sequence_.reset();
    send_next_ = send_unacknowledged_;
    transmit(now);
}

buffer_result<std::size_t> connection::write(std::span<const std::byte> bytes, clock::time_point now) {
    if (fin_queued_ || !(can_send(state_) || state_ == tcp_state::syn_sent || state_ == tcp_state::syn_received)) {
        return std::size_t{0};
    }
    auto taken = sent_.write(bytes);
    if (taken && *taken > 0) transmit(now);
    return taken;
}

bool connection::write(buffer&& bytes, clock::time_point now) {
    if (fin_queued_ || !(can_send(state_) || state_ == tcp_state::syn_sent || state_ == tcp_state::syn_received)) {
        return false;
    }
    if (!sent_.write(std::move(bytes))) return false;
    transmit(now);
    return true;
}

std::size_t connection::send_room() const noexcept {
    if (fin_queued_ || !(can_send(state_) || state_ == tcp_state::syn_sent || state_ == tcp_state::syn_received)) {
        return 0;
    }
    return sent_.room();
}

buffer connection::read(std::size_t max, clock::time_point now) {
    buffer taken = received_.read(max);
    if (taken.empty() || !is_synchronized(state_) || !can_receive(state_)) return taken;
    // RFC 9293 3.8.6.2.2: tell the peer once the window has opened by a useful amount
    // (two segments or half the buffer) while what it was last offered is under half the
    // buffer, so a sender stalled on a small window resumes; a sender with room to spare
    // hears of it on the next ACK instead (no extra segment per read).
    const std::int32_t opened = (received_.next() + received_.window()) - advertised_edge_;
    const std::int32_t offered = advertised_edge_ - received_.next();
    const std::uint32_t worth = std::min<std::uint32_t>(2u * options_.mss, std::uint32_t(options_.receive.capacity / 2));
    if (opened >= std::int32_t(worth) && offered < std::int32_t(options_.receive.capacity / 2)) send_ack(now);
    return taken;
}

void connection::shutdown_send(clock::time_point now) {
    switch (state_) {
        case tcp_state::syn_sent:
            return finish(connection_error::none);  // RFC 9293 3.10.4: nothing to close yet
        case tcp_state::syn_received:
        case tcp_state::established:
            fin_queued_ = true;
            state_ = tcp_state::fin_wait_1;
            break;
        case tcp_state::close_wait:
            fin_queued_ = true;
            state_ = tcp_state::last_ack;
            break;
        default:
            return;  // already closing: RFC 9293 "error: connection closing"
    }
    transmit(now);
}

void connection::close(clock::time_point now) {
    application_closed_ = true;
    // RFC 2525 2.17: closing with unread data loses it; say so with RST, not FIN.
    if (received_.readable() > 0 && is_synchronized(state_)) return abort(now);
    if (state_ == tcp_state::fin_wait_2 || state_ == tcp_state::time_wait || state_ == tcp_state::closing ||
        state_ == tcp_state::last_ack || state_ == tcp_state::fin_wait_1) {
        return;
    }
    shutdown_send(now);
}

void connection::abort(clock::time_point now) {
    if (state_ == tcp_state::closed) return;
    // RFC 9293 3.10.5: <SEQ=SND.NXT><CTL=RST> from a synchronized (or half-open) state.
    if (state_ != tcp_state::syn_sent && state_ != tcp_state::time_wait) send_reset(send_max_, now);
    finish(connection_error::aborted);
}

// The handshake is done: the application hears of it, and keepalive (when asked for in
// the options) starts counting idle time from now.
void connection::established(clock::time_point now) {
    events_.established = true;
    if (counters_.retransmit_timeouts > 0) rtt_.restart_after_syn_timeout();  // RFC 6298 (5.7)
    if (options_.keepalive && keepalive_deadline_ == never) keepalive_deadline_ = now + options_.keepalive_idle;
}

void connection::enter_time_wait(clock::time_point now) {
    state_ = tcp_state::time_wait;
    retransmit_deadline_ = never;
    persist_deadline_ = never;
    keepalive_deadline_ = never;
    time_wait_deadline_ = now + options_.time_wait;
    events_.readable = true;
}

void connection::finish(connection_error why) noexcept {
    state_ = tcp_state::closed;
    if (error_ == connection_error::none) error_ = why;
    retransmit_deadline_ = never;
    delayed_ack_deadline_ = never;
    persist_deadline_ = never;
    probe_deadline_ = never;
    keepalive_deadline_ = never;
    time_wait_deadline_ = never;
    ack_pending_ = false;
    // Wake every waiter: a reader, a writer and a closer all see the end (rule 12).
    events_.closed = events_.readable = events_.writable = true;
}

// RFC 9293 3.8.6.3 (and RFC 1122 4.2.3.2): an ACK waits at most delayed_ack_timeout and
// never past the second full-sized segment; the caller says when it must go at once.
void connection::schedule_ack(bool immediately, clock::time_point now) {
    if (immediately || !options_.delayed_ack) {
        ack_pending_ = true;
        return;
    }
    if (delayed_ack_deadline_ == never) delayed_ack_deadline_ = now + options_.delayed_ack_timeout;
}

connection_events connection::take_events() noexcept {
    const connection_events taken = events_;
    events_ = {};
    return taken;
}

}  // namespace sluice::net::tcp
