// TCP (RFC 9293) header and options, parse and emit, and the checksum over the IPv4
// pseudo header.
#include "sluice/net/wire/tcp.hh"

#include <algorithm>
#include <cassert>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ipv4.hh"

namespace sluice::net::wire {
namespace {

constexpr std::size_t destination_port_offset = 2;
constexpr std::size_t sequence_offset = 4;
constexpr std::size_t acknowledgment_offset = 8;
constexpr std::size_t data_offset_offset = 12;
constexpr std::size_t flags_offset = 13;
constexpr std::size_t window_offset = 14;
constexpr std::size_t urgent_offset = 18;

// Each option's length byte, as the RFCs fix it.
constexpr std::uint8_t mss_length = 4;           // RFC 9293 3.2
constexpr std::uint8_t window_scale_length = 3;  // RFC 7323 2.2
constexpr std::uint8_t sack_permitted_length = 2;  // RFC 2018 2
constexpr std::uint8_t timestamps_length = 10;     // RFC 7323 3.2
constexpr std::uint8_t sack_block_length = 8;      // RFC 2018 3: 2 + 8 per block

std::uint8_t byte_at(std::span<const std::byte> bytes, std::size_t at) noexcept {
    return std::to_integer<std::uint8_t>(bytes[at]);
}

// One option of a known kind whose length is not the RFC's: RFC 1122 4.2.2.5 says to be
// prepared for it; it is skipped like an unknown kind (its length byte is sane).
void read_known(tcp_options& options, std::uint8_t kind, std::span<const std::byte> body) noexcept {
    switch (kind) {
        case tcp_option_mss:
            if (body.size() + 2 == mss_length) options.mss = load_be16(body, 0);
            return;
        case tcp_option_window_scale:
            if (body.size() + 2 == window_scale_length) options.window_scale = byte_at(body, 0);
            return;
        case tcp_option_sack_permitted:
            if (body.size() + 2 == sack_permitted_length) options.sack_permitted = true;
            return;
        case tcp_option_timestamps:
            if (body.size() + 2 == timestamps_length) options.timestamps = tcp_timestamps{load_be32(body, 0), load_be32(body, 4)};
            return;
        case tcp_option_sack: {
            if (body.empty() || body.size() % sack_block_length != 0) return;
            const std::size_t blocks = std::min(body.size() / sack_block_length, tcp_options::max_sack_blocks);
            for (std::size_t b = 0; b < blocks; ++b) {
                options.sack[b] = {load_be32(body, b * sack_block_length), load_be32(body, b * sack_block_length + 4)};
            }
            options.sack_count = static_cast<std::uint8_t>(blocks);
            return;
        }
        default: return;  // a kind we do not know: skipped by its length
    }
}

}  // namespace

tcp_options tcp_options::parse(std::span<const std::byte> bytes) noexcept {
    tcp_options options;
    // Nearly every segment of an established connection carries NOP NOP and timestamps,
    // the layout RFC 7323 Appendix A recommends: read it without walking the options.
    if (bytes.size() == 12 && load_be32(bytes, 0) == 0x0101080au) {
        options.timestamps = tcp_timestamps{load_be32(bytes, 4), load_be32(bytes, 8)};
        return options;
    }
    std::size_t at = 0;
    while (at < bytes.size()) {
        const std::uint8_t kind = byte_at(bytes, at);
        if (kind == tcp_option_end) break;  // RFC 9293 3.2: the rest is padding
        if (kind == tcp_option_nop) {
            ++at;
            continue;
        }
        // A length byte must be there, count itself and the kind, and end within the bytes.
        if (at + 1 >= bytes.size()) {
            options.malformed = true;
            break;
        }
        const std::size_t length = byte_at(bytes, at + 1);
        if (length < 2 || at + length > bytes.size()) {
            options.malformed = true;
            break;
        }
        read_known(options, kind, bytes.subspan(at + 2, length - 2));
        at += length;
    }
    return options;
}

std::size_t tcp_options::length() const noexcept {
    std::size_t used = 0;
    if (mss) used += mss_length;
    if (sack_permitted && !timestamps) used += 4;  // NOP NOP SACK-permitted
    if (timestamps) used += 2 + timestamps_length;  // (SACK-permitted or NOP NOP) + timestamps
    if (window_scale) used += 1 + window_scale_length;  // NOP + window scale
    if (sack_count != 0) used += 2 + 2 + sack_count * std::size_t(sack_block_length);  // NOP NOP + SACK
    return (used + 3) / 4 * 4;
}

std::size_t tcp_options::emit(std::span<std::byte> out) const noexcept {
    const std::size_t total = length();
    assert(total <= max_length && out.size() >= total);
    std::size_t at = 0;
    auto put = [&](std::uint8_t value) { out[at++] = std::byte{value}; };
    auto put32 = [&](std::uint32_t value) {
        store_be32(out, at, value);
        at += 4;
    };
    if (mss) {
        put(tcp_option_mss);
        put(mss_length);
        store_be16(out, at, *mss);
        at += 2;
    }
    if (timestamps) {
        // The layout Linux and most stacks send on a SYN: SACK-permitted takes the two
        // bytes that would otherwise be NOP padding in front of timestamps.
        if (sack_permitted) {
            put(tcp_option_sack_permitted);
            put(sack_permitted_length);
        } else {
            put(tcp_option_nop);
            put(tcp_option_nop);
        }
        put(tcp_option_timestamps);
        put(timestamps_length);
        put32(timestamps->value);
        put32(timestamps->echo_reply);
    } else if (sack_permitted) {
        put(tcp_option_nop);
        put(tcp_option_nop);
        put(tcp_option_sack_permitted);
        put(sack_permitted_length);
    }
    if (window_scale) {
        put(tcp_option_nop);
        put(tcp_option_window_scale);
        put(window_scale_length);
        put(*window_scale);
    }
    if (sack_count != 0) {
        put(tcp_option_nop);
        put(tcp_option_nop);
        put(tcp_option_sack);
        put(static_cast<std::uint8_t>(2 + sack_count * sack_block_length));
        for (std::size_t b = 0; b < sack_count; ++b) {
            put32(sack[b].left);
            put32(sack[b].right);
        }
    }
    while (at < total) put(tcp_option_end);  // padding to the word
    return total;
}

parse_result<tcp_header> tcp_header::parse(std::span<const std::byte> header_bytes,
                                           std::size_t segment_length) noexcept {
    if (header_bytes.size() < min_length || segment_length < min_length) return drop_reason::tcp_truncated;
    tcp_header header;
    header.source_port = load_be16(header_bytes, 0);
    header.destination_port = load_be16(header_bytes, destination_port_offset);
    header.sequence = load_be32(header_bytes, sequence_offset);
    header.acknowledgment = load_be32(header_bytes, acknowledgment_offset);
    header.data_offset_words = static_cast<std::uint8_t>(byte_at(header_bytes, data_offset_offset) >> 4);
    header.flags = byte_at(header_bytes, flags_offset);
    header.window = load_be16(header_bytes, window_offset);
    header.checksum = load_be16(header_bytes, checksum_offset);
    header.urgent_pointer = load_be16(header_bytes, urgent_offset);
    if (header.data_offset_words < 5) return drop_reason::tcp_bad_data_offset;
    if (header.header_length() > segment_length || header.header_length() > header_bytes.size()) {
        return drop_reason::tcp_truncated;
    }
    return header;
}

parse_result<tcp_header> tcp_header::parse_quoted(std::span<const std::byte> quoted) noexcept {
    if (quoted.size() < 8) return drop_reason::tcp_truncated;
    tcp_header header;
    header.source_port = load_be16(quoted, 0);
    header.destination_port = load_be16(quoted, destination_port_offset);
    header.sequence = load_be32(quoted, sequence_offset);
    return header;
}

void tcp_header::emit(std::span<std::byte> out) const noexcept {
    assert(out.size() >= min_length);
    store_be16(out, 0, source_port);
    store_be16(out, destination_port_offset, destination_port);
    store_be32(out, sequence_offset, sequence);
    store_be32(out, acknowledgment_offset, acknowledgment);
    out[data_offset_offset] = std::byte{static_cast<std::uint8_t>(data_offset_words << 4)};  // reserved bits 0
    out[flags_offset] = std::byte{flags};
    store_be16(out, window_offset, window);
    store_be16(out, checksum_offset, checksum);
    store_be16(out, urgent_offset, urgent_pointer);
}

namespace {

internet_checksum segment_sum(ipv4_address source, ipv4_address destination,
                              std::span<const std::span<const std::byte>> pieces) noexcept {
    std::size_t length = 0;
    for (std::span<const std::byte> piece : pieces) length += piece.size();
    internet_checksum sum =
        internet_checksum::for_l4(source, destination, ip_protocol_tcp, static_cast<std::uint16_t>(length));
    for (std::span<const std::byte> piece : pieces) sum.add(piece);
    return sum;
}

}  // namespace

std::uint16_t tcp_checksum(ipv4_address source, ipv4_address destination,
                           std::span<const std::span<const std::byte>> segment_pieces) noexcept {
    return segment_sum(source, destination, segment_pieces).finish();
}

bool tcp_checksum_valid(ipv4_address source, ipv4_address destination,
                        std::span<const std::span<const std::byte>> segment_pieces) noexcept {
    return segment_sum(source, destination, segment_pieces).finish() == 0;
}

}  // namespace sluice::net::wire
