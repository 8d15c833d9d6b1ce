// The IPv4 stack between two simulated hosts, in virtual time: ARP resolution (also under
// loss, and giving up), UDP delivery and fragmentation with reassembly under loss,
// duplication and reordering, ICMP echo, rate-limited port and protocol unreachable, and
// hostile frames counted by reason and dropped with every mbuf back in the pool.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "sluice/net/wire/arp.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ethernet.hh"
#include "sluice/net/wire/icmp.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/udp.hh"
#include "tests/sim/stack_support.hh"

using namespace sluice;
using namespace sluice::testing;
using namespace std::chrono_literals;
using net::wire::drop_reason;

BOOST_AUTO_TEST_SUITE(sim_stack)

BOOST_AUTO_TEST_CASE(resolves_by_arp_then_delivers_a_udp_datagram) {
    two_hosts hosts;
    collecting_receiver at_b;
    BOOST_REQUIRE(hosts.b->bind_udp(7, at_b));
    const auto payload = pattern(100, 1);
    BOOST_CHECK(hosts.a->send_udp(4000, address("198.18.0.2"), 7, payload, hosts.now()) == net::send_status::sent);
    hosts.run_for(10ms);
    BOOST_REQUIRE_EQUAL(at_b.got.size(), 1u);
    BOOST_CHECK(at_b.got[0].payload == payload);
    BOOST_CHECK(at_b.got[0].source == address("198.18.0.1"));
    BOOST_CHECK_EQUAL(at_b.got[0].source_port, 4000);
    BOOST_CHECK_EQUAL(hosts.a->counters().arp_requests_sent, 1u);
    BOOST_CHECK_EQUAL(hosts.b->counters().arp_requests_answered, 1u);
    // B learned A from the request (RFC 826 merge): its answer needs no request of its own.
    BOOST_CHECK(hosts.b->send_udp(7, address("198.18.0.1"), 4000, payload, hosts.now()) == net::send_status::sent);
    hosts.run_for(10ms);
    BOOST_CHECK_EQUAL(hosts.b->counters().arp_requests_sent, 0u);
}

BOOST_AUTO_TEST_CASE(arp_retries_until_answered_on_a_lossy_link) {
    sim::link_profile lossy;
    lossy.loss = 0.5;
    net::stack_limits limits;
    limits.arp.max_requests = 20;
    two_hosts hosts(lossy, 11, limits);
    collecting_receiver at_b;
    BOOST_REQUIRE(hosts.b->bind_udp(7, at_b));
    const auto payload = pattern(64, 2);
    for (int i = 0; i < 5; ++i) (void)hosts.a->send_udp(4000, address("198.18.0.2"), 7, payload, hosts.now());
    hosts.run_for(20s);
    BOOST_CHECK_GT(hosts.a->counters().arp_requests_sent, 1u);  // this seed loses the first exchange
    BOOST_CHECK_EQUAL(hosts.a->neighbours().counters().unresolved, 0u);
    // The five waited for the answer; the link may still lose some of them afterwards.
    BOOST_CHECK_EQUAL(hosts.a->neighbours().counters().held, 5u);
    BOOST_CHECK_GE(at_b.got.size() + hosts.port_a->faults().dropped_loss, 5u);
    BOOST_CHECK_GT(at_b.got.size(), 0u);
}

BOOST_AUTO_TEST_CASE(gives_up_on_an_address_nobody_answers_and_frees_the_waiting_packets) {
    two_hosts hosts;
    const auto payload = pattern(64, 3);
    for (int i = 0; i < 3; ++i) (void)hosts.a->send_udp(4000, address("198.18.0.9"), 7, payload, hosts.now());
    hosts.run_for(10s);
    const auto& arp = hosts.a->neighbours().counters();
    BOOST_CHECK_EQUAL(arp.unresolved, 1u);
    BOOST_CHECK_EQUAL(arp.dropped_waiting, 3u);
    BOOST_CHECK_EQUAL(hosts.a->counters().arp_requests_sent, hosts.limits.arp.max_requests);
    BOOST_CHECK_EQUAL(hosts.a->neighbours().waiting(), 0u);
}

