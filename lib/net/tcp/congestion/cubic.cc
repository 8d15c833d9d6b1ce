// cubic: RFC 9438 section 4 with windows in bytes (4.1 allows it: MSS factored in, bytes
// acknowledged in place of segments_acked). Doubles where the RFC uses real numbers.
#include "sluice/net/tcp/congestion/cubic.hh"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace sluice::net::tcp {

namespace {

double seconds(clock::duration d) noexcept { return std::chrono::duration<double>(d).count(); }

// RFC 9438 Figure 5: ssthresh = max(flight_size * beta_cubic, 2 MSS).
std::uint32_t reduced_threshold(std::uint32_t flight_size, std::uint32_t mss) noexcept {
    const double threshold = std::max(double(flight_size) * cubic::beta, 2.0 * mss);
    return std::uint32_t(std::min(threshold, double(UINT32_MAX)));
}

}  // namespace

double cubic::cubic_window(double t, std::uint32_t mss) const noexcept {
    const double from_k = t - k_seconds_;
    return c * from_k * from_k * from_k * mss + max_window_;  // RFC 9438 Figure 1, in bytes
}

void cubic::start_epoch(clock::time_point now, std::uint32_t mss) noexcept {
    epoch_started_ = true;
    epoch_start_ = now;
    growth_carry_ = 0;
    const double epoch_window = window_;      // cwnd_epoch
    reno_window_estimate_ = epoch_window;     // RFC 9438 4.3: W_est = cwnd_epoch
    if (prior_window_ == 0) prior_window_ = epoch_window;  // 4.10: first slow start ended without loss
    if (!max_window_known_) {
        // RFC 9438 4.8 (after a timeout) and 4.10 (no loss yet): W_max = cwnd_epoch, K = 0.
        max_window_ = epoch_window;
        max_window_known_ = true;
        k_seconds_ = 0;
        return;
    }
    // RFC 9438 Figure 2. Negative when cwnd_epoch is above W_max: the curve then starts
    // in its convex part and still passes through cwnd_epoch at t = 0.
    k_seconds_ = std::cbrt((max_window_ - epoch_window) / mss / c);
}

void cubic::grow_toward(double target, std::uint32_t acked_bytes) noexcept {
    // RFC 9438 4.4/4.5: cwnd += (target - cwnd) / cwnd per segment acknowledged; in bytes,
    // (target - cwnd) / cwnd * bytes acknowledged. Fractions of a byte are carried.
    const double window = window_;
    growth_carry_ += (target - window) / window * acked_bytes;
    const double whole = std::floor(growth_carry_);
    growth_carry_ -= whole;
    grow_window(std::uint64_t(whole));
}

void cubic::on_ack(std::uint32_t acked_bytes, std::uint32_t mss, clock::time_point now,
                   clock::duration smoothed_rtt) noexcept {
    if (acked_bytes == 0 || mss == 0) return;
    // RFC 9438 4.10: Reno's slow start. An empty window (only after a zero MSS was passed)
    // grows the same way rather than divide by zero below.
    if (in_slow_start() || window_ == 0) {
        grow_in_slow_start(acked_bytes, mss);
        return;
    }
    if (!epoch_started_) start_epoch(now, mss);
    const double window = window_;
    const double t = std::max(0.0, seconds(now - epoch_start_));

    // RFC 9438 4.3 Figure 4, in bytes; alpha becomes 1 once W_est reaches cwnd_prior.
    const double alpha_now = reno_window_estimate_ >= prior_window_ ? 1.0 : alpha;
    reno_window_estimate_ += alpha_now * mss * double(acked_bytes) / window;
    if (cubic_window(t, mss) < reno_window_estimate_) {
        // Reno-friendly region: cwnd = W_est. Never below the current window, which the
        // cubic curve may have carried past W_est one RTT ahead.
        if (reno_window_estimate_ > window) {
            window_ = std::uint32_t(std::min(reno_window_estimate_, double(UINT32_MAX)));
            growth_carry_ = 0;
        }
        return;
    }
    // RFC 9438 4.2: target = W_cubic(t + RTT), kept within [cwnd, 1.5 cwnd].
    const double target = std::clamp(cubic_window(t + seconds(smoothed_rtt), mss), window, 1.5 * window);
    grow_toward(target, acked_bytes);
}

void cubic::on_loss(std::uint32_t flight_size, std::uint32_t mss, clock::time_point) noexcept {
    const double window = window_;
    // RFC 9438 4.7: a loss below the last W_max means less room than before; remember
    // less still, so this flow yields to newcomers sooner.
    if (fast_convergence_ && max_window_known_ && window < max_window_) {
        max_window_ = window * (1 + beta) / 2;
    } else {
        max_window_ = window;
    }
    max_window_known_ = true;
    prior_window_ = window;  // RFC 9438 Figure 5: cwnd_prior = cwnd
    slow_start_threshold_ = reduced_threshold(flight_size, mss);
    window_ = slow_start_threshold_;  // max(ssthresh, 2 MSS): the threshold has that floor
    epoch_started_ = false;
}

void cubic::on_timeout(std::uint32_t flight_size, std::uint32_t mss, clock::time_point) noexcept {
    // RFC 9438 4.8: Reno's loss window, ssthresh as on a loss; the next congestion-avoidance
    // stage takes W_max from its own start with K = 0.
    prior_window_ = window_;
    slow_start_threshold_ = reduced_threshold(flight_size, mss);
    window_ = mss;
    max_window_known_ = false;
    epoch_started_ = false;
}

void cubic::on_recovery_end(std::uint32_t flight_size, std::uint32_t mss, clock::time_point now) noexcept {
    congestion_control::on_recovery_end(flight_size, mss, now);
    epoch_started_ = false;  // the congestion-avoidance stage starts with the next ACK
}

}  // namespace sluice::net::tcp
