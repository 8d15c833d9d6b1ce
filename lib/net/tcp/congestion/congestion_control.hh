// sluice::net::tcp::congestion_control: the small interface every congestion controller
// (NewReno, CUBIC) implements, the RFC 6928 initial window, and the factory. One object per
// connection, owned by it and called only on its shard; sans-I/O (time comes in as `now`).
// Read RFC 5681 (3.1, 3.2, 4.1), RFC 6582 (3.2) and RFC 9438 (section 4) before editing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "sluice/core/clock.hh"

namespace sluice::net::tcp {

enum class congestion_algorithm : std::uint8_t { newreno, cubic };

[[nodiscard]] std::string_view to_string(congestion_algorithm algorithm) noexcept;
// "newreno" or "cubic"; anything else is nullopt.
[[nodiscard]] std::optional<congestion_algorithm> parse_congestion_algorithm(std::string_view name) noexcept;

// RFC 6928 (2): min(10 * MSS, max(2 * MSS, 14600)) bytes.
[[nodiscard]] std::uint32_t initial_window(std::uint32_t mss) noexcept;

// Windows are in bytes; `mss` is the sender's SMSS, passed on every call so a path-MTU
// change needs no extra call. The connection owns the loss-recovery state machine (which
// ACKs are duplicates, when recovery starts and ends, window inflation, pipe); this object
// only owns cwnd and ssthresh and the algorithm's own state.
class congestion_control {
public:
    virtual ~congestion_control() = default;
    congestion_control(const congestion_control&) = delete;
    congestion_control& operator=(const congestion_control&) = delete;

    [[nodiscard]] virtual congestion_algorithm algorithm() const noexcept = 0;

    [[nodiscard]] std::uint32_t window() const noexcept { return window_; }  // cwnd
    // ssthresh; starts "arbitrarily high" (RFC 5681 3.1), here UINT32_MAX.
    [[nodiscard]] std::uint32_t slow_start_threshold() const noexcept { return slow_start_threshold_; }
    // RFC 5681 3.1: slow start while cwnd < ssthresh, congestion avoidance from there.
    [[nodiscard]] bool in_slow_start() const noexcept { return window_ < slow_start_threshold_; }

    // New data acknowledged outside loss recovery (RFC 5681 3.1; RFC 9438 4.2-4.5).
    virtual void on_ack(std::uint32_t acked_bytes, std::uint32_t mss, clock::time_point now,
                        clock::duration smoothed_rtt) noexcept = 0;
    // Loss found by duplicate ACKs or SACK, at most once per window (RFC 5681 3.2 step 2,
    // RFC 6582 3.2 step 2, RFC 9438 4.6): sets ssthresh, and window = ssthresh. The
    // connection adds the inflation of RFC 5681 3.2 step 4 or counts pipe itself.
    virtual void on_loss(std::uint32_t flight_size, std::uint32_t mss, clock::time_point now) noexcept = 0;
    // The retransmission timer expired (RFC 5681 3.1 eq. (4), loss window 1 SMSS; RFC 9438
    // 4.8). RFC 5681 holds ssthresh when the same segment times out again: the connection
    // calls this only for the first expiry of a segment.
    virtual void on_timeout(std::uint32_t flight_size, std::uint32_t mss, clock::time_point now) noexcept = 0;
    // A full ACK ended fast recovery: RFC 6582 3.2 step 3, option (1),
    // window = min(ssthresh, max(flight_size, mss) + mss).
    virtual void on_recovery_end(std::uint32_t flight_size, std::uint32_t mss, clock::time_point now) noexcept;

    // RFC 5681 4.1: nothing was sent for longer than an RTO; restart from at most the
    // initial window (ssthresh is kept).
    void on_idle_restart(std::uint32_t mss) noexcept;
    // The MSS became known or changed before any data was sent (SYN exchange, path MTU):
    // back to the initial window for this MSS and an arbitrarily high ssthresh.
    void reset(std::uint32_t mss) noexcept;

protected:
    explicit congestion_control(std::uint32_t mss) noexcept : window_(initial_window(mss)) {}

    // Called after on_idle_restart() and reset() moved the window, so an algorithm can
    // drop state that assumed the old window (a byte counter, a CUBIC epoch).
    virtual void on_window_reset() noexcept {}

    // RFC 5681 3.1 eq. (2): cwnd += min(N, SMSS) per ACK in slow start. This is also RFC
    // 3465's byte counting with L = 1 SMSS, which is what eq. (2) states.
    void grow_in_slow_start(std::uint32_t acked_bytes, std::uint32_t mss) noexcept;
    // Adds without wrapping: a window never passes UINT32_MAX.
    void grow_window(std::uint64_t bytes) noexcept;

    std::uint32_t window_ = 0;
    std::uint32_t slow_start_threshold_ = UINT32_MAX;
};

// A controller of the chosen kind, starting from the initial window for `mss`.
[[nodiscard]] std::unique_ptr<congestion_control> make_congestion_control(congestion_algorithm algorithm,
                                                                          std::uint32_t mss);

}  // namespace sluice::net::tcp
