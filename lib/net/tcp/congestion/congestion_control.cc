// congestion_control: the rules every algorithm shares (RFC 6928 initial window, RFC 5681
// slow start and idle restart, RFC 6582 end of recovery), names, and the factory.
#include "sluice/net/tcp/congestion/congestion_control.hh"

#include <algorithm>

#include "sluice/net/tcp/congestion/cubic.hh"
#include "sluice/net/tcp/congestion/newreno.hh"

namespace sluice::net::tcp {

std::string_view to_string(congestion_algorithm algorithm) noexcept {
    switch (algorithm) {
    case congestion_algorithm::newreno: return "newreno";
    case congestion_algorithm::cubic: return "cubic";
    }
    return "unknown";
}

std::optional<congestion_algorithm> parse_congestion_algorithm(std::string_view name) noexcept {
    if (name == "newreno") return congestion_algorithm::newreno;
    if (name == "cubic") return congestion_algorithm::cubic;
    return std::nullopt;
}

std::uint32_t initial_window(std::uint32_t mss) noexcept {
    // RFC 6928 (2), in 64 bits so 10 * MSS cannot wrap.
    const std::uint64_t segment = mss;
    const std::uint64_t window = std::min(10 * segment, std::max<std::uint64_t>(2 * segment, 14600));
    return std::uint32_t(std::min<std::uint64_t>(window, UINT32_MAX));
}

void congestion_control::on_recovery_end(std::uint32_t flight_size, std::uint32_t mss, clock::time_point) noexcept {
    // RFC 6582 3.2 step 3 (1): deflate, but leave room for no more than one new segment
    // beyond what is in flight, so the end of recovery sends no burst.
    const std::uint64_t limit = std::uint64_t(std::max(flight_size, mss)) + mss;
    window_ = std::uint32_t(std::min<std::uint64_t>(slow_start_threshold_, limit));
}

void congestion_control::on_idle_restart(std::uint32_t mss) noexcept {
    window_ = std::min(initial_window(mss), window_);  // RFC 5681 4.1: RW = min(IW, cwnd)
    on_window_reset();
}

void congestion_control::reset(std::uint32_t mss) noexcept {
    window_ = initial_window(mss);
    slow_start_threshold_ = UINT32_MAX;  // RFC 5681 3.1: "arbitrarily high"
    on_window_reset();
}

void congestion_control::grow_in_slow_start(std::uint32_t acked_bytes, std::uint32_t mss) noexcept {
    grow_window(std::min(acked_bytes, mss));  // RFC 5681 3.1 eq. (2)
}

void congestion_control::grow_window(std::uint64_t bytes) noexcept {
    window_ = std::uint32_t(std::min<std::uint64_t>(std::uint64_t(window_) + bytes, UINT32_MAX));
}

std::unique_ptr<congestion_control> make_congestion_control(congestion_algorithm algorithm, std::uint32_t mss) {
    switch (algorithm) {
    case congestion_algorithm::newreno: return std::make_unique<newreno>(mss);
    case congestion_algorithm::cubic: return std::make_unique<cubic>(mss);
    }
    return std::make_unique<newreno>(mss);
}

}  // namespace sluice::net::tcp
