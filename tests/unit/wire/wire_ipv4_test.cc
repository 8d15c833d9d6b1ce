// IPv4 headers (RFC 791) on real packets: a ping's header parses to every field and emits
// back to the same 20 bytes; options are skipped and the payload found after them; bytes
// past the total length are left to the caller; fragments report their flags and offset.
// Every malformed header gets its own drop reason: each truncation, a wrong version, IHL
// below 5, a total length below the header, a bad checksum, the reserved flag, a misaligned
// fragment and a fragment reaching past 65535 bytes.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/udp.hh"
#include "tests/unit/wire/wire_frames.hh"

using sluice::net::wire::drop_reason;
using sluice::net::wire::ip_protocol_icmp;
using sluice::net::wire::ip_protocol_udp;
using sluice::net::wire::ipv4_address;
using sluice::net::wire::ipv4_header;
using sluice::net::wire::load_be16;
using sluice::net::wire::store_be16;
using sluice::net::wire::udp_header;
using wire_frames::bytes_of;
using wire_frames::reference_checksum;

namespace {

// The IPv4 packet of a frame (from `offset` to the frame's end), as a copy to mutate.
template <std::size_t N>
std::vector<std::byte> ipv4_part(const std::array<std::uint8_t, N>& frame, std::size_t offset = 14) {
    const auto bytes = bytes_of(frame).subspan(offset);
    return {bytes.begin(), bytes.end()};
}

// Recomputes the header checksum (with the reference) after a test changed a field, so
// that the field is the only thing wrong.
void fix_checksum(std::span<std::byte> packet) {
    const std::size_t header_length = std::size_t{std::to_integer<unsigned>(packet[0]) & 0x0fu} * 4;
    store_be16(packet, 10, 0);
    store_be16(packet, 10, reference_checksum(packet.first(header_length)));
}

void set_flags_and_offset(std::span<std::byte> packet, std::uint16_t word) {
    store_be16(packet, 6, word);
    fix_checksum(packet);
}

drop_reason reason_of(std::span<const std::byte> packet, bool verify_checksum = true) {
    const auto header = ipv4_header::parse(packet, verify_checksum);
    BOOST_TEST_REQUIRE(!header.ok());
    return header.error();
}

bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_ipv4)

BOOST_AUTO_TEST_CASE(parses_every_field_of_a_ping) {
    const auto packet = bytes_of(wire_frames::echo_request).subspan(wire_frames::echo_ipv4_offset);
    const auto header = ipv4_header::parse(packet);
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST(header->dscp_ecn == 0);
    BOOST_TEST(header->total_length == 84);
    BOOST_TEST(header->identification == 0x4d2a);
    BOOST_TEST(header->dont_fragment);
    BOOST_TEST(!header->more_fragments);
    BOOST_TEST(header->fragment_offset == 0);
    BOOST_TEST(!header->is_fragment());
    BOOST_TEST(header->ttl == 64);
    BOOST_TEST(header->protocol == ip_protocol_icmp);
    BOOST_TEST(header->checksum == 0x6157);
    BOOST_TEST((header->source == ipv4_address::from_octets(198, 18, 0, 1)));
    BOOST_TEST((header->destination == ipv4_address::from_octets(198, 18, 0, 2)));
    BOOST_TEST(header->header_length == 20u);
    BOOST_TEST(header->payload_length() == 64u);
}

