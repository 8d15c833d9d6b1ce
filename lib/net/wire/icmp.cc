// ICMP (RFC 792) header parse and emit, and its checksum: the Internet checksum over the
// whole message, header (checksum field zero) and data, with no pseudo header.
#include "sluice/net/wire/icmp.hh"

#include <cassert>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"

namespace sluice::net::wire {
namespace {

constexpr std::size_t type_offset = 0;
constexpr std::size_t code_offset = 1;
constexpr std::size_t rest_offset = 4;

// The header's words with its checksum field counted as zero.
void add_header(internet_checksum& sum, const icmp_header& header) noexcept {
    sum.add16(static_cast<std::uint16_t>(header.type << 8 | header.code));
    sum.add32(header.rest);
}

}  // namespace

parse_result<icmp_header> icmp_header::parse(std::span<const std::byte> message, bool verify_checksum) noexcept {
    if (message.size() < length) return drop_reason::icmp_truncated;
    if (verify_checksum && internet_checksum::of(message) != 0) return drop_reason::icmp_bad_checksum;
    icmp_header header;
    header.type = load_u8(message, type_offset);
    header.code = load_u8(message, code_offset);
    header.checksum = load_be16(message, checksum_offset);
    header.rest = load_be32(message, rest_offset);
    return header;
}

void icmp_header::emit(std::span<std::byte> out) const noexcept {
    assert(out.size() >= length);
    store_u8(out, type_offset, type);
    store_u8(out, code_offset, code);
    store_be16(out, checksum_offset, checksum);
    store_be32(out, rest_offset, rest);
}

std::uint16_t icmp_checksum(const icmp_header& header, std::span<const std::byte> payload) noexcept {
    internet_checksum sum;
    add_header(sum, header);
    sum.add(payload);
    return sum.finish();
}

std::uint16_t icmp_checksum(const icmp_header& header,
                            std::span<const std::span<const std::byte>> payload_pieces) noexcept {
    internet_checksum sum;
    add_header(sum, header);
    for (std::span<const std::byte> piece : payload_pieces) sum.add(piece);
    return sum.finish();
}

bool icmp_checksum_valid(std::span<const std::span<const std::byte>> message_pieces) noexcept {
    internet_checksum sum;
    for (std::span<const std::byte> piece : message_pieces) sum.add(piece);
    return sum.finish() == 0;
}

}  // namespace sluice::net::wire
