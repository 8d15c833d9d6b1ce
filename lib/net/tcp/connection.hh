// sluice::net::tcp::connection: one TCP connection's protocol core, sans I/O. It takes the
// segments that arrive (on_segment) and the time (on_timer, every call's `now`), says what
// to send through its segment_sink, and tells the loop when it next needs to run
// (next_deadline). It reads no clock and touches no device, timer wheel or socket: the
// stack's TCP layer does that. Owned by one shard; no locks.
//
// Read before editing: RFC 9293 (the protocol; 3.10 event processing), RFC 6298 (RTO),
// RFC 5681 and RFC 6582 (congestion control, NewReno), RFC 2018 and RFC 6675 (SACK),
// RFC 7323 (window scale, timestamps, PAWS), RFC 5961 (blind in-window attacks),
// RFC 1122 4.2 (delayed ACK, keepalive, zero window), RFC 5927 (ICMP against TCP),
// RFC 8985 7 (tail loss probe) and RFC 2883 (D-SACK).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "sluice/core/clock.hh"
#include "sluice/net/buffer.hh"
#include "sluice/net/buffer_error.hh"
#include "sluice/net/tcp/congestion/congestion_control.hh"
#include "sluice/net/tcp/four_tuple.hh"
#include "sluice/net/tcp/loss_probe.hh"
#include "sluice/net/tcp/receive_buffer.hh"
#include "sluice/net/tcp/rtt.hh"
#include "sluice/net/tcp/sack_scoreboard.hh"
#include "sluice/net/tcp/segment.hh"
#include "sluice/net/tcp/send_buffer.hh"
#include "sluice/net/tcp/seq.hh"
#include "sluice/net/tcp/state.hh"
#include "sluice/net/token_bucket.hh"

