// ICMP (RFC 792) and UDP (RFC 768) on real packets: a ping parses and its reply's checksum
// comes out as RFC 1624 predicts, whole or with the payload in pieces; a UDP datagram's
// checksum over the pseudo header verifies, catches corruption, is skipped when zero, and
// a computed zero goes out as 0xffff; headers emit back to their bytes; every truncation
// and every bad length gets its drop reason.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/icmp.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/udp.hh"
#include "tests/unit/wire/wire_frames.hh"

using sluice::net::wire::drop_reason;
using sluice::net::wire::icmp_checksum;
using sluice::net::wire::icmp_checksum_valid;
using sluice::net::wire::icmp_code_port_unreachable;
using sluice::net::wire::icmp_header;
using sluice::net::wire::icmp_type_destination_unreachable;
using sluice::net::wire::icmp_type_echo_reply;
using sluice::net::wire::icmp_type_echo_request;
using sluice::net::wire::ipv4_address;
using sluice::net::wire::ipv4_header;
using sluice::net::wire::store_be16;
using sluice::net::wire::udp_checksum;
using sluice::net::wire::udp_checksum_valid;
using sluice::net::wire::udp_header;
using wire_frames::bytes_of;
using wire_frames::reference_checksum;

namespace {

const ipv4_address ip1 = ipv4_address::from_octets(198, 18, 0, 1);
const ipv4_address ip2 = ipv4_address::from_octets(198, 18, 0, 2);

std::span<const std::byte> echo_message() {
    return bytes_of(wire_frames::echo_request).subspan(wire_frames::echo_icmp_offset);
}

std::span<const std::byte> hello_datagram() {
    return bytes_of(wire_frames::udp_hello).subspan(wire_frames::udp_offset, 13);
}

bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_icmp)

BOOST_AUTO_TEST_CASE(parses_an_echo_request) {
    const auto header = icmp_header::parse(echo_message());
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST(header->type == icmp_type_echo_request);
    BOOST_TEST(header->code == 0);
    BOOST_TEST(header->checksum == 0xf5dd);
    BOOST_TEST(header->identifier() == 0x0b0e);
    BOOST_TEST(header->sequence() == 1);
    BOOST_TEST(header->rest == 0x0b0e0001u);
}

// The reply differs from the request only in its type, 8 -> 0: the sum falls by 0x0800,
// so the checksum rises by 0x0800 (RFC 1624 section 3): 0xf5dd + 0x0800 = 0xfddd.
BOOST_AUTO_TEST_CASE(computes_the_echo_reply_checksum) {
    const auto request = icmp_header::parse(echo_message());
    BOOST_TEST_REQUIRE(request.ok());
    icmp_header reply = *request;
    reply.type = icmp_type_echo_reply;
    reply.checksum = 0x1234;  // not read
    const auto payload = echo_message().subspan(icmp_header::length);
    reply.checksum = icmp_checksum(reply, payload);
    BOOST_TEST(reply.checksum == 0xfddd);

    std::vector<std::byte> message(echo_message().size());
    reply.emit(message);
    std::copy(payload.begin(), payload.end(), message.begin() + icmp_header::length);
    BOOST_TEST(reference_checksum(message) == 0);
    const auto parsed = icmp_header::parse(message);
    BOOST_TEST_REQUIRE(parsed.ok());
    BOOST_TEST((*parsed == reply));
}

BOOST_AUTO_TEST_CASE(sums_a_message_in_pieces_like_a_whole_one) {
    const auto message = echo_message();
    const auto header = icmp_header::parse(message);
    BOOST_TEST_REQUIRE(header.ok());
    const auto payload = message.subspan(icmp_header::length);
    for (std::size_t cut = 0; cut <= payload.size(); ++cut) {
        const std::span<const std::byte> pieces[] = {payload.first(cut), payload.subspan(cut)};
        BOOST_TEST_REQUIRE(icmp_checksum(*header, pieces) == 0xf5dd, "cut " << cut);
        const std::span<const std::byte> received[] = {message.first(icmp_header::length + cut),
                                                       message.subspan(icmp_header::length + cut)};
        BOOST_TEST_REQUIRE(icmp_checksum_valid(received), "cut " << cut);
    }
}

BOOST_AUTO_TEST_CASE(emits_the_header_it_parsed) {
    const auto header = icmp_header::parse(echo_message());
    BOOST_TEST_REQUIRE(header.ok());
    std::array<std::byte, icmp_header::length> out{};
    header->emit(out);
    BOOST_TEST(same_bytes(out, echo_message().first(icmp_header::length)));
}