BOOST_AUTO_TEST_CASE(bounds_the_packets_waiting_for_an_answer) {
    two_hosts hosts;
    const auto payload = pattern(64, 4);
    std::size_t refused = 0;
    for (int i = 0; i < 100; ++i) {
        refused += hosts.a->send_udp(4000, address("198.18.0.9"), 7, payload, hosts.now()) ==
                   net::send_status::queue_full;
    }
    BOOST_CHECK_EQUAL(hosts.a->neighbours().waiting(), hosts.limits.arp.max_waiting_per_address);
    BOOST_CHECK_EQUAL(refused, 100 - hosts.limits.arp.max_waiting_per_address);
}

BOOST_AUTO_TEST_CASE(fragments_large_datagrams_and_reassembles_them_under_loss_duplication_and_reordering) {
    sim::link_profile rough;
    rough.loss = 0.03;
    rough.duplicate = 0.1;
    rough.reorder = 0.3;
    rough.jitter = 20us;
    two_hosts hosts(rough, 5);
    hosts.b->learn_neighbour(address("198.18.0.1"), mac_of(1), hosts.now());
    hosts.a->learn_neighbour(address("198.18.0.2"), mac_of(2), hosts.now());
    collecting_receiver at_b;
    BOOST_REQUIRE(hosts.b->bind_udp(7, at_b));
    std::map<std::size_t, std::vector<std::byte>> sent;  // by size: each datagram's size is unique
    for (unsigned i = 0; i < 60; ++i) {
        const std::size_t size = 1500 + i * 97;  // 1 to 5 fragments at MTU 1500
        sent[size] = pattern(size, i);
        BOOST_REQUIRE(hosts.a->send_udp(4000, address("198.18.0.2"), 7, sent[size], hosts.now()) ==
                      net::send_status::sent);
        hosts.run_for(1ms);
    }
    hosts.run_for(100ms);
    BOOST_CHECK_GT(hosts.a->counters().fragments_sent, 120u);
    BOOST_CHECK_GT(at_b.got.size(), 30u);  // most arrive whole
    BOOST_CHECK_LT(at_b.got.size(), 60u);  // 3 % loss of ~180 fragments leaves some incomplete
    for (const auto& got : at_b.got) {
        const auto original = sent.find(got.payload.size());
        BOOST_REQUIRE(original != sent.end());
        BOOST_CHECK(got.payload == original->second);
    }
    // The incomplete ones time out and give their mbufs back.
    BOOST_CHECK_GT(hosts.b->reassembly().datagrams_held(), 0u);
    hosts.run_for(31s);
    BOOST_CHECK_EQUAL(hosts.b->reassembly().datagrams_held(), 0u);
    BOOST_CHECK_EQUAL(hosts.b->reassembly().bytes_held(), 0u);
    BOOST_CHECK_GT(hosts.b->reassembly().counters().timed_out, 0u);
}

BOOST_AUTO_TEST_CASE(answers_an_echo_request_with_the_same_identifier_sequence_and_data) {
    two_hosts hosts;
    hosts.b->learn_neighbour(address("198.18.0.1"), mac_of(1), hosts.now());
    namespace wire = net::wire;
    const auto data = pattern(56, 9);
    std::vector<std::byte> frame(14 + 20 + 8 + data.size());
    wire::ethernet_header{mac_of(2), mac_of(1), std::nullopt, wire::ethertype_ipv4}.emit(frame);
    wire::ipv4_header ip;
    ip.total_length = std::uint16_t(frame.size() - 14);
    ip.protocol = wire::ip_protocol_icmp;
    ip.source = address("198.18.0.1");
    ip.destination = address("198.18.0.2");
    ip.emit(std::span<std::byte>(frame).subspan(14));
    auto message = std::span<std::byte>(frame).subspan(34);
    wire::icmp_header echo{wire::icmp_type_echo_request, 0, 0, 0x1234u << 16 | 7};
    echo.emit(message);
    std::copy(data.begin(), data.end(), message.begin() + 8);
    wire::store_be16(message, 2, wire::internet_checksum::of(message));
    hosts.b->handle_frame(packet_of(frame), hosts.now());

    const auto replies = deliver_b_to_a(hosts);
    BOOST_REQUIRE_EQUAL(replies.size(), 1u);
    const std::span<const std::byte> reply(replies[0]);
    const auto reply_ip = wire::ipv4_header::parse(reply.subspan(14));
    BOOST_REQUIRE(reply_ip);
    BOOST_CHECK(reply_ip->destination == address("198.18.0.1"));
    const auto reply_message = reply.subspan(14 + 20, reply_ip->payload_length());
    const auto reply_icmp = wire::icmp_header::parse(reply_message);
    BOOST_REQUIRE(reply_icmp);  // its checksum verifies
    BOOST_CHECK_EQUAL(reply_icmp->type, wire::icmp_type_echo_reply);
    BOOST_CHECK_EQUAL(reply_icmp->identifier(), 0x1234);
    BOOST_CHECK_EQUAL(reply_icmp->sequence(), 7);
    BOOST_CHECK(std::equal(data.begin(), data.end(), reply_message.begin() + 8));
    BOOST_CHECK_EQUAL(hosts.b->counters().icmp_echo_replies, 1u);
}

