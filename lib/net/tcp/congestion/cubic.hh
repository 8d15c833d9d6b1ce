// sluice::net::tcp::cubic: CUBIC congestion control, RFC 9438 section 4: the cubic window
// function around W_max, the Reno-friendly estimate, fast convergence, and Reno's slow
// start (4.10). One per connection, owned by it and called only on its shard.
#pragma once

#include "sluice/net/tcp/congestion/congestion_control.hh"

namespace sluice::net::tcp {

class cubic final : public congestion_control {
public:
    // RFC 9438 4.1.1 and 4.3. C is in segments per second cubed.
    static constexpr double c = 0.4;
    static constexpr double beta = 0.7;
    static constexpr double alpha = 3 * (1 - beta) / (1 + beta);

    explicit cubic(std::uint32_t mss) noexcept : congestion_control(mss) {}

    [[nodiscard]] congestion_algorithm algorithm() const noexcept override { return congestion_algorithm::cubic; }

    void on_ack(std::uint32_t acked_bytes, std::uint32_t mss, clock::time_point now,
                clock::duration smoothed_rtt) noexcept override;
    void on_loss(std::uint32_t flight_size, std::uint32_t mss, clock::time_point now) noexcept override;
    void on_timeout(std::uint32_t flight_size, std::uint32_t mss, clock::time_point now) noexcept override;
    void on_recovery_end(std::uint32_t flight_size, std::uint32_t mss, clock::time_point now) noexcept override;

    // RFC 9438 4.7: on by default (SHOULD); it SHOULD be off for a flow known to be alone
    // on its path.
    void set_fast_convergence(bool enabled) noexcept { fast_convergence_ = enabled; }

    // Seen by tests and statistics. W_max in bytes (0 until known).
    [[nodiscard]] double max_window() const noexcept { return max_window_known_ ? max_window_ : 0; }
    // K of RFC 9438 Figure 2 in seconds, set by the first ACK of each congestion-avoidance
    // stage (0 before the first stage).
    [[nodiscard]] double k_seconds() const noexcept { return k_seconds_; }
    // W_est of RFC 9438 4.3 in bytes, the window Reno would have now.
    [[nodiscard]] double reno_window_estimate() const noexcept { return reno_window_estimate_; }
    // W_cubic(t) of RFC 9438 Figure 1 in bytes, t seconds into the current stage.
    [[nodiscard]] double cubic_window(double t, std::uint32_t mss) const noexcept;

private:
    void on_window_reset() noexcept override { epoch_started_ = false; }
    void start_epoch(clock::time_point now, std::uint32_t mss) noexcept;
    void grow_toward(double target, std::uint32_t acked_bytes) noexcept;

    // Window sizes in bytes as doubles, as RFC 9438 computes them (in segments).
    double max_window_ = 0;             // W_max
    double prior_window_ = 0;           // cwnd_prior: cwnd when ssthresh was last set
    double reno_window_estimate_ = 0;   // W_est
    double k_seconds_ = 0;              // K
    double growth_carry_ = 0;           // fractions of a byte grown but not yet in window_
    clock::time_point epoch_start_{};   // t_epoch
    bool epoch_started_ = false;
    bool max_window_known_ = false;     // false before the first loss and after a timeout (4.8)
    bool fast_convergence_ = true;
};

}  // namespace sluice::net::tcp
