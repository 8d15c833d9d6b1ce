// rtt_estimator: RFC 6298 section 2 in integer nanoseconds. The divisions by 8 and 4
// truncate; at nanosecond resolution that error is far below any RTO that matters.
#include "sluice/net/tcp/rtt.hh"

#include <algorithm>
#include <climits>

namespace sluice::net::tcp {

namespace {

// Samples are clamped to this, which keeps 7 * SRTT far from overflowing. A round trip
// longer than an hour is a broken timestamp, not a path.
constexpr clock::duration longest_sample = std::chrono::hours(1);

}  // namespace

rtt_estimator::rtt_estimator(const rto_settings& settings) noexcept : settings_(settings) {}

void rtt_estimator::on_sample(clock::duration measured) noexcept {
    const clock::duration sample = std::clamp(measured, clock::duration::zero(), longest_sample);
    if (!has_sample_) {
        // RFC 6298 (2.2): SRTT <- R, RTTVAR <- R/2.
        smoothed_ = sample;
        variation_ = sample / 2;
        has_sample_ = true;
    } else {
        // RFC 6298 (2.3): RTTVAR first, from the old SRTT; then SRTT.
        const clock::duration error = smoothed_ > sample ? smoothed_ - sample : sample - smoothed_;
        variation_ = (3 * variation_ + error) / 4;  // (1 - 1/4) RTTVAR + 1/4 |SRTT - R'|
        smoothed_ = (7 * smoothed_ + sample) / 8;   // (1 - 1/8) SRTT + 1/8 R'
    }
    back_offs_ = 0;  // RFC 6298 section 5, after (5.7): a new sample recomputes RTO
}

void rtt_estimator::back_off() noexcept {
    if (back_offs_ != UINT_MAX) ++back_offs_;
}

clock::duration rtt_estimator::rto() const noexcept {
    const clock::duration maximum = settings_.maximum;
    // RFC 6298 (2.1) before a sample, (2.2)/(2.3) after: SRTT + max(G, K * RTTVAR), K = 4.
    clock::duration base =
        has_sample_ ? smoothed_ + std::max(settings_.granularity, 4 * variation_) : settings_.initial;
    base = std::min(std::max(base, settings_.minimum), maximum);  // (2.4), then (2.5)
    // RFC 6298 (5.5): doubled per back-off. base <= maximum >> n exactly when base << n
    // stays within maximum, so the product is formed only when it cannot overflow.
    if (back_offs_ >= 62 || base.count() > (maximum.count() >> back_offs_)) return maximum;
    return base * (clock::rep(1) << back_offs_);
}

}  // namespace sluice::net::tcp
