// IGMP (RFC 1112, RFC 2236, RFC 3376) on real bytes: a version 1, 2 and 3 query each
// parse as their version with the max response time decoded (the exponential code of
// RFC 3376 4.1.1 too); a version 3 report and a version 2 message emit with checksums
// that verify and parse back; every truncation, a bad checksum and a 9-to-11-byte query
// get their drop reason; groups map to their Ethernet address (RFC 1112 6.4); the
// Router Alert option (RFC 2113) emits in an IPv4 header that parses and is found.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/igmp.hh"
#include "sluice/net/wire/ipv4.hh"

namespace wire = sluice::net::wire;
using wire::drop_reason;
using wire::ipv4_address;

namespace {

std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
    std::vector<std::byte> out;
    for (unsigned v : values) out.push_back(std::byte(v));
    return out;
}

// Stores the checksum the message needs (field at 2-3).
std::vector<std::byte> summed(std::vector<std::byte> message) {
    wire::store_be16(message, 2, 0);
    wire::store_be16(message, 2, wire::internet_checksum::of(message));
    return message;
}

const ipv4_address group = ipv4_address::from_octets(239, 1, 2, 3);

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_igmp)

BOOST_AUTO_TEST_CASE(an_eight_byte_query_with_code_zero_is_version_1_with_ten_seconds) {
    const auto parsed = wire::igmp_message::parse(summed(bytes({0x11, 0, 0, 0, 0, 0, 0, 0})));
    BOOST_REQUIRE(parsed.ok());
    BOOST_CHECK_EQUAL(parsed->type, wire::igmp_type_membership_query);
    BOOST_CHECK_EQUAL(parsed->query.version, 1u);
    BOOST_CHECK(parsed->query.is_general());
    BOOST_CHECK_EQUAL(parsed->query.max_response.count(), 100u);
}

BOOST_AUTO_TEST_CASE(an_eight_byte_query_is_version_2_in_tenths_of_a_second) {
    const auto parsed = wire::igmp_message::parse(summed(bytes({0x11, 25, 0, 0, 239, 1, 2, 3})));
    BOOST_REQUIRE(parsed.ok());
    BOOST_CHECK_EQUAL(parsed->query.version, 2u);
    BOOST_CHECK(parsed->query.group == group);
    BOOST_CHECK_EQUAL(parsed->query.max_response.count(), 25u);
}

BOOST_AUTO_TEST_CASE(a_twelve_byte_query_is_version_3_with_its_fields) {
    std::array<std::byte, 12> message;
    wire::emit_igmp_v3_query(message, group, 0x8a, 3, 125);
    BOOST_CHECK_EQUAL(wire::internet_checksum::of(message), 0);
    const auto parsed = wire::igmp_message::parse(message);
    BOOST_REQUIRE(parsed.ok());
    BOOST_CHECK_EQUAL(parsed->query.version, 3u);
    BOOST_CHECK(parsed->query.group == group);
    // 0x8a: exponent 0, mantissa 10: (10 | 16) << 3 = 208 tenths (RFC 3376 4.1.1).
    BOOST_CHECK_EQUAL(parsed->query.max_response.count(), 208u);
    BOOST_CHECK_EQUAL(parsed->query.robustness, 3);
    BOOST_CHECK_EQUAL(parsed->query.query_interval_seconds, 125u);
    BOOST_CHECK_EQUAL(parsed->query.source_count, 0u);
}

BOOST_AUTO_TEST_CASE(the_exponential_code_round_trips_and_saturates) {
    BOOST_CHECK_EQUAL(wire::igmp_decode_code(100), 100u);
    BOOST_CHECK_EQUAL(wire::igmp_decode_code(0xff), 31744u);  // (15 | 16) << 10
    for (std::uint32_t value : {0u, 1u, 127u, 128u, 208u, 1000u, 31744u}) {
        const std::uint32_t decoded = wire::igmp_decode_code(wire::igmp_encode_code(value));
        BOOST_CHECK_LE(decoded, value);
        BOOST_CHECK_GE(decoded * 17, value * 16);  // within the mantissa's step
    }
    BOOST_CHECK_EQUAL(wire::igmp_encode_code(1'000'000), 0xff);
}

BOOST_AUTO_TEST_CASE(a_v3_report_emits_and_parses_back_record_by_record) {
    const std::array<wire::igmp_group_record, 2> records{{
        {wire::igmp_record_change_to_exclude, group},
        {wire::igmp_record_mode_is_exclude, ipv4_address::from_octets(239, 9, 9, 9)},
    }};
    std::vector<std::byte> message(wire::igmp_v3_report_length(records.size()));
    BOOST_CHECK_EQUAL(message.size(), 24u);
    wire::emit_igmp_v3_report(message, records);
    BOOST_CHECK_EQUAL(wire::internet_checksum::of(message), 0);
    const auto parsed = wire::igmp_message::parse(message);
    BOOST_REQUIRE(parsed.ok());
    BOOST_CHECK_EQUAL(parsed->type, wire::igmp_type_v3_membership_report);
    BOOST_REQUIRE_EQUAL(parsed->record_count, 2u);
    const auto first = wire::igmp_group_record::parse(std::span<const std::byte>(message).subspan(8));
    BOOST_REQUIRE(first.ok());
    BOOST_CHECK_EQUAL(first->type, wire::igmp_record_change_to_exclude);
    BOOST_CHECK(first->group == group);
    BOOST_CHECK_EQUAL(first->length, 8u);
    const auto second = wire::igmp_group_record::parse(std::span<const std::byte>(message).subspan(16));
    BOOST_REQUIRE(second.ok());
    BOOST_CHECK(second->group == ipv4_address::from_octets(239, 9, 9, 9));
}

