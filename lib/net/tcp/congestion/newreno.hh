// sluice::net::tcp::newreno: Reno's window rules (RFC 5681 3.1 and 3.2) as NewReno uses
// them (RFC 6582; the partial-ACK logic lives in the connection). One per connection,
// owned by it and called only on its shard.
#pragma once

#include "sluice/net/tcp/congestion/congestion_control.hh"

namespace sluice::net::tcp {

class newreno final : public congestion_control {
public:
    explicit newreno(std::uint32_t mss) noexcept : congestion_control(mss) {}

    [[nodiscard]] congestion_algorithm algorithm() const noexcept override { return congestion_algorithm::newreno; }

    void on_ack(std::uint32_t acked_bytes, std::uint32_t mss, clock::time_point now,
                clock::duration smoothed_rtt) noexcept override;
    void on_loss(std::uint32_t flight_size, std::uint32_t mss, clock::time_point now) noexcept override;
    void on_timeout(std::uint32_t flight_size, std::uint32_t mss, clock::time_point now) noexcept override;

private:
    void on_window_reset() noexcept override { acked_in_avoidance_ = 0; }

    // RFC 5681 3.1 eq. (3) discussion: bytes acknowledged in congestion avoidance since the
    // window last grew; one SMSS is added each time this reaches a full window.
    std::uint64_t acked_in_avoidance_ = 0;
};

// RFC 5681 3.1 eq. (4): ssthresh = max(FlightSize / 2, 2 * SMSS).
[[nodiscard]] std::uint32_t halved_threshold(std::uint32_t flight_size, std::uint32_t mss) noexcept;

}  // namespace sluice::net::tcp
