// IGMP (RFC 1112, RFC 2236, RFC 3376) parse and emit. Every message carries the Internet
// checksum over the whole message, no pseudo header (RFC 3376 4.1.2).
#include "sluice/net/wire/igmp.hh"

#include <cassert>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"

namespace sluice::net::wire {
namespace {

// Common to every version: type @0, max resp code @1 (unused in reports), checksum @2-3,
// group @4-7 (reserved and record count in a version 3 report).
constexpr std::size_t type_offset = 0;
constexpr std::size_t code_offset = 1;
constexpr std::size_t group_offset = 4;
// Version 3 query: resv/S/QRV @8, QQIC @9, number of sources @10-11, sources @12.
constexpr std::size_t flags_offset = 8;
constexpr std::size_t qqic_offset = 9;
constexpr std::size_t source_count_offset = 10;
// Version 3 report: reserved @4-5, number of group records @6-7, records @8.
constexpr std::size_t record_count_offset = 6;
// Group record: type @0, aux data len @1 (32-bit words), number of sources @2-3, group @4.
constexpr std::size_t record_aux_offset = 1;
constexpr std::size_t record_sources_offset = 2;
constexpr std::size_t record_group_offset = 4;

void fill_checksum(std::span<std::byte> message) noexcept {
    store_be16(message, igmp_message::checksum_offset, 0);
    store_be16(message, igmp_message::checksum_offset, internet_checksum::of(message));
}

}  // namespace

std::uint8_t igmp_encode_code(std::uint32_t value) noexcept {
    if (value < 128) return static_cast<std::uint8_t>(value);
    // The largest exponent whose mantissa (with its implied top bit) still fits.
    for (std::uint32_t exponent = 7;; --exponent) {
        const std::uint32_t mantissa = value >> (exponent + 3);
        if (mantissa >= 0x10u) {
            if (mantissa > 0x1fu) return 0xff;  // past the largest: say the largest
            return static_cast<std::uint8_t>(0x80u | exponent << 4 | (mantissa & 0x0fu));
        }
        if (exponent == 0) break;
    }
    return 127;  // not reached: 128 and above always find an exponent
}

parse_result<igmp_group_record> igmp_group_record::parse(std::span<const std::byte> bytes) noexcept {
    if (bytes.size() < min_length) return drop_reason::igmp_truncated;
    igmp_group_record record;
    record.type = load_u8(bytes, 0);
    const std::size_t aux_words = load_u8(bytes, record_aux_offset);
    record.source_count = load_be16(bytes, record_sources_offset);
    record.group = {load_be32(bytes, record_group_offset)};
    record.length = min_length + std::size_t{record.source_count} * 4 + aux_words * 4;
    if (bytes.size() < record.length) return drop_reason::igmp_truncated;
    return record;
}

void igmp_group_record::emit(std::span<std::byte> out) const noexcept {
    assert(out.size() >= min_length);
    store_u8(out, 0, type);
    store_u8(out, record_aux_offset, 0);
    store_be16(out, record_sources_offset, 0);
    store_be32(out, record_group_offset, group.value);
}

parse_result<igmp_message> igmp_message::parse(std::span<const std::byte> message) noexcept {
    if (message.size() < min_length) return drop_reason::igmp_truncated;
    if (internet_checksum::of(message) != 0) return drop_reason::igmp_bad_checksum;
    igmp_message parsed;
    parsed.type = load_u8(message, type_offset);
    parsed.max_response_code = load_u8(message, code_offset);
    parsed.checksum = load_be16(message, checksum_offset);
    parsed.group = {load_be32(message, group_offset)};

    if (parsed.type == igmp_type_membership_query) {
        igmp_query& query = parsed.query;
        query.group = parsed.group;
        if (message.size() == min_length) {
            // RFC 3376 7.1: a zero code in an 8-byte query is IGMPv1's (which means 10 s,
            // RFC 2236 4); otherwise IGMPv2's, in tenths of a second.
            query.version = parsed.max_response_code == 0 ? 1 : 2;
            query.max_response = igmp_tenths(parsed.max_response_code == 0 ? 100u : parsed.max_response_code);
        } else if (message.size() < v3_query_min_length) {
            return drop_reason::igmp_bad_length;
        } else {
            query.version = 3;
            query.max_response = igmp_tenths(igmp_decode_code(parsed.max_response_code));
            const std::uint8_t flags = load_u8(message, flags_offset);
            query.suppress_router_processing = (flags & 0x08u) != 0;
            query.robustness = flags & 0x07u;
            query.query_interval_seconds = igmp_decode_code(load_u8(message, qqic_offset));
            query.source_count = load_be16(message, source_count_offset);
            if (message.size() < v3_query_min_length + std::size_t{query.source_count} * 4) {
                return drop_reason::igmp_truncated;
            }
        }
    } else if (parsed.type == igmp_type_v3_membership_report) {
        parsed.record_count = load_be16(message, record_count_offset);
        std::span<const std::byte> rest = message.subspan(v3_report_header_length);
        for (std::uint16_t i = 0; i < parsed.record_count; ++i) {
            const auto record = igmp_group_record::parse(rest);
            if (!record) return record.error();
            rest = rest.subspan(record->length);
        }
    }
    return parsed;
}

void emit_igmp_v2_message(std::span<std::byte> out, std::uint8_t type, std::uint8_t max_response_code,
                          ipv4_address group) noexcept {
    assert(out.size() >= igmp_message::min_length);
    const std::span<std::byte> message = out.first(igmp_message::min_length);
    store_u8(message, type_offset, type);
    store_u8(message, code_offset, max_response_code);
    store_be32(message, group_offset, group.value);
    fill_checksum(message);
}

void emit_igmp_v3_report(std::span<std::byte> out, std::span<const igmp_group_record> records) noexcept {
    assert(records.size() <= 65535);
    const std::size_t length = igmp_v3_report_length(records.size());
    assert(out.size() >= length);
    const std::span<std::byte> message = out.first(length);
    store_u8(message, type_offset, igmp_type_v3_membership_report);
    store_u8(message, code_offset, 0);
    store_be16(message, group_offset, 0);
    store_be16(message, record_count_offset, static_cast<std::uint16_t>(records.size()));
    std::size_t at = igmp_message::v3_report_header_length;
    for (const igmp_group_record& record : records) {
        record.emit(message.subspan(at));
        at += igmp_group_record::min_length;
    }
    fill_checksum(message);
}

void emit_igmp_v3_query(std::span<std::byte> out, ipv4_address group, std::uint8_t max_response_code,
                        std::uint8_t robustness, std::uint8_t query_interval_code) noexcept {
    assert(out.size() >= igmp_message::v3_query_min_length);
    const std::span<std::byte> message = out.first(igmp_message::v3_query_min_length);
    store_u8(message, type_offset, igmp_type_membership_query);
    store_u8(message, code_offset, max_response_code);
    store_be32(message, group_offset, group.value);
    store_u8(message, flags_offset, static_cast<std::uint8_t>(robustness & 0x07u));
    store_u8(message, qqic_offset, query_interval_code);
    store_be16(message, source_count_offset, 0);
    fill_checksum(message);
}

}  // namespace sluice::net::wire
