// sluice::net::tcp::seq: a TCP sequence number, compared modulo 2^32 (RFC 9293 3.4: "all
// arithmetic dealing with sequence numbers must be performed modulo 2**32"). A plain value;
// any thread. a < b means b lies less than 2^31 ahead of a; that order is not transitive
// across the whole circle, so compare only numbers within one window of each other.
#pragma once

#include <cstdint>

namespace sluice::net::tcp {

struct seq {
    std::uint32_t value = 0;

    constexpr seq() noexcept = default;
    constexpr explicit seq(std::uint32_t v) noexcept : value(v) {}

    // How far b lies ahead of a (negative when behind): the signed distance modulo 2^32.
    friend constexpr std::int32_t operator-(seq b, seq a) noexcept { return std::int32_t(b.value - a.value); }
    friend constexpr seq operator+(seq a, std::uint32_t n) noexcept { return seq(a.value + n); }
    friend constexpr seq operator-(seq a, std::uint32_t n) noexcept { return seq(a.value - n); }
    constexpr seq& operator+=(std::uint32_t n) noexcept {
        value += n;
        return *this;
    }
    constexpr seq& operator-=(std::uint32_t n) noexcept {
        value -= n;
        return *this;
    }

    friend constexpr bool operator==(seq, seq) noexcept = default;
    friend constexpr bool operator<(seq a, seq b) noexcept { return (b - a) > 0; }
    friend constexpr bool operator>(seq a, seq b) noexcept { return (a - b) > 0; }
    friend constexpr bool operator<=(seq a, seq b) noexcept { return (b - a) >= 0; }
    friend constexpr bool operator>=(seq a, seq b) noexcept { return (a - b) >= 0; }
};

// The later / earlier of two numbers in sequence order.
constexpr seq seq_max(seq a, seq b) noexcept { return a < b ? b : a; }
constexpr seq seq_min(seq a, seq b) noexcept { return a < b ? a : b; }

// first <= s < first + length, modulo 2^32 (RFC 9293 3.4's window tests).
constexpr bool in_window(seq s, seq first, std::uint32_t length) noexcept {
    return std::uint32_t(s.value - first.value) < length;
}

}  // namespace sluice::net::tcp