BOOST_AUTO_TEST_CASE(closed_port_gets_port_unreachable_at_a_limited_rate) {
    two_hosts hosts;
    hosts.b->learn_neighbour(address("198.18.0.1"), mac_of(1), hosts.now());
    const auto payload = pattern(20, 5);
    for (int i = 0; i < 100; ++i) hosts.b->handle_frame(packet_of(udp_frame(9, payload)), hosts.now());
    const auto replies = deliver_b_to_a(hosts);
    BOOST_CHECK_EQUAL(replies.size(), hosts.limits.icmp_error_burst);
    BOOST_CHECK_EQUAL(hosts.b->counters().icmp_rate_limited, 100 - hosts.limits.icmp_error_burst);
    BOOST_CHECK_EQUAL(hosts.b->counters().dropped[drop_reason::udp_port_unreachable], 100u);
    namespace wire = net::wire;
    const std::span<const std::byte> reply(replies.front());
    const auto ip = wire::ipv4_header::parse(reply.subspan(14));
    BOOST_REQUIRE(ip);
    const auto icmp = wire::icmp_header::parse(reply.subspan(34, ip->payload_length()));
    BOOST_REQUIRE(icmp);
    BOOST_CHECK_EQUAL(icmp->type, wire::icmp_type_destination_unreachable);
    BOOST_CHECK_EQUAL(icmp->code, wire::icmp_code_port_unreachable);
    // It quotes the offending datagram: its IP header, then the UDP ports.
    const auto quoted = wire::ipv4_header::parse(reply.subspan(42), false);
    BOOST_REQUIRE(!quoted || quoted->protocol == wire::ip_protocol_udp);
    BOOST_CHECK_EQUAL(wire::load_be16(reply, 42 + 20 + 2), 9);
    // A second later the bucket has refilled.
    hosts.wire->advance_by(1s);
    for (int i = 0; i < 10; ++i) hosts.b->handle_frame(packet_of(udp_frame(9, payload)), hosts.now());
    BOOST_CHECK_EQUAL(deliver_b_to_a(hosts).size(), 10u);
}

BOOST_AUTO_TEST_CASE(unknown_ip_protocol_gets_protocol_unreachable_quoting_the_datagram) {
    namespace wire = net::wire;
    two_hosts hosts;
    hosts.b->learn_neighbour(address("198.18.0.1"), mac_of(1), hosts.now());
    // A UDP frame relabelled as protocol 253 (RFC 3692 experimental), IP checksum redone.
    auto frame = udp_frame(7, pattern(12, 3));
    frame[14 + 9] = std::byte{253};
    wire::store_be16(frame, 14 + 10, 0);
    wire::store_be16(frame, 14 + 10, wire::internet_checksum::of(std::span<const std::byte>(frame).subspan(14, 20)));
    hosts.b->handle_frame(packet_of(frame), hosts.now());
    const auto replies = deliver_b_to_a(hosts);
    BOOST_CHECK_EQUAL(hosts.b->counters().dropped[drop_reason::ipv4_protocol_unsupported], 1u);
    BOOST_REQUIRE_EQUAL(replies.size(), 1u);
    const std::span<const std::byte> reply(replies.front());
    const auto ip = wire::ipv4_header::parse(reply.subspan(14));
    BOOST_REQUIRE(ip);
    BOOST_CHECK(ip->destination == address("198.18.0.1"));
    const auto icmp = wire::icmp_header::parse(reply.subspan(34, ip->payload_length()));
    BOOST_REQUIRE(icmp);  // its checksum verifies
    BOOST_CHECK_EQUAL(icmp->type, wire::icmp_type_destination_unreachable);
    BOOST_CHECK_EQUAL(icmp->code, wire::icmp_code_protocol_unreachable);
    // The quoted header names the protocol that was refused, then 8 bytes of its data.
    BOOST_CHECK_EQUAL(std::to_integer<int>(reply[42 + 9]), 253);
    BOOST_CHECK_EQUAL(ip->payload_length(), 8u + 20u + 8u);
    BOOST_CHECK_EQUAL(hosts.b->counters().icmp_unreachable_sent, 1u);
}