namespace sluice::net::tcp {

// Per-connection settings (docs/user-guide.md, "TCP options"). Defaults suit a data
// centre: small minimum RTO and delayed-ACK timeout, Nagle off.
struct connection_options {
    // The MSS we announce (RFC 9293 3.7.1): the interface MTU less 40 bytes of headers.
    std::uint16_t mss = 1460;
    std::size_t send_buffer = 256 * 1024;
    // The most data one outgoing segment may carry, in whole MSS, when the device cuts
    // segments into frames itself (TSO). 0: the interface decides (options_for_interface
    // sets 64 KiB less headers when the device has TSO); up to one MSS: one MSS a segment.
    std::uint32_t segmentation_bytes = 0;
    receive_limits receive;
    bool nodelay = true;  // Nagle's algorithm (RFC 9293 3.7.4) off unless asked for
    bool delayed_ack = true;
    // RFC 9293 3.8.6.3: under 0.5 s. Kept well below the minimum RTO, so a peer of ours
    // never times out waiting for an ACK we are holding back.
    clock::duration delayed_ack_timeout = std::chrono::milliseconds(1);
    bool window_scale = true;  // RFC 7323 2
    bool timestamps = true;    // RFC 7323 3
    bool sack = true;          // RFC 2018
    congestion_algorithm congestion = congestion_algorithm::cubic;
    rto_settings rto;
    // RFC 8985 7: when no ACK comes for a while after the last send, probe the tail, so a
    // lost last segment is repaired in a few round trips instead of at the RTO. Needs SACK.
    bool tail_loss_probe = true;
    // The least probe timeout. 2 * SRTT is tens of microseconds here; a floor keeps a peer's
    // scheduling hiccup from drawing probes, and it stays well under the 10 ms minimum RTO.
    clock::duration loss_probe_minimum = std::chrono::milliseconds(2);
    // RFC 8985 7.2 WCDelAckT, the longest a peer may hold the ACK of a lone segment (added
    // when one segment is in flight). The RFC suggests 200 ms for the Internet; here it is
    // our own delayed-ACK timeout, as the 10 ms minimum RTO already assumes a peer that
    // ACKs within milliseconds. A slower peer draws a needless probe, which its D-SACK
    // (or duplicate ACK) shows, and the window is left alone.
    clock::duration loss_probe_delayed_ack = std::chrono::milliseconds(1);
    unsigned syn_retries = 6;    // SYN (or SYN-ACK) retransmissions before giving up
    unsigned data_retries = 15;  // RFC 9293 3.8.3: R2 well past 100 s with back-off
    // 2*MSL in TIME-WAIT (RFC 9293 3.3.5 says MSL is 2 minutes; Linux waits 60 s in all).
    clock::duration time_wait = std::chrono::seconds(60);
    // RFC 1122 4.2.3.6: off by default; the idle time at least two hours when on.
    bool keepalive = false;
    clock::duration keepalive_idle = std::chrono::hours(2);
    clock::duration keepalive_interval = std::chrono::seconds(75);
    unsigned keepalive_probes = 9;
    // The least MSS an ICMP "fragmentation needed" may lower us to (RFC 1191 3 says 68
    // bytes of MTU; RFC 5927 5.2 warns forged ICMP may try to shrink us: floor it).
    std::uint16_t min_path_mss = 536;
    // Challenge ACKs a second, per connection (RFC 5961 7).
    std::uint32_t challenge_acks_per_second = 100;
};

// Why a connection ended, as the socket reports it.
enum class connection_error : std::uint8_t {
    none,
    refused,    // RST in answer to our SYN
    reset,      // the peer reset an established connection
    timed_out,  // retransmissions or keepalive probes went unanswered
    aborted,    // we sent RST (abort())
};
std::string_view describe(connection_error error) noexcept;

// What changed for the application since it last looked (take_events()).
struct connection_events {
    bool established = false;  // the handshake completed
    bool readable = false;     // data arrived, or the peer's FIN (read returns 0 bytes then)
    bool writable = false;     // the send buffer gained room
    bool closed = false;       // the connection reached CLOSED (see error())
};

struct connection_counters {
    std::uint64_t segments_received = 0;
    std::uint64_t segments_sent = 0;
    std::uint64_t bytes_received = 0;  // in order, delivered to the receive buffer
    std::uint64_t bytes_sent = 0;      // new data, retransmissions not counted
    std::uint64_t retransmitted_segments = 0;
    std::uint64_t retransmit_timeouts = 0;
    std::uint64_t fast_retransmits = 0;   // recoveries entered on duplicate ACKs or SACK
    std::uint64_t duplicate_acks = 0;
    std::uint64_t loss_probes = 0;            // tail loss probes sent (RFC 8985 7)
    std::uint64_t loss_probe_recoveries = 0;  // probes that found or repaired a loss
    std::uint64_t loss_probes_redundant = 0;  // probes the peer already had (D-SACK)
    std::uint64_t retransmissions_lost = 0;   // stalled recoveries that sent their holes again
    std::uint64_t out_of_window = 0;      // segments failing the acceptability test
    std::uint64_t paws_rejected = 0;      // RFC 7323 5.3
    std::uint64_t challenge_acks = 0;     // RFC 5961
    std::uint64_t challenge_acks_limited = 0;
    std::uint64_t ack_of_unsent = 0;      // ACKs beyond SND.NXT
    std::uint64_t zero_window_probes = 0;
    std::uint64_t keepalive_probes = 0;
    std::uint64_t delayed_acks = 0;       // ACKs sent by the delayed-ACK timer
    std::uint64_t path_mtu_reductions = 0;
    std::uint64_t icmp_ignored = 0;       // ICMP that named nothing in flight, or below the floor
};
// Field by field, for totals over connections (connection_table::connection_totals).
connection_counters& operator+=(connection_counters& sum, const connection_counters& more) noexcept;

class connection {
public:
    connection(const four_tuple& tuple, const connection_options& options, segment_sink& sink);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // --- opening ------------------------------------------------------------------------
    // Active open (RFC 9293 3.10.1): sends SYN with `iss` and enters SYN-SENT.
    void open(seq iss, clock::time_point now);
    // Passive open: a listener hands over the SYN it got; sends SYN-ACK, SYN-RECEIVED.
    void accept_syn(const segment& syn, seq iss, clock::time_point now);
    // Passive open from a SYN cookie (RFC 4987 3.6): the third ACK, our ISN that its cookie
    // checked out as, and what the cookie kept of the SYN. Straight to ESTABLISHED; the
    // ACK's data (if any) is taken as in ESTABLISHED.
    void accept_cookie(segment&& third, seq iss, std::uint16_t peer_mss, std::optional<std::uint8_t> peer_window_scale,
                       bool peer_sack_permitted, clock::time_point now);
    // The TSval a SYN-ACK from `iss` carries at `now` (RFC 7323 5.4's per-connection clock),
    // so a stateless SYN-ACK and the connection its cookie later makes agree.
    static std::uint32_t timestamp_for(seq iss, clock::time_point now) noexcept;