BOOST_AUTO_TEST_CASE(builds_a_port_unreachable_that_verifies) {
    // RFC 792: type 3 code 3, 4 unused bytes, then the offending IP header and 8 bytes.
    const auto original = bytes_of(wire_frames::udp_hello).subspan(wire_frames::udp_ipv4_offset, 28);
    icmp_header header{icmp_type_destination_unreachable, icmp_code_port_unreachable, 0, 0};
    header.checksum = icmp_checksum(header, original);
    std::vector<std::byte> message(icmp_header::length + original.size());
    header.emit(message);
    std::copy(original.begin(), original.end(), message.begin() + icmp_header::length);
    const auto parsed = icmp_header::parse(message);
    BOOST_TEST_REQUIRE(parsed.ok());
    BOOST_TEST(parsed->type == icmp_type_destination_unreachable);
    BOOST_TEST(parsed->code == icmp_code_port_unreachable);
    const auto quoted = ipv4_header::parse(std::span<const std::byte>(message).subspan(icmp_header::length), true);
    BOOST_TEST_REQUIRE(!quoted.ok());  // only 8 bytes of its 13 are quoted
    BOOST_TEST((quoted.error() == drop_reason::ipv4_truncated));
}

BOOST_AUTO_TEST_CASE(reports_truncation_below_eight_bytes) {
    for (std::size_t length = 0; length < icmp_header::length; ++length) {
        const auto header = icmp_header::parse(echo_message().first(length));
        BOOST_TEST_REQUIRE(!header.ok());
        BOOST_TEST_REQUIRE((header.error() == drop_reason::icmp_truncated), "length " << length);
        BOOST_TEST_REQUIRE(!icmp_header::parse(echo_message().first(length), false).ok());
    }
    // Eight bytes or more: a message cut short fails its checksum, or parses unverified.
    const auto cut = icmp_header::parse(echo_message().first(20));
    BOOST_TEST_REQUIRE(!cut.ok());
    BOOST_TEST((cut.error() == drop_reason::icmp_bad_checksum));
    BOOST_TEST(icmp_header::parse(echo_message().first(8), false).ok());
}

