// sluice::net::tcp::rtt_estimator: the retransmission timeout of RFC 6298 (SRTT, RTTVAR,
// RTO, exponential back-off) from round-trip samples the connection takes. Sans-I/O: no
// clock is read. One per connection, owned by it and used only on the connection's shard.
// Read RFC 6298 before editing; Karn's rule (3) is the connection's: it never passes a
// sample timed on a retransmitted segment (timestamps serve PAWS, not RTT samples, there).
#pragma once

#include <algorithm>
#include <chrono>

#include "sluice/core/clock.hh"

namespace sluice::net::tcp {

struct rto_settings {
    // RFC 6298 (2.1): the RTO before any sample.
    clock::duration initial = std::chrono::seconds(1);
    // RFC 6298 (2.4) asks for 1 s, sized for the Internet of 2011. Inside a data centre the
    // RTT is tens of microseconds, and a 1 s floor turns one lost tail segment into a stall
    // of ten thousand RTTs; 10 ms still covers scheduling jitter. A peer whose delayed-ACK
    // timer is longer than this causes spurious timeouts: raise it per socket for WAN peers.
    clock::duration minimum = std::chrono::milliseconds(10);
    // RFC 6298 (5.7): when a SYN (or SYN-ACK) timed out and so no sample exists (Karn),
    // data starts with an RTO of 3 s; the first sample then replaces it.
    clock::duration after_syn_timeout = std::chrono::seconds(3);
    // RFC 6298 (2.5): a ceiling MAY be placed on RTO if it is at least 60 s.
    clock::duration maximum = std::chrono::seconds(60);
    // RFC 6298 (2.2)/(2.3): G, the clock granularity, the least RTTVAR term. Our clock
    // counts nanoseconds; a microsecond keeps the variance term from vanishing on a
    // perfectly steady path.
    clock::duration granularity = std::chrono::microseconds(1);
};

class rtt_estimator {
public:
    explicit rtt_estimator(const rto_settings& settings = {}) noexcept;

    // A round-trip measurement. RFC 6298 (2.2) for the first, (2.3) with alpha 1/8 and beta
    // 1/4 after that. Clears the back-off: RFC 6298 section 5, after (5.7), lets a fresh
    // sample collapse a backed-off RTO. Negative samples count as zero.
    void on_sample(clock::duration measured) noexcept;

    // RFC 6298 (5.5): the timer expired; the next RTO is twice this one, capped at maximum.
    void back_off() noexcept;
    void reset_back_off() noexcept { back_offs_ = 0; }

    // The current timeout: the base RTO ((2.1) before a sample, else SRTT + max(G, 4 RTTVAR))
    // clamped to [minimum, maximum] ((2.4), (2.5); maximum wins if they cross), doubled once
    // per back-off and capped at maximum.
    [[nodiscard]] clock::duration rto() const noexcept;

    [[nodiscard]] bool has_sample() const noexcept { return has_sample_; }
    [[nodiscard]] clock::duration smoothed() const noexcept { return smoothed_; }    // SRTT, 0 before a sample
    [[nodiscard]] clock::duration variation() const noexcept { return variation_; }  // RTTVAR, 0 before a sample
    // Back-offs since the last sample or reset; keeps counting after the RTO reaches the
    // maximum, so the connection can give up after so many retransmissions.
    [[nodiscard]] unsigned back_offs() const noexcept { return back_offs_; }
    [[nodiscard]] const rto_settings& settings() const noexcept { return settings_; }

    // The per-socket "minimum RTO" option; takes effect from the next rto().
    void set_minimum(clock::duration minimum) noexcept { settings_.minimum = minimum; }
    // RFC 6298 (5.7): the handshake ended after a SYN timeout; until a first sample, the
    // RTO is settings().after_syn_timeout (when it is longer than the initial one).
    void restart_after_syn_timeout() noexcept {
        if (!has_sample_) settings_.initial = std::max(settings_.initial, settings_.after_syn_timeout);
    }

private:
    rto_settings settings_;
    clock::duration smoothed_{0};
    clock::duration variation_{0};
    unsigned back_offs_ = 0;
    bool has_sample_ = false;
};

}  // namespace sluice::net::tcp
