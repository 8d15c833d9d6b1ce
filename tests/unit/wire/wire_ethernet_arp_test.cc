// Ethernet and ARP on real frames: an untagged and an 802.1Q-tagged header parse to the
// right fields and emit back to the same bytes; a single 0x88a8 tag is accepted, a tag
// inside a tag refused; an ARP request parses (its padding ignored) and an ARP reply emits
// byte for byte; every truncation and every foreign ARP format gets its drop reason.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sluice/net/wire/arp.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/ethernet.hh"
#include "tests/unit/wire/wire_frames.hh"

using sluice::net::ethernet_address;
using sluice::net::wire::arp_operation_reply;
using sluice::net::wire::arp_operation_request;
using sluice::net::wire::arp_packet;
using sluice::net::wire::drop_reason;
using sluice::net::wire::ethernet_broadcast;
using sluice::net::wire::ethernet_header;
using sluice::net::wire::ethertype_arp;
using sluice::net::wire::ethertype_ipv4;
using sluice::net::wire::ethertype_service_vlan;
using sluice::net::wire::ethertype_vlan;
using sluice::net::wire::ipv4_address;
using sluice::net::wire::store_be16;
using sluice::net::wire::vlan_id_mask;
using wire_frames::bytes_of;
using wire_frames::copy_of;