BOOST_AUTO_TEST_CASE(rejects_every_single_bit_error) {
    const auto good = echo_message();
    for (std::size_t byte = 0; byte < good.size(); ++byte) {
        for (unsigned bit = 0; bit < 8; ++bit) {
            std::vector<std::byte> message(good.begin(), good.end());
            message[byte] ^= std::byte(1u << bit);
            const auto header = icmp_header::parse(message);
            BOOST_TEST_REQUIRE(!header.ok(), "byte " << byte << " bit " << bit);
            BOOST_TEST_REQUIRE((header.error() == drop_reason::icmp_bad_checksum));
            const std::span<const std::byte> pieces[] = {message};
            BOOST_TEST_REQUIRE(!icmp_checksum_valid(pieces));
            BOOST_TEST_REQUIRE(icmp_header::parse(message, false).ok());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(wire_udp)

BOOST_AUTO_TEST_CASE(parses_a_datagram_and_verifies_its_checksum) {
    const auto datagram = hello_datagram();
    const auto header = udp_header::parse(datagram.first(udp_header::length_bytes), datagram.size());
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST(header->source_port == 49152);
    BOOST_TEST(header->destination_port == 7);
    BOOST_TEST(header->length == 13);
    BOOST_TEST(header->checksum == 0x6fd2);
    BOOST_TEST(header->payload_length() == 5u);
    const auto payload = datagram.subspan(udp_header::length_bytes);
    BOOST_TEST(udp_checksum_valid(ip1, ip2, *header, payload));
    BOOST_TEST(udp_checksum(ip1, ip2, *header, payload) == 0x6fd2);  // header.checksum not read
}

BOOST_AUTO_TEST_CASE(finds_the_datagram_behind_a_vlan_tag) {
    const auto frame = bytes_of(wire_frames::udp_hello_tagged);
    const auto ip = ipv4_header::parse(frame.subspan(18));
    BOOST_TEST_REQUIRE(ip.ok());
    const auto datagram = frame.subspan(18 + ip->header_length, ip->payload_length());
    const auto header = udp_header::parse(datagram);
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST(udp_checksum_valid(ip->source, ip->destination, *header, datagram.subspan(8)));
}

BOOST_AUTO_TEST_CASE(sums_a_payload_in_pieces_like_a_whole_one) {
    const auto datagram = hello_datagram();
    const auto header = udp_header::parse(datagram);
    BOOST_TEST_REQUIRE(header.ok());
    const auto payload = datagram.subspan(udp_header::length_bytes);
    for (std::size_t a = 0; a <= payload.size(); ++a) {
        for (std::size_t b = a; b <= payload.size(); ++b) {
            const std::span<const std::byte> pieces[] = {payload.first(a), payload.subspan(a, b - a), payload.subspan(b)};
            BOOST_TEST_REQUIRE(udp_checksum(ip1, ip2, *header, pieces) == 0x6fd2);
            BOOST_TEST_REQUIRE(udp_checksum_valid(ip1, ip2, *header, pieces));
        }
    }
}

BOOST_AUTO_TEST_CASE(catches_a_corrupt_payload_or_the_wrong_addresses) {
    const auto datagram = hello_datagram();
    const auto header = udp_header::parse(datagram);
    BOOST_TEST_REQUIRE(header.ok());
    std::vector<std::byte> payload(datagram.begin() + 8, datagram.end());
    payload[4] ^= std::byte{0x01};  // "hellp"
    BOOST_TEST(!udp_checksum_valid(ip1, ip2, *header, payload));
    payload[4] ^= std::byte{0x01};
    BOOST_TEST(udp_checksum_valid(ip1, ip2, *header, payload));
    // The pseudo header catches a datagram delivered to the wrong address.
    BOOST_TEST(!udp_checksum_valid(ip1, ipv4_address::from_octets(198, 18, 0, 3), *header, payload));
    // Swapped addresses are not caught: a sum does not see order. A limit of the checksum.
    BOOST_TEST(udp_checksum_valid(ip2, ip1, *header, payload));
}

// RFC 768: a checksum of 0 means the sender computed none; nothing is verified.
BOOST_AUTO_TEST_CASE(accepts_a_zero_checksum_as_none) {
    const auto datagram = hello_datagram();
    auto header = udp_header::parse(datagram);
    BOOST_TEST_REQUIRE(header.ok());
    header->checksum = 0;
    const std::array<std::uint8_t, 5> other{'w', 'o', 'r', 'l', 'd'};
    BOOST_TEST(udp_checksum_valid(ip1, ip2, *header, bytes_of(other)));
}

// RFC 768: a computed checksum of zero is sent as all ones. A two-byte payload is chosen
// so that everything else cancels it: the sum is then 0xffff and the checksum 0.
BOOST_AUTO_TEST_CASE(sends_a_computed_zero_as_ffff) {
    udp_header header{49152, 7, 10, 0};
    std::array<std::uint8_t, 20> summed{
        0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x00, 17, 0x00, 10,  // pseudo header
        0xc0, 0x00, 0x00, 0x07, 0x00, 10, 0x00, 0x00,                        // header, checksum 0
    };
    const std::uint16_t rest = reference_checksum(bytes_of(summed));
    std::array<std::byte, 2> payload{};
    store_be16(payload, 0, rest);
    std::vector<std::byte> whole(bytes_of(summed).begin(), bytes_of(summed).end());
    whole.insert(whole.end(), payload.begin(), payload.end());
    BOOST_TEST_REQUIRE(reference_checksum(whole) == 0);  // the true checksum is zero

    header.checksum = udp_checksum(ip1, ip2, header, payload);
    BOOST_TEST(header.checksum == 0xffff);
    BOOST_TEST(udp_checksum_valid(ip1, ip2, header, payload));
}

BOOST_AUTO_TEST_CASE(emits_the_header_it_parsed) {
    const auto datagram = hello_datagram();
    const auto header = udp_header::parse(datagram);
    BOOST_TEST_REQUIRE(header.ok());
    std::array<std::byte, udp_header::length_bytes> out{};
    header->emit(out);
    BOOST_TEST(same_bytes(out, datagram.first(udp_header::length_bytes)));
}

BOOST_AUTO_TEST_CASE(reports_truncation_of_the_header_or_the_datagram) {
    const auto datagram = hello_datagram();
    for (std::size_t length = 0; length < udp_header::length_bytes; ++length) {
        const auto short_header = udp_header::parse(datagram.first(length), datagram.size());
        BOOST_TEST_REQUIRE(!short_header.ok());
        BOOST_TEST_REQUIRE((short_header.error() == drop_reason::udp_truncated), "header bytes " << length);
        const auto short_datagram = udp_header::parse(datagram.first(8), length);
        BOOST_TEST_REQUIRE(!short_datagram.ok());
        BOOST_TEST_REQUIRE((short_datagram.error() == drop_reason::udp_truncated), "available " << length);
    }
    // Eight or more bytes, but fewer than the length field's 13.
    for (std::size_t available = 8; available < 13; ++available) {
        const auto header = udp_header::parse(datagram.first(8), available);
        BOOST_TEST_REQUIRE(!header.ok());
        BOOST_TEST_REQUIRE((header.error() == drop_reason::udp_truncated), "available " << available);
    }
}

BOOST_AUTO_TEST_CASE(rejects_a_length_field_below_eight) {
    for (std::uint16_t length = 0; length < 8; ++length) {
        std::vector<std::byte> datagram(hello_datagram().begin(), hello_datagram().end());
        store_be16(datagram, 4, length);
        const auto header = udp_header::parse(datagram);
        BOOST_TEST_REQUIRE(!header.ok());
        BOOST_TEST_REQUIRE((header.error() == drop_reason::udp_bad_length), "length " << length);
    }
}

BOOST_AUTO_TEST_CASE(accepts_a_length_field_below_the_bytes_available) {
    // Bytes after the datagram (here the Ethernet padding, if the caller passed it on): the
    // caller trims them to header.length.
    const auto padded = bytes_of(wire_frames::udp_hello).subspan(wire_frames::udp_offset);
    const auto header = udp_header::parse(padded);
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST(header->length == 13);
    BOOST_TEST(padded.size() == 26u);
    // An empty datagram: header only.
    std::vector<std::byte> empty(padded.begin(), padded.begin() + 8);
    store_be16(empty, 4, 8);
    const auto bare = udp_header::parse(empty);
    BOOST_TEST_REQUIRE(bare.ok());
    BOOST_TEST(bare->payload_length() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
