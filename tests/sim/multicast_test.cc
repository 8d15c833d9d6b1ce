// Multicast receive on a simulated host (RFC 1112, RFC 2236, RFC 3376): a join sends
// IGMPv3 state-change reports (TTL 1, Router Alert, to 224.0.0.22, checksum right),
// robustness times; general and group-specific queries are answered within their max
// response time, never for 224.0.0.1; a version 2 query switches the host to version 2
// reports and leaves until the older querier times out; the last user's leave says so;
// a group's datagram reaches every member socket on its port, each with its own view,
// and crosses the wire from a sender to a member; datagrams to groups not joined and
// IGMP with a bad checksum or length are counted and dropped.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <cstddef>
#include <memory>
#include <vector>

#include "sluice/net/udp_socket.hh"
#include "sluice/net/wire/igmp.hh"
#include "tests/sim/multicast_support.hh"

using namespace sluice;
using namespace sluice::testing;
using namespace std::chrono_literals;
using net::wire::drop_reason;
namespace wire = net::wire;

namespace {

const wire::ipv4_address group = address("239.1.2.3");
const wire::ipv4_address other_group = address("239.4.5.6");

// Host A's stack alone, driven by hand in virtual time: frames in, housekeeping every
// period, what it queued for the device read back.
struct igmp_host {
    two_hosts hosts;
    clock::time_point now = at(sim::nanoseconds(0));
    net::stack& a() { return *hosts.a; }
    void receive(const std::vector<std::byte>& frame) { a().handle_frame(packet_of(frame), now); }
    // Housekeeping every period until `duration` passed; the IGMP messages A sent, with when.
    std::vector<std::pair<clock::time_point, sent_igmp>> run_for(clock::duration duration) {
        std::vector<std::pair<clock::time_point, sent_igmp>> out;
        for (auto& each : igmp_among(sent_by(a()))) out.emplace_back(now, std::move(each));
        const clock::time_point end = now + duration;
        while (now < end) {
            now += hosts.limits.housekeeping_period;
            a().housekeeping(now);
            for (auto& each : igmp_among(sent_by(a()))) out.emplace_back(now, std::move(each));
        }
        return out;
    }
};

void check_v3_report_shape(const sent_igmp& sent) {
    BOOST_CHECK(sent.ip.destination == wire::igmp_v3_routers);
    BOOST_CHECK(sent.ethernet.destination == wire::multicast_mac(wire::igmp_v3_routers));
    BOOST_CHECK_EQUAL(sent.ip.ttl, 1);
    BOOST_CHECK(sent.router_alert);
    BOOST_CHECK_EQUAL(sent.ip.header_length, 24u);
    BOOST_CHECK(sent.ip.source == address("198.18.0.1"));
    BOOST_CHECK_EQUAL(sent.message.type, wire::igmp_type_v3_membership_report);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(multicast)

BOOST_AUTO_TEST_CASE(join_sends_v3_change_to_exclude_reports_robustness_times) {
    igmp_host host;
    host.a().join_group(group, host.now);
    const auto sent = host.run_for(2s);
    BOOST_REQUIRE_EQUAL(sent.size(), 2u);  // robustness 2 (RFC 3376 8.1)
    BOOST_CHECK(sent[0].first == at(sim::nanoseconds(0)));  // the first at once
    BOOST_CHECK(sent[1].first - sent[0].first <= 1s + host.hosts.limits.housekeeping_period);  // RFC 3376 8.11
    for (const auto& [when, report] : sent) {
        check_v3_report_shape(report);
        BOOST_REQUIRE_EQUAL(report.records.size(), 1u);
        BOOST_CHECK_EQUAL(report.records[0].type, wire::igmp_record_change_to_exclude);
        BOOST_CHECK(report.records[0].group == group);
        BOOST_CHECK_EQUAL(report.records[0].source_count, 0u);
    }
    BOOST_CHECK_EQUAL(host.a().counters().igmp_reports_sent, 2u);
    // A second user joins the interface's membership: nothing new to say.
    host.a().join_group(group, host.now);
    BOOST_CHECK(host.run_for(2s).empty());
    BOOST_CHECK_EQUAL(host.a().groups().users(group), 2u);
}

BOOST_AUTO_TEST_CASE(general_query_is_answered_within_max_response_time_and_never_for_all_hosts) {
    igmp_host host;
    host.a().join_group(group, host.now);
    host.a().join_group(other_group, host.now);
    host.a().join_group(wire::igmp_all_hosts, host.now);  // every host's: never reported
    (void)host.run_for(2s);
    for (unsigned round = 0; round < 5; ++round) {
        const clock::time_point asked = host.now;
        host.receive(v3_query_from_b(wire::ipv4_address{}, 20));  // 2 s
        const auto sent = host.run_for(3s);
        BOOST_REQUIRE_EQUAL(sent.size(), 1u);
        BOOST_CHECK(sent[0].first - asked <= 2s);
        check_v3_report_shape(sent[0].second);
        const auto& records = sent[0].second.records;
        BOOST_REQUIRE_EQUAL(records.size(), 2u);
        for (const auto& record : records) {
            BOOST_CHECK_EQUAL(record.type, wire::igmp_record_mode_is_exclude);
            BOOST_CHECK(record.group != wire::igmp_all_hosts);
            BOOST_CHECK((record.group == group || record.group == other_group));
        }
    }
    BOOST_CHECK_EQUAL(host.a().counters().igmp_queries_received, 5u);
}

BOOST_AUTO_TEST_CASE(group_specific_query_is_answered_for_that_group_only) {
    igmp_host host;
    host.a().join_group(group, host.now);
    host.a().join_group(other_group, host.now);
    (void)host.run_for(2s);
    const clock::time_point asked = host.now;
    host.receive(v3_query_from_b(group, 10));  // 1 s, to the group itself
    auto sent = host.run_for(2s);
    BOOST_REQUIRE_EQUAL(sent.size(), 1u);
    BOOST_CHECK(sent[0].first - asked <= 1s);
    BOOST_REQUIRE_EQUAL(sent[0].second.records.size(), 1u);
    BOOST_CHECK(sent[0].second.records[0].group == group);
    BOOST_CHECK_EQUAL(sent[0].second.records[0].type, wire::igmp_record_mode_is_exclude);
    // A query about a group A never joined is not A's to answer (nor, at the IP layer, to take).
    host.receive(v3_query_from_b(address("239.7.7.7"), 10));
    BOOST_CHECK(host.run_for(2s).empty());
    BOOST_CHECK_EQUAL(host.a().counters().dropped[drop_reason::ethernet_group_not_joined], 1u);
}

BOOST_AUTO_TEST_CASE(a_v2_query_switches_to_v2_reports_and_leaves_until_the_older_querier_times_out) {
    igmp_host host;
    host.a().join_group(group, host.now);
    (void)host.run_for(2s);
    BOOST_CHECK_EQUAL(host.a().igmp_layer().version(host.now), 3u);
    const clock::time_point asked = host.now;
    host.receive(v2_query_from_b(wire::ipv4_address{}, 50));  // 5 s
    BOOST_CHECK_EQUAL(host.a().igmp_layer().version(host.now), 2u);
    auto sent = host.run_for(6s);
    BOOST_REQUIRE_EQUAL(sent.size(), 1u);
    BOOST_CHECK(sent[0].first - asked <= 5s);
    const sent_igmp& report = sent[0].second;
    BOOST_CHECK_EQUAL(report.message.type, wire::igmp_type_v2_membership_report);
    BOOST_CHECK(report.message.group == group);
    BOOST_CHECK(report.ip.destination == group);  // RFC 2236 2: to the group it reports
    BOOST_CHECK(report.ethernet.destination == wire::multicast_mac(group));
    BOOST_CHECK_EQUAL(report.ip.ttl, 1);
    BOOST_CHECK(report.router_alert);

    host.a().leave_group(group, host.now);
    sent = host.run_for(2s);
    BOOST_REQUIRE_EQUAL(sent.size(), 1u);  // one leave (RFC 2236 3)
    BOOST_CHECK_EQUAL(sent[0].second.message.type, wire::igmp_type_v2_leave_group);
    BOOST_CHECK(sent[0].second.message.group == group);
    BOOST_CHECK(sent[0].second.ip.destination == wire::igmp_all_routers);
    BOOST_CHECK_EQUAL(host.a().counters().igmp_leaves_sent, 1u);

    // RFC 3376 8.12: robustness * query interval + query response interval = 260 s.
    BOOST_CHECK_EQUAL(host.a().igmp_layer().version(asked + 259s), 2u);
    BOOST_CHECK_EQUAL(host.a().igmp_layer().version(asked + 261s), 3u);
}

BOOST_AUTO_TEST_CASE(last_socket_to_close_leaves_the_group_with_a_change_to_include_report) {
    two_hosts hosts;
    auto first = net::udp_socket::bind_shared(*hosts.a, 5000);
    auto second = net::udp_socket::bind_shared(*hosts.a, 5000);
    BOOST_REQUIRE(first);
    BOOST_REQUIRE(second);
    BOOST_REQUIRE((*first)->join(group).ok());
    BOOST_REQUIRE((*second)->join(group).ok());
    BOOST_CHECK(((*second)->join(group).error() == net::socket_error::already_joined));
    BOOST_CHECK_EQUAL(igmp_among(sent_by(*hosts.a)).size(), 1u);  // the interface joined once

    (*first)->close();
    BOOST_CHECK(igmp_among(sent_by(*hosts.a)).empty());  // a member remains
    BOOST_CHECK(hosts.a->groups().joined(group));
    second->reset();  // destroyed: closes, and leaves
    const auto sent = igmp_among(sent_by(*hosts.a));
    BOOST_REQUIRE_EQUAL(sent.size(), 1u);
    check_v3_report_shape(sent[0]);
    BOOST_REQUIRE_EQUAL(sent[0].records.size(), 1u);
    BOOST_CHECK_EQUAL(sent[0].records[0].type, wire::igmp_record_change_to_include);
    BOOST_CHECK(sent[0].records[0].group == group);
    BOOST_CHECK(!hosts.a->groups().joined(group));
    BOOST_CHECK_EQUAL(hosts.a->counters().igmp_leaves_sent, 1u);
}

// The user guide's example ("Multicast"), run as written.
BOOST_AUTO_TEST_CASE(a_socket_joins_and_leaves_a_group_as_the_user_guide_shows) {
    two_hosts hosts;
    net::stack& stack = *hosts.a;
    // snippet: join
    auto socket = net::udp_socket::bind(stack, 30001);  // or bind_shared, to share the port
    const auto group = *net::wire::ipv4_address::parse("239.1.2.3");
    if (auto joined = (*socket)->join(group); !joined) {
        std::printf("%s\n", net::describe(joined.error()).data());  // invalid_group, already_joined
    }
    // ... co_await (*socket)->recv_from() also gets the group's datagrams now ...
    (void)(*socket)->leave(group);  // closing the socket leaves every group it joined
    // end snippet
    BOOST_CHECK_EQUAL(stack.counters().igmp_reports_sent, 1u);
    BOOST_CHECK_EQUAL(stack.counters().igmp_leaves_sent, 1u);
}

BOOST_AUTO_TEST_CASE(a_socket_refuses_groups_it_may_not_join) {
    two_hosts hosts;
    auto socket = net::udp_socket::bind(*hosts.a, 5000);
    BOOST_REQUIRE(socket);
    for (const char* bad : {"198.18.0.9", "224.0.0.1", "224.0.0.251", "255.255.255.255"}) {
        const auto joined = (*socket)->join(address(bad));
        BOOST_REQUIRE_MESSAGE(!joined.ok(), bad);
        BOOST_CHECK((joined.error() == net::socket_error::invalid_group));
    }
    BOOST_CHECK(((*socket)->leave(group).error() == net::socket_error::not_joined));
    BOOST_CHECK(igmp_among(sent_by(*hosts.a)).empty());
    BOOST_CHECK(!net::describe(net::socket_error::invalid_group).empty());
}

BOOST_AUTO_TEST_CASE(two_sockets_on_one_port_and_group_each_get_the_datagram) {
    two_hosts hosts;
    auto first = net::udp_socket::bind_shared(*hosts.a, 5000);
    auto second = net::udp_socket::bind_shared(*hosts.a, 5000);
    auto bystander = net::udp_socket::bind_shared(*hosts.a, 5000);  // on the port, not in the group
    BOOST_REQUIRE(first && second && bystander);
    BOOST_CHECK(!net::udp_socket::bind(*hosts.a, 5000));  // a port shared is not an exclusive one
    BOOST_REQUIRE((*first)->join(group).ok());
    BOOST_REQUIRE((*second)->join(group).ok());
    (void)sent_by(*hosts.a);

    const auto payload = pattern(100, 3);
    hosts.a->handle_frame(packet_of(udp_from_b(group, 5000, payload)), hosts.now());
    for (auto* socket : {first->get(), second->get()}) {
        auto got = socket->try_recv_from();
        BOOST_REQUIRE(got);
        BOOST_CHECK(got->destination == group);
        BOOST_CHECK(got->source == address("198.18.0.2"));
        std::vector<std::byte> bytes(got->payload.size());
        got->payload.copy_out(0, bytes);
        BOOST_CHECK(bytes == payload);
    }
    BOOST_CHECK(!(*bystander)->try_recv_from());
    BOOST_CHECK_EQUAL(hosts.a->counters().udp_multicast_received, 2u);

    // Unicast to the port is unchanged: the first bound takes it.
    hosts.a->handle_frame(packet_of(udp_from_b(address("198.18.0.1"), 5000, payload)), hosts.now());
    BOOST_CHECK((*first)->try_recv_from());
    BOOST_CHECK(!(*second)->try_recv_from());
}

BOOST_AUTO_TEST_CASE(a_datagram_sent_to_a_group_crosses_the_wire_to_a_member) {
    two_hosts hosts;
    group_receiver member;
    member.groups = {group};
    BOOST_REQUIRE(hosts.a->bind_udp(5000, member, true));
    hosts.a->join_group(group, hosts.now());
    const auto payload = pattern(64, 5);
    BOOST_CHECK((hosts.b->send_udp(6000, group, 5000, payload, hosts.now()) == net::send_status::sent));
    hosts.run_for(50ms);
    BOOST_REQUIRE_EQUAL(member.got.size(), 1u);
    BOOST_CHECK(member.got[0].payload == payload);
    BOOST_CHECK_EQUAL(hosts.b->counters().arp_requests_sent, 0u);  // RFC 1112 6.4: no ARP for a group
    hosts.a->unbind_udp(5000, member);
}

BOOST_AUTO_TEST_CASE(datagrams_to_groups_not_joined_are_dropped_and_counted) {
    two_hosts hosts;
    group_receiver member;
    member.groups = {group};
    BOOST_REQUIRE(hosts.a->bind_udp(5000, member, true));
    hosts.a->join_group(group, hosts.now());
    (void)sent_by(*hosts.a);
    const auto payload = pattern(20, 1);
    const auto drops = [&](drop_reason reason) { return hosts.a->counters().dropped[reason]; };

    hosts.a->handle_frame(packet_of(udp_from_b(address("239.9.9.9"), 5000, payload)), hosts.now());
    BOOST_CHECK_EQUAL(drops(drop_reason::ethernet_group_not_joined), 1u);
    // 239.129.2.3 shares 239.1.2.3's Ethernet address (RFC 1112 6.4): IPv4 tells them apart.
    hosts.a->handle_frame(packet_of(udp_from_b(address("239.129.2.3"), 5000, payload)), hosts.now());
    BOOST_CHECK_EQUAL(drops(drop_reason::ipv4_group_not_joined), 1u);
    // The group, on a port where no socket joined it: no port unreachable (RFC 1122 4.1.3.1).
    hosts.a->handle_frame(packet_of(udp_from_b(group, 5001, payload)), hosts.now());
    BOOST_CHECK_EQUAL(drops(drop_reason::udp_no_group_member), 1u);
    BOOST_CHECK(sent_by(*hosts.a).empty());
    BOOST_CHECK(member.got.empty());

    hosts.a->leave_group(group, hosts.now());
    (void)sent_by(*hosts.a);
    hosts.a->handle_frame(packet_of(udp_from_b(group, 5000, payload)), hosts.now());
    BOOST_CHECK_EQUAL(drops(drop_reason::ethernet_group_not_joined), 2u);
    BOOST_CHECK(member.got.empty());
    hosts.a->unbind_udp(5000, member);
}

BOOST_AUTO_TEST_CASE(igmp_with_a_bad_checksum_or_length_is_counted_and_dropped) {
    igmp_host host;
    host.a().join_group(group, host.now);
    (void)host.run_for(2s);
    host.receive(v3_query_from_b(wire::ipv4_address{}, 10, true));
    BOOST_CHECK_EQUAL(host.a().counters().dropped[drop_reason::igmp_bad_checksum], 1u);
    // RFC 3376 7.1: a query of 9 to 11 bytes is ignored.
    std::vector<std::byte> odd(10);
    wire::emit_igmp_v2_message(odd, wire::igmp_type_membership_query, 10, wire::ipv4_address{});
    wire::store_be16(odd, 2, 0);
    wire::store_be16(odd, 2, wire::internet_checksum::of(odd));
    host.receive(frame_from_b(wire::igmp_all_hosts, wire::ip_protocol_igmp, odd, true));
    BOOST_CHECK_EQUAL(host.a().counters().dropped[drop_reason::igmp_bad_length], 1u);
    BOOST_CHECK(host.run_for(3s).empty());  // neither was answered
    BOOST_CHECK_EQUAL(host.a().counters().igmp_queries_received, 0u);
}

BOOST_AUTO_TEST_SUITE_END()
