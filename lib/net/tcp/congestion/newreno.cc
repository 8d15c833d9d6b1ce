// newreno: slow start by RFC 5681 eq. (2), congestion avoidance by byte counting (the
// RECOMMENDED form of eq. (3)), and the eq. (4) reduction on loss and on timeout.
#include "sluice/net/tcp/congestion/newreno.hh"

#include <algorithm>

namespace sluice::net::tcp {

std::uint32_t halved_threshold(std::uint32_t flight_size, std::uint32_t mss) noexcept {
    const std::uint64_t threshold = std::max<std::uint64_t>(flight_size / 2, 2 * std::uint64_t(mss));
    return std::uint32_t(std::min<std::uint64_t>(threshold, UINT32_MAX));
}

void newreno::on_ack(std::uint32_t acked_bytes, std::uint32_t mss, clock::time_point, clock::duration) noexcept {
    if (acked_bytes == 0 || mss == 0) return;
    if (in_slow_start()) {
        grow_in_slow_start(acked_bytes, mss);
        return;
    }
    // RFC 5681 3.1: count acknowledged bytes; when they reach cwnd, add one SMSS. Exactly
    // one SMSS per window acknowledged, however the ACKs are sized (eq. (3) itself grows
    // too little with delayed ACKs and too much with small segments).
    acked_in_avoidance_ += acked_bytes;
    if (acked_in_avoidance_ >= window_) {
        acked_in_avoidance_ -= window_;
        grow_window(mss);  // at most one SMSS per ACK (RFC 5681 3.1)
    }
}

void newreno::on_loss(std::uint32_t flight_size, std::uint32_t mss, clock::time_point) noexcept {
    slow_start_threshold_ = halved_threshold(flight_size, mss);  // RFC 5681 3.2 step 2
    window_ = slow_start_threshold_;
    acked_in_avoidance_ = 0;
}

void newreno::on_timeout(std::uint32_t flight_size, std::uint32_t mss, clock::time_point) noexcept {
    slow_start_threshold_ = halved_threshold(flight_size, mss);  // RFC 5681 3.1 eq. (4)
    window_ = mss;                                               // loss window, LW = 1 SMSS
    acked_in_avoidance_ = 0;
}

}  // namespace sluice::net::tcp
