// The stack's seams between two simulated hosts: a protocol attached to IPv4 by its number
// (no other layer edited) gets its datagrams, sends through the IPv4 output interface and
// receives the ICMP errors that quote what it sent; an IPv4 option list that cannot be
// read is dropped, counted and answered with a rate-limited parameter problem pointing at
// the option (RFC 792, as Linux does).
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sluice/net/l4_protocol.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/icmp.hh"
#include "sluice/net/wire/ipv4.hh"
#include "tests/sim/stack_support.hh"

using namespace sluice;
using namespace sluice::testing;
using net::wire::drop_reason;

namespace {

constexpr std::uint8_t experimental_protocol = 253;  // RFC 3692

// A protocol of the test's own: keeps what IPv4 and ICMP hand it.
struct recording_protocol : net::l4_protocol {
    std::vector<std::vector<std::byte>> received;
    std::vector<net::icmp_error> errors;
    std::vector<std::byte> last_quoted_payload;
    void receive(const net::wire::ipv4_header& header, net::packet&& payload, clock::time_point) override {
        BOOST_CHECK_EQUAL(header.protocol, experimental_protocol);
        std::vector<std::byte> bytes(payload.length());
        payload.copy_out(0, bytes);
        received.push_back(std::move(bytes));
    }
    void receive_icmp_error(const net::icmp_error& error, clock::time_point) override {
        errors.push_back(error);
        last_quoted_payload.assign(error.quoted_payload.begin(), error.quoted_payload.end());
    }
};

// An IPv4 frame from A to B with `options` after the fixed header (a multiple of 4 bytes).
std::vector<std::byte> frame_with_options(std::vector<std::uint8_t> options) {
    namespace wire = net::wire;
    const std::size_t header_length = 20 + options.size();
    std::vector<std::byte> frame(14 + header_length + 8, std::byte{0x5a});
    wire::ethernet_header ethernet{mac_of(2), mac_of(1), std::nullopt, wire::ethertype_ipv4};
    ethernet.emit(frame);
    wire::ipv4_header ip;
    ip.total_length = std::uint16_t(header_length + 8);
    ip.protocol = wire::ip_protocol_udp;
    ip.source = address("198.18.0.1");
    ip.destination = address("198.18.0.2");
    ip.emit(std::span<std::byte>(frame).subspan(14));
    frame[14] = std::byte(0x40 | header_length / 4);
    for (std::size_t i = 0; i < options.size(); ++i) frame[14 + 20 + i] = std::byte(options[i]);
    wire::store_be16(frame, 14 + 10, 0);
    wire::store_be16(frame, 14 + 10,
                     wire::internet_checksum::of(std::span<const std::byte>(frame).subspan(14, header_length)));
    return frame;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol_seams)

BOOST_AUTO_TEST_CASE(a_protocol_attached_by_number_gets_its_datagrams_and_the_icmp_errors_quoting_them) {
    two_hosts hosts;
    recording_protocol at_a;
    BOOST_REQUIRE(hosts.a->ipv4_layer().attach(experimental_protocol, at_a));
    BOOST_CHECK(!hosts.a->ipv4_layer().attach(experimental_protocol, at_a));  // one protocol per number

    // B has no protocol 253: A's segment comes back as protocol unreachable, to A's protocol.
    const auto segment_bytes = pattern(40, 9);
    auto segment = packet_of(segment_bytes);
    net::ipv4_output& out = hosts.a->ipv4_layer();
    BOOST_CHECK((out.send(address("198.18.0.2"), experimental_protocol, std::move(segment),
                          net::l4_checksum_offload::none, hosts.now()) == net::send_status::sent));
    hosts.run_for(std::chrono::milliseconds(50));
    BOOST_CHECK_EQUAL(hosts.b->counters().icmp_unreachable_sent, 1u);
    BOOST_REQUIRE_EQUAL(at_a.errors.size(), 1u);
    const net::icmp_error& error = at_a.errors.front();
    BOOST_CHECK(error.reporter == address("198.18.0.2"));
    BOOST_CHECK_EQUAL(error.type, net::wire::icmp_type_destination_unreachable);
    BOOST_CHECK_EQUAL(error.code, net::wire::icmp_code_protocol_unreachable);
    BOOST_CHECK(error.quoted_header.destination == address("198.18.0.2"));
    BOOST_CHECK_EQUAL(error.quoted_header.protocol, experimental_protocol);
    BOOST_REQUIRE_GE(at_a.last_quoted_payload.size(), 8u);
    BOOST_CHECK(std::equal(at_a.last_quoted_payload.begin(), at_a.last_quoted_payload.begin() + 8,
                           segment_bytes.begin()));
    BOOST_CHECK_EQUAL(hosts.a->counters().icmp_errors_received, 1u);

    // The other way: B sends protocol 253 to A, and A's protocol receives it.
    auto back = packet_of(segment_bytes);
    BOOST_CHECK((hosts.b->ipv4_layer().send(address("198.18.0.1"), experimental_protocol, std::move(back),
                                            net::l4_checksum_offload::none, hosts.now()) == net::send_status::sent));
    hosts.run_for(std::chrono::milliseconds(50));
    BOOST_REQUIRE_EQUAL(at_a.received.size(), 1u);
    BOOST_CHECK(at_a.received.front() == segment_bytes);

    // Detached, the number is unreachable again.
    hosts.a->ipv4_layer().detach(experimental_protocol);
    auto again = packet_of(segment_bytes);
    (void)hosts.b->ipv4_layer().send(address("198.18.0.1"), experimental_protocol, std::move(again),
                                     net::l4_checksum_offload::none, hosts.now());
    hosts.run_for(std::chrono::milliseconds(50));
    BOOST_CHECK_EQUAL(at_a.received.size(), 1u);
    BOOST_CHECK_EQUAL(hosts.a->counters().dropped[drop_reason::ipv4_protocol_unsupported], 1u);
}

BOOST_AUTO_TEST_CASE(an_icmp_error_quoting_a_datagram_we_did_not_send_is_counted_and_dropped) {
    two_hosts hosts;
    recording_protocol at_b;
    BOOST_REQUIRE(hosts.b->ipv4_layer().attach(experimental_protocol, at_b));
    namespace wire = net::wire;
    // A tells B "protocol unreachable" about a datagram whose source is A itself.
    std::vector<std::byte> l4(8 + 20 + 8);
    wire::icmp_header icmp;
    icmp.type = wire::icmp_type_destination_unreachable;
    icmp.code = wire::icmp_code_protocol_unreachable;
    icmp.emit(l4);
    wire::ipv4_header quoted;
    quoted.protocol = experimental_protocol;
    quoted.source = address("198.18.0.1");
    quoted.destination = address("198.18.0.3");
    quoted.total_length = 20 + 8;
    quoted.emit(std::span<std::byte>(l4).subspan(8));
    wire::store_be16(l4, 2, wire::internet_checksum::of(l4));
    std::vector<std::byte> frame(14 + 20);
    wire::ethernet_header ethernet{mac_of(2), mac_of(1), std::nullopt, wire::ethertype_ipv4};
    ethernet.emit(frame);
    wire::ipv4_header ip;
    ip.total_length = std::uint16_t(20 + l4.size());
    ip.protocol = wire::ip_protocol_icmp;
    ip.source = address("198.18.0.1");
    ip.destination = address("198.18.0.2");
    ip.emit(std::span<std::byte>(frame).subspan(14));
    frame.insert(frame.end(), l4.begin(), l4.end());
    hosts.b->handle_frame(packet_of(frame), hosts.now());
    BOOST_CHECK(at_b.errors.empty());
    BOOST_CHECK_EQUAL(hosts.b->counters().dropped[drop_reason::icmp_error_unmatched], 1u);
}

BOOST_AUTO_TEST_CASE(unreadable_ipv4_options_are_dropped_and_answered_with_parameter_problem) {
    two_hosts hosts;
    collecting_receiver at_b;
    BOOST_REQUIRE(hosts.b->bind_udp(7, at_b));
    hosts.b->learn_neighbour(address("198.18.0.1"), mac_of(1), hosts.now());
    // A NOP, then router alert (148) with length 0: the list cannot be read past octet 21.
    hosts.b->handle_frame(packet_of(frame_with_options({1, 148, 0, 0})), hosts.now());
    const auto replies = deliver_b_to_a(hosts);
    BOOST_CHECK(at_b.got.empty());
    BOOST_CHECK_EQUAL(hosts.b->counters().dropped[drop_reason::ipv4_bad_option], 1u);
    BOOST_REQUIRE_EQUAL(replies.size(), 1u);
    const std::span<const std::byte> reply(replies.front());
    const auto ip = net::wire::ipv4_header::parse(reply.subspan(14));
    BOOST_REQUIRE(ip);
    const auto icmp = net::wire::icmp_header::parse(reply.subspan(34, ip->payload_length()));
    BOOST_REQUIRE(icmp);
    BOOST_CHECK_EQUAL(icmp->type, net::wire::icmp_type_parameter_problem);
    BOOST_CHECK_EQUAL(icmp->code, 0);
    BOOST_CHECK_EQUAL(icmp->rest >> 24, 21u);  // the pointer: the bad option's type octet
    // It quotes the header as it came, options included (24 bytes), then 8 bytes of data.
    BOOST_CHECK_EQUAL(ip->payload_length(), 8u + 24u + 8u);
    BOOST_CHECK_EQUAL(std::to_integer<int>(reply[42]), 0x46);
    BOOST_CHECK_EQUAL(std::to_integer<int>(reply[42 + 21]), 148);
    BOOST_CHECK_EQUAL(hosts.b->counters().icmp_parameter_problems_sent, 1u);

    // Length 1 and a length past the header are refused alike; a readable list is not.
    hosts.b->handle_frame(packet_of(frame_with_options({148, 1, 0, 0})), hosts.now());
    hosts.b->handle_frame(packet_of(frame_with_options({1, 1, 148, 6})), hosts.now());
    BOOST_CHECK_EQUAL(hosts.b->counters().dropped[drop_reason::ipv4_bad_option], 3u);
    (void)deliver_b_to_a(hosts);
    // The answers share ICMP's rate limit: a flood gets at most the burst.
    for (int i = 0; i < 100; ++i) hosts.b->handle_frame(packet_of(frame_with_options({148, 0, 0, 0})), hosts.now());
    const auto flood = deliver_b_to_a(hosts);
    BOOST_CHECK_LE(flood.size(), std::size_t(hosts.limits.icmp_error_burst));
    BOOST_CHECK_GT(hosts.b->counters().icmp_rate_limited, 0u);
}

BOOST_AUTO_TEST_SUITE_END()