namespace {

const ethernet_address mac1{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const ethernet_address mac2{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const ipv4_address ip1 = ipv4_address::from_octets(198, 18, 0, 1);
const ipv4_address ip2 = ipv4_address::from_octets(198, 18, 0, 2);

bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_ethernet)

BOOST_AUTO_TEST_CASE(parses_an_untagged_header) {
    const auto frame = bytes_of(wire_frames::udp_hello);
    const auto header = ethernet_header::parse(frame);
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST((header->destination == mac2));
    BOOST_TEST((header->source == mac1));
    BOOST_TEST(!header->vlan_tci.has_value());
    BOOST_TEST(header->ethertype == ethertype_ipv4);
    BOOST_TEST(header->length() == 14u);
}

BOOST_AUTO_TEST_CASE(parses_an_8021q_tag_and_the_ethertype_inside_it) {
    const auto frame = bytes_of(wire_frames::udp_hello_tagged);
    const auto header = ethernet_header::parse(frame);
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST_REQUIRE(header->vlan_tci.has_value());
    BOOST_TEST(*header->vlan_tci == 0x2064);
    BOOST_TEST((*header->vlan_tci & vlan_id_mask) == 100);
    BOOST_TEST(*header->vlan_tci >> 13 == 1);  // priority
    BOOST_TEST(header->ethertype == ethertype_ipv4);
    BOOST_TEST(header->length() == 18u);
}

BOOST_AUTO_TEST_CASE(emits_the_bytes_it_parsed_tagged_or_not) {
    for (const auto frame : {bytes_of(wire_frames::udp_hello), bytes_of(wire_frames::arp_request)}) {
        const auto header = ethernet_header::parse(frame);
        BOOST_TEST_REQUIRE(header.ok());
        std::array<std::byte, 14> out{};
        header->emit(out);
        BOOST_TEST(same_bytes(out, frame.first(14)));
    }
    const auto tagged = bytes_of(wire_frames::udp_hello_tagged);
    const auto header = ethernet_header::parse(tagged);
    BOOST_TEST_REQUIRE(header.ok());
    std::array<std::byte, 18> out{};
    header->emit(out);
    BOOST_TEST(same_bytes(out, tagged.first(18)));
    const auto again = ethernet_header::parse(out);
    BOOST_TEST_REQUIRE(again.ok());
    BOOST_TEST((*again == *header));
}

BOOST_AUTO_TEST_CASE(accepts_one_service_tag_and_emits_it_as_8021q) {
    auto frame = copy_of(wire_frames::udp_hello_tagged);
    store_be16(frame, 12, ethertype_service_vlan);
    const auto header = ethernet_header::parse(frame);
    BOOST_TEST_REQUIRE(header.ok());
    BOOST_TEST(*header->vlan_tci == 0x2064);
    BOOST_TEST(header->ethertype == ethertype_ipv4);
    std::array<std::byte, 18> out{};
    header->emit(out);
    BOOST_TEST(std::to_integer<unsigned>(out[12]) == 0x81u);
    BOOST_TEST(std::to_integer<unsigned>(out[13]) == 0x00u);
}

BOOST_AUTO_TEST_CASE(rejects_a_tag_inside_a_tag) {
    for (std::uint16_t outer : {ethertype_vlan, ethertype_service_vlan}) {
        for (std::uint16_t inner : {ethertype_vlan, ethertype_service_vlan}) {
            auto frame = copy_of(wire_frames::udp_hello_tagged);
            store_be16(frame, 12, outer);
            store_be16(frame, 16, inner);
            const auto header = ethernet_header::parse(frame);
            BOOST_TEST_REQUIRE(!header.ok());
            BOOST_TEST((header.error() == drop_reason::vlan_stacked));
        }
    }
}

BOOST_AUTO_TEST_CASE(returns_any_other_ethertype_for_the_stack_to_dispatch) {
    for (std::uint16_t type : {std::uint16_t{0x86dd}, std::uint16_t{0x88cc}, std::uint16_t{0x002e}}) {
        auto frame = copy_of(wire_frames::udp_hello);
        store_be16(frame, 12, type);
        const auto header = ethernet_header::parse(frame);
        BOOST_TEST_REQUIRE(header.ok());
        BOOST_TEST(header->ethertype == type);
    }
}

BOOST_AUTO_TEST_CASE(reports_every_truncation) {
    const auto untagged = bytes_of(wire_frames::udp_hello);
    for (std::size_t length = 0; length < 14; ++length) {
        const auto header = ethernet_header::parse(untagged.first(length));
        BOOST_TEST_REQUIRE(!header.ok());
        BOOST_TEST_REQUIRE((header.error() == drop_reason::ethernet_truncated), "length " << length);
    }
    BOOST_TEST(ethernet_header::parse(untagged.first(14)).ok());

    const auto tagged = bytes_of(wire_frames::udp_hello_tagged);
    for (std::size_t length = 0; length < 18; ++length) {
        const auto header = ethernet_header::parse(tagged.first(length));
        BOOST_TEST_REQUIRE(!header.ok());
        const drop_reason expected = length < 14 ? drop_reason::ethernet_truncated : drop_reason::vlan_truncated;
        BOOST_TEST_REQUIRE((header.error() == expected), "length " << length);
    }
    BOOST_TEST(ethernet_header::parse(tagged.first(18)).ok());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(wire_arp)

BOOST_AUTO_TEST_CASE(parses_a_request_and_ignores_the_frame_padding) {
    const auto frame = bytes_of(wire_frames::arp_request);
    const auto ethernet = ethernet_header::parse(frame);
    BOOST_TEST_REQUIRE(ethernet.ok());
    BOOST_TEST((ethernet->destination == ethernet_broadcast));
    BOOST_TEST(ethernet->ethertype == ethertype_arp);

    const auto arp = arp_packet::parse(frame.subspan(wire_frames::arp_offset));  // 46 bytes: 18 of padding
    BOOST_TEST_REQUIRE(arp.ok());
    BOOST_TEST(arp->operation == arp_operation_request);
    BOOST_TEST((arp->sender_mac == mac1));
    BOOST_TEST((arp->sender_ip == ip1));
    BOOST_TEST((arp->target_mac == ethernet_address{}));
    BOOST_TEST((arp->target_ip == ip2));
}

BOOST_AUTO_TEST_CASE(emits_the_request_it_parsed) {
    const auto message = bytes_of(wire_frames::arp_request).subspan(wire_frames::arp_offset, arp_packet::length);
    const auto arp = arp_packet::parse(message);
    BOOST_TEST_REQUIRE(arp.ok());
    std::array<std::byte, arp_packet::length> out{};
    arp->emit(out);
    BOOST_TEST(same_bytes(out, message));
}

// 198.18.0.2 is at 02:00:00:00:00:02, told to 198.18.0.1 (RFC 826, "Packet Reception":
// swap sender and target, put in our own addresses, set the opcode to reply).
BOOST_AUTO_TEST_CASE(emits_a_reply_byte_for_byte) {
    const arp_packet reply{arp_operation_reply, mac2, ip2, mac1, ip1};
    std::array<std::byte, arp_packet::length> out{};
    reply.emit(out);
    const std::array<std::uint8_t, 28> expected{
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04,  // Ethernet, IPv4, 6, 4
        0x00, 0x02,                          // reply
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // sender MAC
        0xc6, 0x12, 0x00, 0x02,              // sender IP
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // target MAC
        0xc6, 0x12, 0x00, 0x01,              // target IP
    };
    BOOST_TEST(same_bytes(out, bytes_of(expected)));
    const auto again = arp_packet::parse(out);
    BOOST_TEST_REQUIRE(again.ok());
    BOOST_TEST((*again == reply));
}

BOOST_AUTO_TEST_CASE(reports_every_truncation_below_28_bytes) {
    const auto message = bytes_of(wire_frames::arp_request).subspan(wire_frames::arp_offset);
    for (std::size_t length = 0; length < arp_packet::length; ++length) {
        const auto arp = arp_packet::parse(message.first(length));
        BOOST_TEST_REQUIRE(!arp.ok());
        BOOST_TEST_REQUIRE((arp.error() == drop_reason::arp_truncated), "length " << length);
    }
    BOOST_TEST(arp_packet::parse(message.first(arp_packet::length)).ok());
}

BOOST_AUTO_TEST_CASE(rejects_anything_but_ethernet_over_ipv4) {
    struct field {
        std::size_t offset;
        bool wide;
        std::uint16_t value;
    };
    const field foreign[] = {
        {0, true, 6},        // htype IEEE 802
        {0, true, 0},        // htype 0
        {2, true, 0x86dd},   // ptype IPv6
        {2, true, 0x0806},   // ptype ARP
        {4, false, 8},       // hlen 8 (EUI-64)
        {4, false, 0},       // hlen 0
        {5, false, 16},      // plen 16 (IPv6)
        {5, false, 6},       // plen 6
    };
    for (const field& f : foreign) {
        auto message = copy_of(wire_frames::arp_request);
        if (f.wide)
            store_be16(message, wire_frames::arp_offset + f.offset, f.value);
        else
            message[wire_frames::arp_offset + f.offset] = std::byte(f.value);
        const auto arp = arp_packet::parse(std::span(message).subspan(wire_frames::arp_offset));
        BOOST_TEST_REQUIRE(!arp.ok());
        BOOST_TEST((arp.error() == drop_reason::arp_unsupported_format), "offset " << f.offset << " value " << f.value);
    }
}

BOOST_AUTO_TEST_CASE(rejects_operations_other_than_request_and_reply) {
    for (std::uint16_t operation : {0, 3, 4, 8, 0xffff}) {  // 3, 4: RARP (RFC 903); 8: InARP (RFC 2390)
        auto message = copy_of(wire_frames::arp_request);
        store_be16(message, wire_frames::arp_offset + 6, operation);
        const auto arp = arp_packet::parse(std::span(message).subspan(wire_frames::arp_offset));
        BOOST_TEST_REQUIRE(!arp.ok());
        BOOST_TEST((arp.error() == drop_reason::arp_bad_operation), "operation " << operation);
    }
}

BOOST_AUTO_TEST_SUITE_END()
