// sluice::net::token_bucket: a rate limit for replies the stack sends on its own (ICMP
// errors, RFC 1812 4.3.2.8): `rate` tokens a second, at most `burst` saved up. Sans-I/O:
// the caller passes the time. Owned by one shard.
#pragma once

#include <algorithm>
#include <cstdint>

#include "sluice/core/clock.hh"

namespace sluice::net {

class token_bucket {
public:
    token_bucket(std::uint32_t rate_per_second, std::uint32_t burst) noexcept
        : rate_(rate_per_second), burst_(burst), tokens_nano_(std::uint64_t(burst) * one_token) {}

    // Takes one token if there is one.
    bool try_take(clock::time_point now) noexcept {
        if (!started_) {
            started_ = true;
            last_ = now;
        }
        if (now > last_ && rate_ != 0) {
            // rate tokens a second = rate * 1e9 "nano-tokens" a second = rate per nanosecond.
            // Full once elapsed * rate covers the room left; compared by division, so the
            // product is formed only when it is below the room (no overflow).
            const std::uint64_t elapsed = std::uint64_t((now - last_).count());
            const std::uint64_t cap = std::uint64_t(burst_) * one_token;
            const std::uint64_t room = cap - tokens_nano_;
            tokens_nano_ = elapsed >= (room + rate_ - 1) / rate_ ? cap : tokens_nano_ + elapsed * rate_;
        }
        if (now > last_) last_ = now;
        if (tokens_nano_ < one_token) return false;
        tokens_nano_ -= one_token;
        return true;
    }

private:
    static constexpr std::uint64_t one_token = 1'000'000'000;
    std::uint64_t rate_;
    std::uint32_t burst_;
    std::uint64_t tokens_nano_;
    clock::time_point last_{};
    bool started_ = false;
};

}  // namespace sluice::net
