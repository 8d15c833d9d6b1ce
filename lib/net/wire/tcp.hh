// sluice::net::wire::tcp_header and tcp_options: the TCP header (RFC 9293 3.1) as a plain
// value with parse and emit, its options (RFC 9293 3.2: EOL, NOP, MSS; RFC 7323: window
// scale, timestamps; RFC 2018: SACK-permitted, SACK blocks), and the checksum over the IPv4
// pseudo header. Any thread; the caller owns the bytes (parse_result.hh states the rules).
// What a segment means is the connection's business: nothing here looks at flags or
// sequence numbers beyond reading them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "sluice/net/wire/ipv4_address.hh"
#include "sluice/net/wire/parse_result.hh"

namespace sluice::net::wire {

// The control bits, as they sit in byte 13 (RFC 9293 3.1; CWR and ECE from RFC 3168).
inline constexpr std::uint8_t tcp_fin = 0x01;
inline constexpr std::uint8_t tcp_syn = 0x02;
inline constexpr std::uint8_t tcp_rst = 0x04;
inline constexpr std::uint8_t tcp_psh = 0x08;
inline constexpr std::uint8_t tcp_ack = 0x10;
inline constexpr std::uint8_t tcp_urg = 0x20;
inline constexpr std::uint8_t tcp_ece = 0x40;
inline constexpr std::uint8_t tcp_cwr = 0x80;

// Option kinds (IANA "TCP Option Kind Numbers").
inline constexpr std::uint8_t tcp_option_end = 0;
inline constexpr std::uint8_t tcp_option_nop = 1;
inline constexpr std::uint8_t tcp_option_mss = 2;
inline constexpr std::uint8_t tcp_option_window_scale = 3;
inline constexpr std::uint8_t tcp_option_sack_permitted = 4;
inline constexpr std::uint8_t tcp_option_sack = 5;
inline constexpr std::uint8_t tcp_option_timestamps = 8;

// RFC 7323 2.3: a shift above 14 is taken as 14.
inline constexpr std::uint8_t tcp_max_window_scale = 14;

struct tcp_sack_block {
    std::uint32_t left = 0;   // first sequence number of the block
    std::uint32_t right = 0;  // the sequence number just past it
    friend bool operator==(const tcp_sack_block&, const tcp_sack_block&) = default;
};

struct tcp_timestamps {
    std::uint32_t value = 0;       // TSval
    std::uint32_t echo_reply = 0;  // TSecr
    friend bool operator==(const tcp_timestamps&, const tcp_timestamps&) = default;
};

// The options a segment carries. parse() never reads past the bytes it is given; a kind
// it does not know is skipped by its length (RFC 9293 3.1, "must be prepared to handle an
// illegal option length"). A length below 2 or past the end stops parsing there and sets
// `malformed`: what was read before stays, and the caller decides (count tcp_bad_option).
struct tcp_options {
    static constexpr std::size_t max_length = 40;  // a 60-byte header less the fixed 20
    static constexpr std::size_t max_sack_blocks = 4;

    std::optional<std::uint16_t> mss;
    std::optional<std::uint8_t> window_scale;  // the shift as sent; see tcp_max_window_scale
    bool sack_permitted = false;
    std::optional<tcp_timestamps> timestamps;
    std::array<tcp_sack_block, max_sack_blocks> sack{};
    std::uint8_t sack_count = 0;
    bool malformed = false;

    std::span<const tcp_sack_block> sack_blocks() const noexcept { return {sack.data(), sack_count}; }

    static tcp_options parse(std::span<const std::byte> option_bytes) noexcept;

    // Bytes emit() writes: each present option, NOP-aligned as the usual SYN layouts are,
    // padded to a multiple of 4. At most max_length when the caller keeps to the shapes a
    // connection sends: SYN options (MSS, window scale, SACK-permitted, timestamps) or
    // SACK blocks, never both, and no more blocks than fit beside timestamps (3 with
    // them, 4 without). Four blocks with SYN options beside them would need 44 bytes.
    std::size_t length() const noexcept;
    // Writes length() bytes at the front of `out` and returns that count.
    std::size_t emit(std::span<std::byte> out) const noexcept;

    friend bool operator==(const tcp_options&, const tcp_options&) = default;
};

// Byte offsets: source port @0-1, destination port @2-3, sequence @4-7, acknowledgment
// @8-11, data offset (high nibble) @12, control bits @13, window @14-15, checksum @16-17,
// urgent pointer @18-19, options @20 up to the data offset.
struct tcp_header {
    static constexpr std::size_t min_length = 20;
    static constexpr std::size_t max_length = 60;
    static constexpr std::size_t checksum_offset = 16;

    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint32_t sequence = 0;
    std::uint32_t acknowledgment = 0;
    std::uint8_t data_offset_words = 5;  // header length in 32-bit words, options included
    std::uint8_t flags = 0;              // tcp_fin ... tcp_cwr
    std::uint16_t window = 0;            // unscaled, as on the wire
    std::uint16_t checksum = 0;
    std::uint16_t urgent_pointer = 0;

    std::size_t header_length() const noexcept { return std::size_t(data_offset_words) * 4; }
    bool has(std::uint8_t flag) const noexcept { return (flags & flag) != 0; }

    // Reads the fixed header from `header_bytes` (the front of the segment, at least 20
    // bytes). `segment_length` is how many bytes the IPv4 payload holds. Refuses:
    // tcp_truncated when either is below 20 or the data offset reaches past the segment
    // or past `header_bytes`; tcp_bad_data_offset when the data offset is below 5 words.
    // The options are header_bytes[20, header_length()): parse them with tcp_options. The
    // checksum is not verified here: that needs the addresses (tcp_checksum_valid).
    static parse_result<tcp_header> parse(std::span<const std::byte> header_bytes,
                                          std::size_t segment_length) noexcept;
    static parse_result<tcp_header> parse(std::span<const std::byte> segment) noexcept {
        return parse(segment, segment.size());
    }

    // The first 8 bytes, as an ICMP error quotes them (RFC 792): the ports and the
    // sequence number, which is all an ICMP error is checked against (RFC 5927 4.1).
    // Refuses only tcp_truncated below 8 bytes.
    static parse_result<tcp_header> parse_quoted(std::span<const std::byte> quoted) noexcept;

    // Writes the fixed 20 bytes at the front of `out`, `checksum` and data_offset_words as
    // they are: write the options after them, then set the checksum.
    void emit(std::span<std::byte> out) const noexcept;

    friend bool operator==(const tcp_header&, const tcp_header&) = default;
};

// The checksum to store for a segment from `source` to `destination` whose bytes (header,
// options, data; the checksum field zero) are `segment_pieces` in order: the Internet
// checksum over the pseudo header (RFC 9293 3.1: addresses, protocol 6, TCP length) and
// the bytes. Unlike UDP, a computed 0 is sent as 0.
std::uint16_t tcp_checksum(ipv4_address source, ipv4_address destination,
                           std::span<const std::span<const std::byte>> segment_pieces) noexcept;
// Whether a received segment's checksum (in its bytes) holds.
bool tcp_checksum_valid(ipv4_address source, ipv4_address destination,
                        std::span<const std::span<const std::byte>> segment_pieces) noexcept;

}  // namespace sluice::net::wire
