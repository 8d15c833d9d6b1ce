// IPv4 header (RFC 791) parse and emit, and the walk over its options. Options (RFC 791
// 3.1 "Options") are covered by the checksum and skipped by header_length; none is acted
// on, so source routes and the like in hostile packets have no effect here.
#include "sluice/net/wire/ipv4.hh"

#include <algorithm>
#include <cassert>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"

namespace sluice::net::wire {
namespace {

constexpr std::size_t version_ihl_offset = 0;
constexpr std::size_t dscp_ecn_offset = 1;
constexpr std::size_t total_length_offset = 2;
constexpr std::size_t identification_offset = 4;
constexpr std::size_t flags_fragment_offset = 6;
constexpr std::size_t ttl_offset = 8;
constexpr std::size_t protocol_offset = 9;
constexpr std::size_t source_offset = 12;
constexpr std::size_t destination_offset = 16;

// Flags are the top three bits of the 16-bit word @6; the fragment offset the other 13,
// in units of 8 bytes.
constexpr std::uint16_t flag_reserved = 0x8000;
constexpr std::uint16_t flag_dont_fragment = 0x4000;
constexpr std::uint16_t flag_more_fragments = 0x2000;
constexpr std::uint16_t fragment_offset_mask = 0x1fff;

}  // namespace

parse_result<ipv4_header> ipv4_header::parse(std::span<const std::byte> packet, std::size_t bytes_available,
                                             bool verify_checksum) noexcept {
    if (bytes_available < packet.size()) packet = packet.first(bytes_available);
    if (packet.size() < min_length) return drop_reason::ipv4_truncated;
    const std::uint8_t version_ihl = load_u8(packet, version_ihl_offset);
    if (version_ihl >> 4 != 4) return drop_reason::ipv4_bad_version;
    const std::size_t header_length = std::size_t{version_ihl & 0x0fu} * 4;
    if (header_length < min_length) return drop_reason::ipv4_bad_header_length;
    if (packet.size() < header_length) return drop_reason::ipv4_truncated;

    ipv4_header header;
    header.header_length = header_length;
    header.total_length = load_be16(packet, total_length_offset);
    if (header.total_length < header_length) return drop_reason::ipv4_bad_total_length;
    if (bytes_available < header.total_length) return drop_reason::ipv4_truncated;

    if (verify_checksum && internet_checksum::of(packet.first(header_length)) != 0)
        return drop_reason::ipv4_bad_checksum;

    const std::uint16_t flags_fragment = load_be16(packet, flags_fragment_offset);
    if ((flags_fragment & flag_reserved) != 0) return drop_reason::ipv4_reserved_flag_set;
    header.dont_fragment = (flags_fragment & flag_dont_fragment) != 0;
    header.more_fragments = (flags_fragment & flag_more_fragments) != 0;
    header.fragment_offset = static_cast<std::uint16_t>((flags_fragment & fragment_offset_mask) * 8u);
    if (header.more_fragments && header.payload_length() % 8 != 0) return drop_reason::ipv4_fragment_misaligned;
    if (header.fragment_offset + header.payload_length() > max_datagram_length)
        return drop_reason::ipv4_fragment_too_large;

    header.dscp_ecn = load_u8(packet, dscp_ecn_offset);
    header.identification = load_be16(packet, identification_offset);
    header.ttl = load_u8(packet, ttl_offset);
    header.protocol = load_u8(packet, protocol_offset);
    header.checksum = load_be16(packet, checksum_offset);
    header.source = {load_be32(packet, source_offset)};
    header.destination = {load_be32(packet, destination_offset)};
    return header;
}

void ipv4_header::emit(std::span<std::byte> out, bool fill_checksum) const noexcept {
    assert(out.size() >= min_length);
    assert(fragment_offset % 8 == 0);
    std::uint16_t flags_fragment = static_cast<std::uint16_t>((fragment_offset / 8) & fragment_offset_mask);
    if (dont_fragment) flags_fragment |= flag_dont_fragment;
    if (more_fragments) flags_fragment |= flag_more_fragments;

    store_u8(out, version_ihl_offset, static_cast<std::uint8_t>(4 << 4 | min_length / 4));
    store_u8(out, dscp_ecn_offset, dscp_ecn);
    store_be16(out, total_length_offset, total_length);
    store_be16(out, identification_offset, identification);
    store_be16(out, flags_fragment_offset, flags_fragment);
    store_u8(out, ttl_offset, ttl);
    store_u8(out, protocol_offset, protocol);
    store_be16(out, checksum_offset, fill_checksum ? std::uint16_t{0} : checksum);
    store_be32(out, source_offset, source.value);
    store_be32(out, destination_offset, destination.value);
    if (fill_checksum) store_be16(out, checksum_offset, internet_checksum::of(out.first(min_length)));
}

void ipv4_header::emit(std::span<std::byte> out, std::span<const std::byte> options, bool fill_checksum) const noexcept {
    assert(options.size() % 4 == 0 && options.size() <= max_length - min_length);
    const std::size_t length = min_length + options.size();
    assert(out.size() >= length);
    emit(out, false);
    store_u8(out, version_ihl_offset, static_cast<std::uint8_t>(4 << 4 | length / 4));
    std::copy(options.begin(), options.end(), out.begin() + min_length);
    if (fill_checksum) {
        store_be16(out, checksum_offset, 0);
        store_be16(out, checksum_offset, internet_checksum::of(out.first(length)));
    }
}

bool has_ipv4_router_alert(std::span<const std::byte> header_bytes) noexcept {
    std::size_t at = ipv4_header::min_length;
    while (at < header_bytes.size()) {
        const std::uint8_t type = load_u8(header_bytes, at);
        if (type == 0) return false;  // end of list
        if (type == 1) {              // no operation
            ++at;
            continue;
        }
        if (header_bytes.size() - at < 2) return false;
        const std::size_t length = load_u8(header_bytes, at + 1);
        if (length < 2 || length > header_bytes.size() - at) return false;
        if (type == 0x94 && length == ipv4_router_alert_length) return true;
        at += length;
    }
    return false;
}

std::optional<std::size_t> find_malformed_ipv4_option(std::span<const std::byte> header_bytes) noexcept {
    constexpr std::uint8_t end_of_list = 0;
    constexpr std::uint8_t no_operation = 1;
    std::size_t at = ipv4_header::min_length;
    while (at < header_bytes.size()) {
        const std::uint8_t type = load_u8(header_bytes, at);
        if (type == end_of_list) return std::nullopt;
        if (type == no_operation) {
            ++at;
            continue;
        }
        if (header_bytes.size() - at < 2) return at;  // no room for the length octet
        const std::size_t length = load_u8(header_bytes, at + 1);
        if (length < 2 || length > header_bytes.size() - at) return at;
        at += length;
    }
    return std::nullopt;
}

}  // namespace sluice::net::wire