BOOST_AUTO_TEST_CASE(hostile_frames_are_counted_by_reason_and_dropped_without_leaks) {
    two_hosts hosts;
    collecting_receiver at_b;
    BOOST_REQUIRE(hosts.b->bind_udp(7, at_b));
    const auto payload = pattern(40, 6);
    const auto good = udp_frame(7, payload);
    auto feed = [&](std::vector<std::byte> frame) { hosts.b->handle_frame(packet_of(frame), hosts.now()); };

    feed(udp_frame(7, payload, true));  // bad UDP checksum
    auto bad_ip_checksum = good;
    bad_ip_checksum[14 + 10] ^= std::byte{1};
    feed(bad_ip_checksum);
    auto bad_ihl = good;
    bad_ihl[14] = std::byte{0x44};
    feed(bad_ihl);
    auto bad_version = good;
    bad_version[14] = std::byte{0x65};
    feed(bad_version);
    for (std::size_t cut = 0; cut < good.size(); ++cut) {
        feed(std::vector<std::byte>(good.begin(), good.begin() + std::ptrdiff_t(cut)));
    }
    auto long_udp_length = good;
    net::wire::store_be16(long_udp_length, 34 + 4, 2000);
    feed(long_udp_length);
    auto other_host = good;
    net::wire::store_be32(other_host, 14 + 16, address("198.18.0.9").value);
    net::wire::store_be16(other_host, 14 + 10, 0);
    net::wire::store_be16(other_host, 14 + 10,
                          net::wire::internet_checksum::of(std::span<const std::byte>(other_host).subspan(14, 20)));
    feed(other_host);

    const auto& dropped = hosts.b->counters().dropped;
    BOOST_CHECK_EQUAL(dropped[drop_reason::udp_bad_checksum], 1u);
    BOOST_CHECK_GE(dropped[drop_reason::ipv4_bad_checksum], 1u);
    BOOST_CHECK_EQUAL(dropped[drop_reason::ipv4_bad_header_length], 1u);
    BOOST_CHECK_EQUAL(dropped[drop_reason::ipv4_bad_version], 1u);
    BOOST_CHECK_EQUAL(dropped[drop_reason::ethernet_truncated], 14u);
    BOOST_CHECK_GE(dropped[drop_reason::ipv4_truncated], 20u);
    BOOST_CHECK_GE(dropped[drop_reason::udp_truncated], 1u);
    BOOST_CHECK_GE(dropped[drop_reason::ipv4_not_for_us], 1u);
    BOOST_CHECK(at_b.got.empty());
    // Still working afterwards.
    feed(good);
    BOOST_REQUIRE_EQUAL(at_b.got.size(), 1u);
    BOOST_CHECK(at_b.got[0].payload == payload);

    // Random garbage after a valid Ethernet header: no crash, nothing held, nothing delivered
    // but what parses as a whole datagram.
    std::mt19937 random(1);
    for (int i = 0; i < 20000; ++i) {
        auto frame = good;
        const int flips = 1 + int(random() % 4);
        for (int f = 0; f < flips; ++f) frame[14 + random() % (frame.size() - 14)] = std::byte(random() & 0xff);
        frame.resize(14 + random() % (frame.size() - 13));
        feed(frame);
    }
    (void)net::transmit_burst(*hosts.b, *hosts.port_b, 0);  // port unreachable replies go out and are freed with the wire
    BOOST_CHECK_LE(hosts.b->reassembly().bytes_held(), hosts.limits.reassembly.max_bytes);
}

BOOST_AUTO_TEST_SUITE_END()