    // --- from the network and the loop --------------------------------------------------
    // One segment for this connection (RFC 9293 3.10.7, "SEGMENT ARRIVES").
    void on_segment(segment&& incoming, clock::time_point now);
    // Fires whatever is due: retransmission, delayed ACK, persist, keepalive, TIME-WAIT.
    void on_timer(clock::time_point now);
    // When on_timer should next run; time_point::max() when nothing is pending.
    clock::time_point next_deadline() const noexcept;
    // ICMP "fragmentation needed" quoting `quoted_sequence` with next-hop `mtu` (RFC 1191,
    // RFC 5927 5.2: believed only for a sequence number in flight, floored).
    void on_path_mtu(std::uint16_t mtu, seq quoted_sequence, clock::time_point now);

    // --- from the application -----------------------------------------------------------
    // Copies up to send_room() bytes once into the send buffer and sends what the windows
    // allow. The count taken (0 when full or not sending), or pool_empty.
    buffer_result<std::size_t> write(std::span<const std::byte> bytes, clock::time_point now);
    // Zero-copy: queues the view whole, or nothing (false) when it does not fit.
    [[nodiscard]] bool write(buffer&& bytes, clock::time_point now);
    // Up to `max` received bytes as one view of the receive mbufs (no copy); may open the
    // window (a window update). Empty when nothing is buffered.
    buffer read(std::size_t max, clock::time_point now);
    // No more data from us: FIN after what is queued (RFC 9293 3.10.4 CLOSE, half-close).
    void shutdown_send(clock::time_point now);
    // Graceful close of both directions; data still arriving is answered with RST once
    // the application has gone (it cannot read it).
    void close(clock::time_point now);
    // RST now, everything dropped (RFC 9293 3.10.5 ABORT).
    void abort(clock::time_point now);

    // --- state --------------------------------------------------------------------------
    tcp_state state() const noexcept { return state_; }
    connection_error error() const noexcept { return error_; }
    const four_tuple& tuple() const noexcept { return tuple_; }
    std::size_t readable() const noexcept { return received_.readable(); }
    // The peer's FIN has been received and every byte before it read.
    bool peer_finished() const noexcept { return fin_received_ && received_.readable() == 0; }
    std::size_t send_room() const noexcept;
    std::size_t unsent_or_unacknowledged() const noexcept { return sent_.size(); }
    connection_events take_events() noexcept;
    const connection_counters& counters() const noexcept { return counters_; }

