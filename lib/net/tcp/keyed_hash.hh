// sluice::net::tcp::keyed_hash: SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
// PRF", 2012), a 64-bit keyed hash of a few bytes, for numbers an off-path attacker must not
// predict (RFC 6528 ISNs, RFC 4987 SYN cookies). Pure functions, any thread; the caller owns the key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "sluice/net/tcp/four_tuple.hh"

namespace sluice::net::tcp {

// A 128-bit SipHash key: k0 is key bytes 0..7 read little endian, k1 bytes 8..15 (the
// paper's convention, so its test vector applies as written).
struct hash_key {
    std::uint64_t k0 = 0;
    std::uint64_t k1 = 0;

    // Drawn from std::random_device; may throw where the device cannot be opened (start-up only).
    static hash_key random();

    friend bool operator==(const hash_key&, const hash_key&) = default;
};

// SipHash-2-4 of `bytes` under `key`: 2 compression rounds per 8-byte word, 4 finalisation rounds.
[[nodiscard]] std::uint64_t keyed_hash(const hash_key& key, std::span<const std::byte> bytes) noexcept;

// The fields a hash covers, laid out in a fixed buffer in big-endian order, so that the ISN
// generator and the SYN cookies hash the same tuple the same way without allocating.
class hash_input {
public:
    static constexpr std::size_t capacity = 32;

    hash_input& add(std::uint64_t value, std::size_t byte_count) noexcept;  // the low byte_count bytes
    hash_input& add(const four_tuple& tuple) noexcept;  // 12 bytes: local address, port, remote address, port

    std::span<const std::byte> bytes() const noexcept { return {bytes_.data(), size_}; }

private:
    std::array<std::byte, capacity> bytes_{};
    std::size_t size_ = 0;
};

}  // namespace sluice::net::tcp