// The header often used to teach the checksum (Wikipedia, "Internet checksum"):
// 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7.
BOOST_AUTO_TEST_CASE(verifies_a_published_header_checksum) {
    std::vector<std::byte> packet(0x73);
    const std::array<std::uint8_t, 20> header_bytes{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                                    0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    std::copy(bytes_of(header_bytes).begin(), bytes_of(header_bytes).end(), packet.begin());
    const auto header = ipv4_header::parse(packet);
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST(header->checksum == 0xb861);
    BOOST_TEST(header->protocol == ip_protocol_udp);

    std::array<std::byte, 20> out{};
    header->emit(out);  // computes the checksum afresh
    BOOST_TEST(same_bytes(out, bytes_of(header_bytes)));
}

BOOST_AUTO_TEST_CASE(emits_the_header_it_parsed) {
    for (const auto frame : {bytes_of(wire_frames::echo_request), bytes_of(wire_frames::udp_hello),
                             bytes_of(wire_frames::first_fragment), bytes_of(wire_frames::last_fragment)}) {
        const auto packet = frame.subspan(14);
        const auto header = ipv4_header::parse(packet);
        BOOST_TEST_REQUIRE(header.ok());
        std::array<std::byte, 20> computed{};
        header->emit(computed);
        BOOST_TEST(same_bytes(computed, packet.first(20)));
        std::array<std::byte, 20> as_given{};
        header->emit(as_given, false);  // the received checksum, written as it is
        BOOST_TEST(same_bytes(as_given, packet.first(20)));
        const auto again = ipv4_header::parse(std::span<const std::byte>(computed).first(20), false);
        BOOST_TEST_REQUIRE(!again.ok());  // 20 bytes cannot hold the payload total_length claims
        BOOST_TEST((again.error() == drop_reason::ipv4_truncated));
    }
}

BOOST_AUTO_TEST_CASE(emits_a_built_header_that_parses_back_equal) {
    ipv4_header header;
    header.dscp_ecn = 0xb8;  // EF, not ECN-capable
    header.total_length = 20 + 1480;
    header.identification = 0xbeef;
    header.more_fragments = true;
    header.fragment_offset = 2960;
    header.ttl = 1;
    header.protocol = ip_protocol_udp;
    header.source = ipv4_address::from_octets(198, 18, 0, 1);
    header.destination = ipv4_address::from_octets(198, 19, 255, 254);
    std::vector<std::byte> packet(header.total_length);
    header.emit(packet);
    BOOST_TEST(reference_checksum(std::span(packet).first(20)) == 0);
    const auto parsed = ipv4_header::parse(packet);
    BOOST_TEST_REQUIRE(parsed.ok());
    header.checksum = parsed->checksum;  // the one emit computed
    BOOST_TEST((*parsed == header));
    BOOST_TEST(parsed->is_fragment());

    // Without fill_checksum the member goes out as it is: 0 for a NIC that sums.
    header.checksum = 0;
    header.emit(packet, false);
    BOOST_TEST(load_be16(packet, 10) == 0);
}

BOOST_AUTO_TEST_CASE(emits_twenty_bytes_whatever_header_length_says) {
    const auto packet = bytes_of(wire_frames::udp_hello_with_options).subspan(14);
    const auto header = ipv4_header::parse(packet);
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST(header->header_length == 24u);
    std::array<std::byte, 24> out{};
    out.fill(std::byte{0xee});
    header->emit(out);
    BOOST_TEST(std::to_integer<unsigned>(out[0]) == 0x45u);
    BOOST_TEST(std::to_integer<unsigned>(out[20]) == 0xeeu);  // nothing written past 20
    BOOST_TEST(reference_checksum(std::span(out).first(20)) == 0);
}

BOOST_AUTO_TEST_CASE(skips_options_and_finds_payload) {
    const auto packet = bytes_of(wire_frames::udp_hello_with_options).subspan(14);
    const auto header = ipv4_header::parse(packet);
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST(header->header_length == 24u);
    BOOST_TEST(header->total_length == 37);
    BOOST_TEST(header->payload_length() == 13u);
    const auto payload = packet.subspan(header->header_length, header->payload_length());
    const auto udp = udp_header::parse(payload);
    BOOST_TEST_REQUIRE(udp.ok());
    BOOST_TEST(udp->source_port == 49152);
    BOOST_TEST(udp->destination_port == 7);
}

BOOST_AUTO_TEST_CASE(covers_options_with_the_checksum) {
    auto packet = ipv4_part(wire_frames::udp_hello_with_options);
    packet[20] = std::byte{0x07};  // an option byte changed, checksum not
    BOOST_TEST((reason_of(packet) == drop_reason::ipv4_bad_checksum));
}

BOOST_AUTO_TEST_CASE(leaves_ethernet_padding_to_the_caller) {
    const auto packet = bytes_of(wire_frames::udp_hello).subspan(wire_frames::udp_ipv4_offset);
    BOOST_TEST(packet.size() == 46u);  // 33 bytes of IPv4, 13 of padding
    const auto header = ipv4_header::parse(packet);
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST(header->total_length == wire_frames::udp_ipv4_total_length);
    BOOST_TEST(header->payload_length() == 13u);
}

BOOST_AUTO_TEST_CASE(reports_fragment_flags_and_offset_in_bytes) {
    const auto first = ipv4_header::parse(bytes_of(wire_frames::first_fragment).subspan(14));
    BOOST_TEST_REQUIRE(first.ok());
    BOOST_TEST(first->more_fragments);
    BOOST_TEST(first->fragment_offset == 0);
    BOOST_TEST(first->is_fragment());
    BOOST_TEST(first->identification == 0x0777);
    BOOST_TEST(first->payload_length() == 16u);

    const auto last = ipv4_header::parse(bytes_of(wire_frames::last_fragment).subspan(14));
    BOOST_TEST_REQUIRE(last.ok());
    BOOST_TEST(!last->more_fragments);
    BOOST_TEST(last->fragment_offset == 16);
    BOOST_TEST(last->is_fragment());
    BOOST_TEST(last->payload_length() == 5u);
}

BOOST_AUTO_TEST_CASE(reports_every_truncation_as_ipv4_truncated) {
    const auto packet = bytes_of(wire_frames::echo_request).subspan(wire_frames::echo_ipv4_offset);
    for (std::size_t length = 0; length < packet.size(); ++length)
        BOOST_TEST_REQUIRE((reason_of(packet.first(length)) == drop_reason::ipv4_truncated), "length " << length);
    BOOST_TEST(ipv4_header::parse(packet).ok());

    // Cut inside the options: the header is longer than what arrived.
    const auto with_options = bytes_of(wire_frames::udp_hello_with_options).subspan(14);
    for (std::size_t length = 0; length < with_options.size(); ++length)
        BOOST_TEST_REQUIRE((reason_of(with_options.first(length)) == drop_reason::ipv4_truncated), "length " << length);
}

BOOST_AUTO_TEST_CASE(rejects_versions_other_than_four) {
    for (unsigned version : {0u, 1u, 5u, 6u, 15u}) {
        auto packet = ipv4_part(wire_frames::echo_request);
        packet[0] = std::byte(version << 4 | 5);
        fix_checksum(packet);
        BOOST_TEST((reason_of(packet) == drop_reason::ipv4_bad_version), "version " << version);
    }
}

BOOST_AUTO_TEST_CASE(rejects_ihl_below_five) {
    for (unsigned ihl = 0; ihl < 5; ++ihl) {
        auto packet = ipv4_part(wire_frames::echo_request);
        packet[0] = std::byte(0x40 | ihl);
        BOOST_TEST((reason_of(packet) == drop_reason::ipv4_bad_header_length), "ihl " << ihl);
    }
}

BOOST_AUTO_TEST_CASE(rejects_ihl_past_the_bytes_received) {
    auto packet = ipv4_part(wire_frames::udp_hello);  // 46 bytes with the padding
    packet[0] = std::byte{0x4f};                      // 60-byte header
    BOOST_TEST((reason_of(packet) == drop_reason::ipv4_truncated));
}

BOOST_AUTO_TEST_CASE(rejects_a_total_length_below_the_header_length) {
    for (std::uint16_t total : {0, 1, 19, 20, 23}) {
        auto packet = ipv4_part(wire_frames::udp_hello_with_options);  // header 24 bytes
        store_be16(packet, 2, total);
        fix_checksum(packet);
        BOOST_TEST((reason_of(packet) == drop_reason::ipv4_bad_total_length), "total " << total);
    }
    // 24 is a header with no data: allowed.
    auto packet = ipv4_part(wire_frames::udp_hello_with_options);
    store_be16(packet, 2, 24);
    fix_checksum(packet);
    BOOST_TEST(ipv4_header::parse(packet).ok());
}

BOOST_AUTO_TEST_CASE(rejects_a_total_length_past_the_bytes_received) {
    for (std::uint16_t total : {85, 86, 1500, 65535}) {
        auto packet = ipv4_part(wire_frames::echo_request);  // 84 bytes
        store_be16(packet, 2, total);
        fix_checksum(packet);
        BOOST_TEST((reason_of(packet) == drop_reason::ipv4_truncated), "total " << total);
    }
}

BOOST_AUTO_TEST_CASE(rejects_a_bad_checksum_unless_told_not_to_verify) {
    const auto good = ipv4_part(wire_frames::echo_request);
    // Every single-bit error in the checksum, TTL, identification and addresses.
    for (std::size_t byte : {4u, 5u, 8u, 10u, 11u, 12u, 15u, 16u, 19u}) {
        for (unsigned bit = 0; bit < 8; ++bit) {
            auto packet = good;
            packet[byte] ^= std::byte(1u << bit);
            BOOST_TEST_REQUIRE((reason_of(packet) == drop_reason::ipv4_bad_checksum), "byte " << byte << " bit " << bit);
            BOOST_TEST_REQUIRE(ipv4_header::parse(packet, false).ok());
        }
    }
}

// RFC 791 3.1: flags bit 0 is reserved and must be zero.
BOOST_AUTO_TEST_CASE(rejects_the_reserved_flag) {
    auto packet = ipv4_part(wire_frames::echo_request);
    set_flags_and_offset(packet, 0x8000 | 0x4000);
    BOOST_TEST((reason_of(packet) == drop_reason::ipv4_reserved_flag_set));
}

BOOST_AUTO_TEST_CASE(rejects_a_fragment_with_more_to_come_and_data_not_a_multiple_of_eight) {
    auto packet = ipv4_part(wire_frames::first_fragment);
    store_be16(packet, 2, 20 + 15);  // 15 bytes of data, MF still set
    fix_checksum(packet);
    BOOST_TEST((reason_of(packet) == drop_reason::ipv4_fragment_misaligned));

    // The last fragment may end anywhere.
    set_flags_and_offset(packet, 0x0002);
    BOOST_TEST(ipv4_header::parse(packet).ok());
}

BOOST_AUTO_TEST_CASE(rejects_a_fragment_reaching_past_65535_bytes) {
    auto packet = ipv4_part(wire_frames::first_fragment);
    store_be16(packet, 2, 20 + 15);  // 15 bytes of data

    set_flags_and_offset(packet, 8190);  // 65520 + 15 = 65535: the largest datagram, allowed
    const auto edge = ipv4_header::parse(packet);
    BOOST_TEST_REQUIRE(edge.ok());
    BOOST_TEST(edge->fragment_offset == 65520);

    set_flags_and_offset(packet, 8191);  // 65528 + 15 = 65543
    BOOST_TEST((reason_of(packet) == drop_reason::ipv4_fragment_too_large));

    // The classic ping of death: the last fragment at the largest offset, with 16 bytes.
    auto whole = ipv4_part(wire_frames::first_fragment);
    set_flags_and_offset(whole, 0x1fff);
    BOOST_TEST((reason_of(whole) == drop_reason::ipv4_fragment_too_large));
}

BOOST_AUTO_TEST_SUITE_END()

// RFC 791 3.1, "Options": end of list, no operation, and type-length-data options.
BOOST_AUTO_TEST_SUITE(ipv4_options)

namespace {
// A 20-byte header followed by `options` (already a multiple of 4 long).
std::vector<std::byte> header_with_options(std::initializer_list<unsigned> options) {
    std::vector<std::byte> header(20, std::byte{0});
    header[0] = std::byte(0x40 | ((20 + options.size()) / 4));
    for (unsigned octet : options) header.push_back(std::byte(octet));
    return header;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_well_formed_option_list_reads_to_its_end) {
    using sluice::net::wire::find_malformed_ipv4_option;
    BOOST_TEST(!find_malformed_ipv4_option(header_with_options({})).has_value());
    BOOST_TEST(!find_malformed_ipv4_option(header_with_options({1, 1, 1, 0})).has_value());  // NOPs, end
    // Router alert (RFC 2113: type 148, length 4), then end of list and padding.
    BOOST_TEST(!find_malformed_ipv4_option(header_with_options({148, 4, 0, 0, 0, 0, 0, 0})).has_value());
    // An unknown option is skipped by its length; after end of list nothing is read.
    BOOST_TEST(!find_malformed_ipv4_option(header_with_options({0x9e, 3, 7, 0, 0, 99, 99, 99})).has_value());
}

BOOST_AUTO_TEST_CASE(lengths_of_zero_one_or_past_the_header_point_at_the_option) {
    using sluice::net::wire::find_malformed_ipv4_option;
    const auto zero = find_malformed_ipv4_option(header_with_options({1, 148, 0, 0}));
    BOOST_TEST_REQUIRE(zero.has_value());
    BOOST_TEST(*zero == 21u);  // the option's type octet, as Linux points
    const auto one = find_malformed_ipv4_option(header_with_options({148, 1, 0, 0}));
    BOOST_TEST_REQUIRE(one.has_value());
    BOOST_TEST(*one == 20u);
    const auto past = find_malformed_ipv4_option(header_with_options({1, 1, 148, 6}));
    BOOST_TEST_REQUIRE(past.has_value());
    BOOST_TEST(*past == 22u);
    // A type octet with no room left for its length.
    const auto cut = find_malformed_ipv4_option(header_with_options({1, 1, 1, 148}));
    BOOST_TEST_REQUIRE(cut.has_value());
    BOOST_TEST(*cut == 23u);
}

BOOST_AUTO_TEST_SUITE_END()