    // Negotiated values, for tests and reports.
    std::uint16_t send_mss() const noexcept { return send_mss_; }  // data bytes per segment
    std::uint32_t send_window() const noexcept { return send_window_; }
    std::uint32_t congestion_window() const noexcept { return congestion_->window(); }
    const congestion_control& congestion() const noexcept { return *congestion_; }
    const rtt_estimator& rtt() const noexcept { return rtt_; }
    bool timestamps_enabled() const noexcept { return timestamps_on_; }
    bool sack_enabled() const noexcept { return sack_on_; }
    std::uint8_t send_window_shift() const noexcept { return send_shift_; }
    std::uint8_t receive_window_shift() const noexcept { return receive_shift_; }
    bool in_recovery() const noexcept { return in_recovery_; }
    seq send_unacknowledged() const noexcept { return send_unacknowledged_; }
    seq send_next() const noexcept { return send_next_; }
    seq receive_next() const noexcept { return received_.next(); }
    std::uint32_t recent_timestamp() const noexcept { return recent_timestamp_; }
    // The window a SYN-ACK of ours offers (unscaled, RFC 7323 2.2) and the shift it announces.
    static std::uint16_t syn_window(const connection_options& options) noexcept;
    static std::uint8_t window_shift_for(const connection_options& options) noexcept;
    const connection_options& options() const noexcept { return options_; }
    void set_nodelay(bool on) noexcept { options_.nodelay = on; }
    void set_keepalive(bool on, clock::time_point now) noexcept;
    void set_minimum_rto(clock::duration minimum) noexcept { rtt_.set_minimum(minimum); }

private:
    // segment_arrives.cc: RFC 9293 3.10.7 by state and step.
    void syn_sent_arrives(segment&& incoming, clock::time_point now);
    bool sequence_acceptable(const segment& incoming) const noexcept;
    bool check_rst(const segment& incoming, clock::time_point now);
    bool check_syn(const segment& incoming, clock::time_point now);
    bool check_ack(const segment& incoming, clock::time_point now);
    void process_text(segment& incoming, clock::time_point now);
    void process_fin(clock::time_point now);
    void take_syn_options(const segment& syn);
    void acknowledge_new_data(seq ack, clock::time_point now);
    void update_send_window(const segment& incoming);
    void on_duplicate_ack(clock::time_point now);
    void enter_recovery(clock::time_point now);
    void challenge_ack(clock::time_point now);

    // output.cc: what leaves and when.
    void transmit(clock::time_point now);
    bool send_one(seq at, std::uint32_t max_bytes, clock::time_point now);
    void send_syn(clock::time_point now);
    void send_ack(clock::time_point now);
    void send_reset(seq sequence, clock::time_point now);
    void emit(outgoing_segment&& out, clock::time_point now);
    std::uint16_t advertise_window() noexcept;
    wire::tcp_options options_for(std::uint8_t flags, clock::time_point now) const noexcept;
    std::uint32_t timestamp_value(clock::time_point now) const noexcept;
    std::uint32_t usable_window() const noexcept;
    std::uint32_t pipe() const noexcept;
    bool fin_pending() const noexcept;
    seq data_end() const noexcept;  // sequence number after the last byte queued (the FIN's place)

    // loss_probe.cc: the tail loss probe (RFC 8985 7).
    bool may_probe() const noexcept;
    bool mark_holes_below_sacked_lost() noexcept;
    void arm_loss_probe(clock::time_point now) noexcept;
    void on_loss_probe_timeout(clock::time_point now);
    void on_recovery_timeout(clock::time_point now);
    void on_loss_probe_ack(const segment& incoming, bool advanced, clock::time_point now);

    // connection.cc: timers and endings.
    void arm_retransmit(clock::time_point now) noexcept;
    void on_retransmit_timeout(clock::time_point now);
    void on_persist_timeout(clock::time_point now);
    void on_keepalive_timeout(clock::time_point now);
    void established(clock::time_point now);
    void enter_time_wait(clock::time_point now);
    void finish(connection_error why) noexcept;
    void schedule_ack(bool immediately, clock::time_point now);

    static constexpr clock::time_point never = clock::time_point::max();

    four_tuple tuple_;
    connection_options options_;
    segment_sink& sink_;
    tcp_state state_ = tcp_state::closed;
    connection_error error_ = connection_error::none;
    connection_events events_;

