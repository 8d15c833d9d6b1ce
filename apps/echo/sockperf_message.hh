// What sluice-echo answers (sockperf's UDP message format): a sockperf message — a
// 14-byte header (sequence 8, flags 2, length 4, network order) whose length field is the
// datagram's size — is answered only when it asks for a pong, with the client flag
// cleared; any other datagram (nc -u, a plain echo client) is echoed as it came.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::echo {

inline constexpr std::size_t sockperf_header_length = 14;
inline constexpr std::uint16_t sockperf_flag_client = 1;
inline constexpr std::uint16_t sockperf_flag_pong_request = 2;
inline constexpr std::uint16_t sockperf_flag_warmup = 4;

enum class reply_kind { echo, sockperf_pong, none };

// Decides from the first bytes of a datagram of `size` bytes. A datagram is taken for a
// sockperf message when its length field equals its size and its flags use only
// sockperf's bits with the client bit set; a plain text line almost never does.
inline reply_kind classify(std::span<const std::byte> head, std::size_t size) noexcept {
    if (head.size() < sockperf_header_length || size < sockperf_header_length) return reply_kind::echo;
    const auto byte = [&](std::size_t i) { return std::uint32_t(std::to_integer<std::uint8_t>(head[i])); };
    const std::uint16_t flags = std::uint16_t(byte(8) << 8 | byte(9));
    const std::uint32_t length = byte(10) << 24 | byte(11) << 16 | byte(12) << 8 | byte(13);
    constexpr std::uint16_t known = sockperf_flag_client | sockperf_flag_pong_request | sockperf_flag_warmup;
    if (length != size || (flags & ~known) != 0 || (flags & sockperf_flag_client) == 0) return reply_kind::echo;
    return (flags & sockperf_flag_pong_request) != 0 ? reply_kind::sockperf_pong : reply_kind::none;
}

// Turns a request into its pong in place: the same bytes, client flag cleared.
inline void make_pong(std::span<std::byte> message) noexcept {
    message[9] &= std::byte(~sockperf_flag_client & 0xff);
}

}  // namespace sluice::echo
