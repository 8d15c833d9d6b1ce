// UDP (RFC 768) header parse and emit, and its checksum over the IPv4 pseudo header.
#include "sluice/net/wire/udp.hh"

#include <cassert>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ipv4.hh"

namespace sluice::net::wire {
namespace {

constexpr std::size_t source_port_offset = 0;
constexpr std::size_t destination_port_offset = 2;
constexpr std::size_t length_offset = 4;

// The pseudo header and the header's words, its checksum field counted as zero.
internet_checksum start(ipv4_address source, ipv4_address destination, const udp_header& header) noexcept {
    internet_checksum sum = internet_checksum::for_l4(source, destination, ip_protocol_udp, header.length);
    sum.add16(header.source_port);
    sum.add16(header.destination_port);
    sum.add16(header.length);
    return sum;
}

std::uint16_t finish_for_wire(const internet_checksum& sum) noexcept {
    const std::uint16_t checksum = sum.finish();
    return checksum == 0 ? 0xffff : checksum;  // RFC 768: a computed zero is sent as all ones
}

}  // namespace

parse_result<udp_header> udp_header::parse(std::span<const std::byte> header_bytes,
                                           std::size_t bytes_available) noexcept {
    if (header_bytes.size() < length_bytes || bytes_available < length_bytes) return drop_reason::udp_truncated;
    udp_header header;
    header.source_port = load_be16(header_bytes, source_port_offset);
    header.destination_port = load_be16(header_bytes, destination_port_offset);
    header.length = load_be16(header_bytes, length_offset);
    header.checksum = load_be16(header_bytes, checksum_offset);
    if (header.length < length_bytes) return drop_reason::udp_bad_length;
    if (header.length > bytes_available) return drop_reason::udp_truncated;
    return header;
}

parse_result<udp_header> udp_header::parse_quoted(std::span<const std::byte> quoted) noexcept {
    if (quoted.size() < length_bytes) return drop_reason::udp_truncated;
    udp_header header;
    header.source_port = load_be16(quoted, source_port_offset);
    header.destination_port = load_be16(quoted, destination_port_offset);
    header.length = load_be16(quoted, length_offset);
    header.checksum = load_be16(quoted, checksum_offset);
    return header;
}

void udp_header::emit(std::span<std::byte> out) const noexcept {
    assert(out.size() >= length_bytes);
    store_be16(out, source_port_offset, source_port);
    store_be16(out, destination_port_offset, destination_port);
    store_be16(out, length_offset, length);
    store_be16(out, checksum_offset, checksum);
}

std::uint16_t udp_checksum(ipv4_address source, ipv4_address destination, const udp_header& header,
                           std::span<const std::byte> payload) noexcept {
    internet_checksum sum = start(source, destination, header);
    sum.add(payload);
    return finish_for_wire(sum);
}

std::uint16_t udp_checksum(ipv4_address source, ipv4_address destination, const udp_header& header,
                           std::span<const std::span<const std::byte>> payload_pieces) noexcept {
    internet_checksum sum = start(source, destination, header);
    for (std::span<const std::byte> piece : payload_pieces) sum.add(piece);
    return finish_for_wire(sum);
}

bool udp_checksum_valid(ipv4_address source, ipv4_address destination, const udp_header& header,
                        std::span<const std::byte> payload) noexcept {
    const std::span<const std::byte> pieces[] = {payload};
    return udp_checksum_valid(source, destination, header, pieces);
}

bool udp_checksum_valid(ipv4_address source, ipv4_address destination, const udp_header& header,
                        std::span<const std::span<const std::byte>> payload_pieces) noexcept {
    if (header.checksum == 0) return true;
    internet_checksum sum = start(source, destination, header);
    sum.add16(header.checksum);
    for (std::span<const std::byte> piece : payload_pieces) sum.add(piece);
    return sum.finish() == 0;
}

}  // namespace sluice::net::wire