    // Send sequence space (RFC 9293 3.3.1).
    seq initial_send_;              // ISS
    seq send_unacknowledged_;       // SND.UNA
    seq send_next_;                 // SND.NXT: the next byte to send (goes back after an RTO)
    seq send_max_;                  // the highest SND.NXT yet: what an ACK may cover
    std::uint32_t send_window_ = 0;  // SND.WND, scaled
    std::uint32_t max_send_window_ = 0;  // MAX.SND.WND (RFC 5961 5.2)
    seq window_update_sequence_;    // SND.WL1
    seq window_update_ack_;         // SND.WL2
    send_buffer sent_;
    bool fin_queued_ = false;       // the application closed its side: FIN at data_end()
    bool syn_acknowledged_ = false;

    // Receive sequence space.
    seq initial_receive_;            // IRS
    receive_buffer received_;
    seq advertised_edge_;            // RCV.NXT + RCV.WND as last sent: never moved back (RFC 9293 3.8.6.2.2)
    std::optional<seq> peer_fin_;    // where the peer's FIN sits, once seen (may be beyond a hole)
    bool fin_received_ = false;      // RCV.NXT has passed it
    bool application_closed_ = false;  // close(): nothing will read any more

    // Options negotiated on the SYNs.
    std::uint16_t send_mss_ = 536;   // RFC 9293 3.7.1: 536 when the peer sends none
    std::uint16_t peer_mss_ = 536;
    std::uint8_t send_shift_ = 0;    // applied to the peer's window fields
    std::uint8_t receive_shift_ = 0;  // applied to ours
    bool window_scale_on_ = false;
    bool timestamps_on_ = false;
    bool sack_on_ = false;
    std::uint32_t recent_timestamp_ = 0;  // TS.Recent (RFC 7323 4.3)
    seq last_ack_sent_;                   // Last.ACK.sent

    // Reliability (RFC 6298, RFC 5681, RFC 6582, RFC 6675).
    rtt_estimator rtt_;
    std::unique_ptr<congestion_control> congestion_;
    sack_scoreboard scoreboard_;
    std::optional<seq> timed_sequence_;   // the segment being timed for an RTT sample (Karn)
    clock::time_point timed_since_{};
    unsigned duplicate_acks_ = 0;
    bool in_recovery_ = false;
    seq recovery_point_;                  // "recover" of RFC 6582
    seq highest_retransmitted_;           // HighRxt of RFC 6675
    unsigned retries_ = 0;                // consecutive timeouts without progress
    clock::time_point last_send_{};       // for restart after idle (RFC 5681 4.1)

    // Acknowledgments we owe.
    bool ack_pending_ = false;
    unsigned full_segments_unacked_ = 0;  // RFC 9293 3.8.6.3: ACK at least every second one

    // The one deadline of each timer; never when off.
    clock::time_point retransmit_deadline_ = never;
    clock::time_point delayed_ack_deadline_ = never;
    clock::time_point persist_deadline_ = never;
    clock::time_point probe_deadline_ = never;
    clock::time_point keepalive_deadline_ = never;
    clock::time_point time_wait_deadline_ = never;
    unsigned persist_backoffs_ = 0;
    unsigned keepalive_sent_ = 0;
    clock::time_point last_received_{};

    // Rarely touched, so kept away from the state every segment reads.
    loss_probe probe_;  // the tail loss probe outstanding, if any (RFC 8985 7)
    bool recovery_resent_ = false;  // on_recovery_timeout sent the holes again since SND.UNA last moved
    // RFC 2883: a duplicate segment we received, reported as the first SACK block of the
    // next ACK (D-SACK), so the sender learns its retransmission was not needed.
    std::optional<wire::tcp_sack_block> duplicate_report_;
    token_bucket challenge_limit_;
    connection_counters counters_;
};

}  // namespace sluice::net::tcp