BOOST_AUTO_TEST_CASE(a_v2_report_and_leave_emit_with_their_checksum) {
    std::array<std::byte, 8> report;
    wire::emit_igmp_v2_message(report, wire::igmp_type_v2_membership_report, 0, group);
    // Sum of 0x1600 + 0xef01 + 0x0203 = 0x10704, folded 0x0705: checksum 0xf8fa.
    BOOST_CHECK_EQUAL(wire::load_be16(report, 2), 0xf8fa);
    const auto parsed = wire::igmp_message::parse(report);
    BOOST_REQUIRE(parsed.ok());
    BOOST_CHECK(parsed->group == group);
    std::array<std::byte, 8> leave;
    wire::emit_igmp_v2_message(leave, wire::igmp_type_v2_leave_group, 0, group);
    BOOST_CHECK(wire::igmp_message::parse(leave).ok());
}

BOOST_AUTO_TEST_CASE(every_refusal_has_its_reason) {
    BOOST_CHECK((wire::igmp_message::parse(bytes({0x11, 0, 0, 0, 0, 0, 0})).error() == drop_reason::igmp_truncated));
    auto broken = summed(bytes({0x16, 0, 0, 0, 239, 1, 2, 3}));
    broken[7] ^= std::byte{1};
    BOOST_CHECK((wire::igmp_message::parse(broken).error() == drop_reason::igmp_bad_checksum));
    BOOST_CHECK((wire::igmp_message::parse(summed(bytes({0x11, 10, 0, 0, 0, 0, 0, 0, 0, 0}))).error() ==
                 drop_reason::igmp_bad_length));
    // A version 3 query that says it lists two sources and carries one.
    BOOST_CHECK((wire::igmp_message::parse(summed(bytes({0x11, 10, 0, 0, 0, 0, 0, 0, 2, 125, 0, 2, 1, 2, 3, 4})))
                     .error() == drop_reason::igmp_truncated));
    // A report of two records that carries one; and a record whose sources run past the end.
    BOOST_CHECK((wire::igmp_message::parse(summed(bytes({0x22, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0, 239, 1, 2, 3})))
                     .error() == drop_reason::igmp_truncated));
    BOOST_CHECK((wire::igmp_message::parse(summed(bytes({0x22, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 1, 239, 1, 2, 3})))
                     .error() == drop_reason::igmp_truncated));
}

BOOST_AUTO_TEST_CASE(groups_map_to_their_ethernet_address) {
    BOOST_CHECK((wire::multicast_mac(group) == wire::ethernet_address{{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}}));
    // The 24th bit from the end is dropped: 239.129.2.3 shares the address.
    BOOST_CHECK(wire::multicast_mac(ipv4_address::from_octets(239, 129, 2, 3)) == wire::multicast_mac(group));
    BOOST_CHECK(wire::is_ipv4_multicast_mac(wire::multicast_mac(wire::igmp_v3_routers)));
    BOOST_CHECK(!wire::is_ipv4_multicast_mac(wire::ethernet_address{{0x33, 0x33, 0, 0, 0, 1}}));
    BOOST_CHECK(wire::is_local_control_group(wire::igmp_all_hosts));
    BOOST_CHECK(wire::is_local_control_group(ipv4_address::from_octets(224, 0, 0, 251)));
    BOOST_CHECK(!wire::is_local_control_group(ipv4_address::from_octets(224, 0, 1, 1)));
}

BOOST_AUTO_TEST_CASE(router_alert_emits_in_a_24_byte_header_that_parses) {
    wire::ipv4_header header;
    header.total_length = 24 + 8;
    header.ttl = 1;
    header.protocol = wire::ip_protocol_igmp;
    header.source = ipv4_address::from_octets(198, 18, 0, 1);
    header.destination = wire::igmp_v3_routers;
    std::array<std::byte, 32> datagram{};
    header.emit(datagram, std::span<const std::byte>(wire::ipv4_router_alert));
    BOOST_CHECK(datagram[20] == std::byte{0x94});
    BOOST_CHECK(datagram[21] == std::byte{0x04});
    const auto parsed = wire::ipv4_header::parse(datagram);
    BOOST_REQUIRE(parsed.ok());
    BOOST_CHECK_EQUAL(parsed->header_length, 24u);
    BOOST_CHECK_EQUAL(parsed->ttl, 1);
    BOOST_CHECK(wire::has_ipv4_router_alert(std::span<const std::byte>(datagram).first(24)));
    BOOST_CHECK(!wire::find_malformed_ipv4_option(std::span<const std::byte>(datagram).first(24)));
    std::array<std::byte, 20> plain{};
    header.emit(plain);
    BOOST_CHECK(!wire::has_ipv4_router_alert(plain));
}

BOOST_AUTO_TEST_SUITE_END()
