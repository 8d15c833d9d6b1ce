// udp_socket on one shard over a stack fed by hand (no device): binding and its one-line
// refusals; datagrams to the waiting task and, queued, in order; a full queue counted; and
// the lifetime rule every socket keeps — close() or destruction resumes the waiting task
// with socket_error::closed, later receives answer closed at once, sends are refused, and a
// second waiter gets already_waiting at once instead of an exception. ICMP errors about the
// socket's datagrams reach it (RFC 1122 4.1.3.3).
#include <boost/test/unit_test.hpp>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/core/runtime.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/topology.hh"
#include "sluice/dpdk/eal.hh"
#include "sluice/net/device_timestamp.hh"
#include "sluice/net/packet_pool.hh"
#include "sluice/net/stack.hh"
#include "sluice/net/udp_socket.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ethernet.hh"
#include "sluice/net/wire/icmp.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/udp.hh"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

const net::wire::ipv4_address own = net::wire::ipv4_address::from_octets(198, 18, 0, 1);
const net::wire::ipv4_address peer = net::wire::ipv4_address::from_octets(198, 18, 0, 2);
const net::ethernet_address own_mac{{0x02, 0, 0, 0, 0, 0x01}};
const net::ethernet_address peer_mac{{0x02, 0, 0, 0, 0, 0x02}};

// Ethernet + IPv4 (protocol, from peer to us) + `l4` bytes.
std::vector<std::byte> ipv4_frame(std::uint8_t protocol, const std::vector<std::byte>& l4) {
    std::vector<std::byte> frame(net::wire::ethernet_header_length + net::wire::ipv4_header::min_length + l4.size());
    net::wire::ethernet_header ethernet;
    ethernet.destination = own_mac;
    ethernet.source = peer_mac;
    ethernet.ethertype = net::wire::ethertype_ipv4;
    ethernet.emit(frame);
    net::wire::ipv4_header ip;
    ip.protocol = protocol;
    ip.source = peer;
    ip.destination = own;
    ip.total_length = std::uint16_t(net::wire::ipv4_header::min_length + l4.size());
    ip.emit(std::span(frame).subspan(net::wire::ethernet_header_length));
    std::copy(l4.begin(), l4.end(), frame.begin() + net::wire::ethernet_header_length + net::wire::ipv4_header::min_length);
    return frame;
}

// A UDP datagram from the peer's port 5000 to our `port`, checksum 0 (none, RFC 768).
std::vector<std::byte> udp_frame(std::uint16_t port, std::byte fill, std::size_t size = 16) {
    std::vector<std::byte> l4(net::wire::udp_header::length_bytes + size, fill);
    net::wire::udp_header udp;
    udp.source_port = 5000;
    udp.destination_port = port;
    udp.length = std::uint16_t(l4.size());
    udp.checksum = 0;
    udp.emit(l4);
    return ipv4_frame(net::wire::ip_protocol_udp, l4);
}

// The peer's port unreachable about a datagram we sent from `port` to its port 5000.
std::vector<std::byte> port_unreachable_frame(std::uint16_t port) {
    std::vector<std::byte> l4(net::wire::icmp_header::length + net::wire::ipv4_header::min_length + 8);
    net::wire::icmp_header icmp;
    icmp.type = net::wire::icmp_type_destination_unreachable;
    icmp.code = net::wire::icmp_code_port_unreachable;
    icmp.emit(l4);
    net::wire::ipv4_header quoted;
    quoted.protocol = net::wire::ip_protocol_udp;
    quoted.source = own;
    quoted.destination = peer;
    quoted.total_length = 20 + 8 + 100;
    quoted.emit(std::span(l4).subspan(net::wire::icmp_header::length));
    net::wire::udp_header udp;
    udp.source_port = port;
    udp.destination_port = 5000;
    udp.length = 8 + 100;
    udp.emit(std::span(l4).subspan(net::wire::icmp_header::length + net::wire::ipv4_header::min_length));
    net::wire::store_be16(l4, net::wire::icmp_header::checksum_offset, net::wire::internet_checksum::of(l4));
    return ipv4_frame(net::wire::ip_protocol_icmp, l4);
}

// One shard, a pool current on it and a stack that frames are handed to directly.
struct one_shard {
    net::packet_pool pool;
    std::unique_ptr<net::stack> host;

    static net::packet_pool make_pool() {
        static int serial = 0;
        net::packet_pool_config config;
        config.name = "udp_socket_test_" + std::to_string(serial++);
        config.count = 1023;
        config.cache_size = 0;
        auto made = net::packet_pool::create(config);
        BOOST_REQUIRE_MESSAGE(made, (made ? "" : made.message()));
        return std::move(*made);
    }
    one_shard() : pool(make_pool()) {
        net::interface_config config;
        config.address = *net::wire::ipv4_prefix::parse("198.18.0.1/24");
        host = std::make_unique<net::stack>(net::link_properties{own_mac, {}}, config);
        // The peer's MAC is known, so our sends need no ARP round.
        host->learn_neighbour(peer, peer_mac, clock::now());
    }
    ~one_shard() {
        host.reset();
        BOOST_CHECK_MESSAGE(pool.available() == pool.capacity(),
                            "pool not full at the end: " << pool.available() << " of " << pool.capacity());
    }
    void feed(const std::vector<std::byte>& frame) {
        auto copy = net::packet::copy_of(frame);
        BOOST_REQUIRE(copy);
        host->handle_frame(std::move(*copy), clock::now());
    }
    void drain_transmit() {
        (void)host->transmit([](rte_mbuf** frames, std::uint16_t count) {
            for (std::uint16_t i = 0; i < count; ++i) net::packet::from_mbuf(frames[i]);  // freed
            return count;
        });
    }

    // Runs `body` as the main task of a one-shard runtime with the pool current.
    template <typename Body>
    void run(Body& body) {
        auto topo = topology::discover();
        BOOST_REQUIRE(topo.ok());
        runtime_config config;
        config.cpus = {topo->allowed_cpus().front()};
        config.report_placement = false;
        config.shard_hooks.push_back(dpdk::eal::lcore_hook());
        config.shard_hooks.push_back({[this](shard&) -> result<void> {
                                          net::packet_pool::set_current(&pool);
                                          return {};
                                      },
                                      [this](shard&) {
                                          drain_transmit();
                                          net::packet_pool::set_current(nullptr);
                                      }});
        runtime engine(config);
        auto outcome = engine.run([&body]() -> task<int> {
            co_await body();
            co_return 0;
        });
        BOOST_REQUIRE_MESSAGE(outcome.ok(), (outcome.ok() ? "" : outcome.message()));
        BOOST_CHECK_EQUAL(*outcome, 0);
    }
};

// What a waiting task saw when it resumed.
struct waiter_record {
    bool resumed = false;
    std::optional<net::socket_error> error;
    std::size_t payload_size = 0;
    std::byte first{};
};

task<void> wait_once(net::udp_socket& socket, waiter_record& record) {
    auto received = co_await socket.recv_from();
    record.resumed = true;
    if (received) {
        record.payload_size = received->payload.size();
        if (record.payload_size != 0) record.first = *received->payload.contiguous(0, 1)->data();
    } else {
        record.error = received.error();
    }
}

// Lets spawned tasks run up to their first suspension.
task<void> settle() {
    for (int i = 0; i < 3; ++i) co_await yield();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(udp_socket_lifetime)

BOOST_AUTO_TEST_CASE(bind_refuses_port_zero_and_a_bound_port_with_one_line_each) {
    one_shard fixture;
    auto body = [&]() -> task<void> {
        auto zero = net::udp_socket::bind(*fixture.host, 0);
        BOOST_CHECK(!zero);
        if (!zero) BOOST_CHECK(zero.message().find("port 0") != std::string::npos);
        auto first = net::udp_socket::bind(*fixture.host, 7000);
        BOOST_REQUIRE(first);
        auto second = net::udp_socket::bind(*fixture.host, 7000);
        BOOST_CHECK(!second);
        if (!second) BOOST_CHECK(second.message().find("7000 is already bound") != std::string::npos);
        (*first)->close();
        auto again = net::udp_socket::bind(*fixture.host, 7000);  // closing unbinds
        BOOST_CHECK(again);
        co_return;
    };
    fixture.run(body);
}

BOOST_AUTO_TEST_CASE(a_datagram_goes_to_the_waiting_task_and_queued_ones_come_in_order) {
    one_shard fixture;
    auto body = [&]() -> task<void> {
        auto socket = net::udp_socket::bind(*fixture.host, 7000);
        BOOST_REQUIRE(socket);
        waiter_record record;
        spawn(wait_once(**socket, record));
        co_await settle();
        BOOST_CHECK((*socket)->has_waiter());
        fixture.feed(udp_frame(7000, std::byte{0x11}, 24));
        co_await settle();
        BOOST_CHECK(record.resumed);
        BOOST_CHECK(!record.error);
        BOOST_CHECK_EQUAL(record.payload_size, 24u);
        BOOST_CHECK(record.first == std::byte{0x11});
        for (int i = 0; i < 3; ++i) fixture.feed(udp_frame(7000, std::byte(0x20 + i)));
        BOOST_CHECK_EQUAL((*socket)->queued(), 3u);
        for (int i = 0; i < 3; ++i) {
            auto next = co_await (*socket)->recv_from();
            BOOST_REQUIRE(next);
            BOOST_CHECK(*next->payload.contiguous(0, 1)->data() == std::byte(0x20 + i));
        }
        BOOST_CHECK_EQUAL((*socket)->counters().received, 4u);
    };
    fixture.run(body);
}

BOOST_AUTO_TEST_CASE(a_full_queue_drops_and_counts_the_datagrams_that_do_not_fit) {
    one_shard fixture;
    auto body = [&]() -> task<void> {
        auto socket = net::udp_socket::bind(*fixture.host, 7000, 2);
        BOOST_REQUIRE(socket);
        for (int i = 0; i < 5; ++i) fixture.feed(udp_frame(7000, std::byte{1}));
        BOOST_CHECK_EQUAL((*socket)->queued(), 2u);
        BOOST_CHECK_EQUAL((*socket)->counters().dropped_queue_full, 3u);
        BOOST_CHECK_EQUAL(fixture.host->dropped()[net::wire::drop_reason::udp_socket_queue_full], 3u);
        co_return;
    };
    fixture.run(body);
}

BOOST_AUTO_TEST_CASE(close_resumes_the_waiting_task_with_closed) {
    one_shard fixture;
    auto body = [&]() -> task<void> {
        auto socket = net::udp_socket::bind(*fixture.host, 7000);
        BOOST_REQUIRE(socket);
        waiter_record record;
        spawn(wait_once(**socket, record));
        co_await settle();
        BOOST_CHECK(!record.resumed);
        (*socket)->close();
        co_await settle();
        BOOST_CHECK(record.resumed);
        BOOST_CHECK(record.error == net::socket_error::closed);
    };
    fixture.run(body);
}

BOOST_AUTO_TEST_CASE(destroying_the_socket_resumes_the_waiting_task_with_closed) {
    one_shard fixture;
    auto body = [&]() -> task<void> {
        auto socket = net::udp_socket::bind(*fixture.host, 7000);
        BOOST_REQUIRE(socket);
        waiter_record record;
        spawn(wait_once(**socket, record));
        co_await settle();
        socket->reset();  // the waiter must not touch the socket after this
        co_await settle();
        BOOST_CHECK(record.resumed);
        BOOST_CHECK(record.error == net::socket_error::closed);
        // The port is free again, and datagrams to it now get port unreachable.
        fixture.feed(udp_frame(7000, std::byte{1}));
        BOOST_CHECK_EQUAL(fixture.host->dropped()[net::wire::drop_reason::udp_port_unreachable], 1u);
    };
    fixture.run(body);
}

BOOST_AUTO_TEST_CASE(after_close_receives_answer_closed_at_once_and_sends_are_refused) {
    one_shard fixture;
    auto body = [&]() -> task<void> {
        auto socket = net::udp_socket::bind(*fixture.host, 7000);
        BOOST_REQUIRE(socket);
        fixture.feed(udp_frame(7000, std::byte{1}));
        (*socket)->close();
        BOOST_CHECK_EQUAL((*socket)->queued(), 0u);  // queued datagrams went back to the pool
        auto received = co_await (*socket)->recv_from();
        BOOST_CHECK(!received);
        if (!received) BOOST_CHECK(received.error() == net::socket_error::closed);
        const std::array<std::byte, 4> payload{};
        BOOST_CHECK(((*socket)->send_to(peer, 5000, payload) == net::send_status::closed));
    };
    fixture.run(body);
}

BOOST_AUTO_TEST_CASE(a_second_waiter_gets_already_waiting_at_once_and_the_first_keeps_waiting) {
    one_shard fixture;
    auto body = [&]() -> task<void> {
        auto socket = net::udp_socket::bind(*fixture.host, 7000);
        BOOST_REQUIRE(socket);
        waiter_record first, second;
        spawn(wait_once(**socket, first));
        co_await settle();
        spawn(wait_once(**socket, second));
        co_await settle();
        BOOST_CHECK(second.resumed);
        BOOST_CHECK(second.error == net::socket_error::already_waiting);
        BOOST_CHECK(!first.resumed);
        fixture.feed(udp_frame(7000, std::byte{0x42}));
        co_await settle();
        BOOST_CHECK(first.resumed);
        BOOST_CHECK(!first.error);
        BOOST_CHECK(first.first == std::byte{0x42});
    };
    fixture.run(body);
}

BOOST_AUTO_TEST_CASE(port_unreachable_about_a_sent_datagram_reaches_the_sending_socket) {
    one_shard fixture;
    auto body = [&]() -> task<void> {
        auto socket = net::udp_socket::bind(*fixture.host, 7000);
        BOOST_REQUIRE(socket);
        const std::array<std::byte, 100> payload{};
        BOOST_CHECK(((*socket)->send_to(peer, 5000, payload) == net::send_status::sent));
        fixture.feed(port_unreachable_frame(7000));
        const auto report = (*socket)->take_error();
        BOOST_REQUIRE(report.has_value());
        BOOST_CHECK(report->reporter == peer);
        BOOST_CHECK(report->destination == peer);
        BOOST_CHECK_EQUAL(report->destination_port, 5000);
        BOOST_CHECK_EQUAL(report->code, net::wire::icmp_code_port_unreachable);
        BOOST_CHECK(!(*socket)->take_error().has_value());  // reading clears it
        // About a port no socket has: counted, nothing else.
        fixture.feed(port_unreachable_frame(7001));
        BOOST_CHECK_EQUAL(fixture.host->dropped()[net::wire::drop_reason::icmp_error_unmatched], 1u);
        co_return;
    };
    fixture.run(body);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(receive_timestamps)

BOOST_AUTO_TEST_CASE(a_datagram_carries_the_rx_burst_time_and_the_device_stamp_when_there_is_one) {
    one_shard fixture;
    auto body = [&]() -> task<void> {
        auto socket = net::udp_socket::bind(*fixture.host, 7000);
        BOOST_REQUIRE(socket);
        // No timestamp offload: the loop's clock reading that the frame came in with.
        const clock::time_point before = clock::now();
        fixture.feed(udp_frame(7000, std::byte{1}));
        const clock::time_point after = clock::now();
        auto plain = (*socket)->try_recv_from();
        BOOST_REQUIRE(plain.has_value());
        BOOST_CHECK(plain->received_at >= before);
        BOOST_CHECK(plain->received_at <= after);
        BOOST_CHECK(!plain->device_timestamp.has_value());

        // A device that stamps frames: DPDK's rx timestamp field, as a port registers it.
        int offset = -1;
        std::uint64_t flag = 0;
        BOOST_REQUIRE_EQUAL(rte_mbuf_dyn_rx_timestamp_register(&offset, &flag), 0);
        net::set_device_timestamp_field({offset, flag});
        auto stamped = net::packet::copy_of(udp_frame(7000, std::byte{2}));
        BOOST_REQUIRE(stamped);
        *RTE_MBUF_DYNFIELD(stamped->mbuf(), offset, std::uint64_t*) = 123456789;
        stamped->mbuf()->ol_flags |= flag;
        fixture.host->handle_frame(std::move(*stamped), clock::now());
        fixture.feed(udp_frame(7000, std::byte{3}));  // a frame the device did not stamp
        net::set_device_timestamp_field({});
        auto first = (*socket)->try_recv_from();
        auto second = (*socket)->try_recv_from();
        BOOST_REQUIRE(first.has_value() && second.has_value());
        BOOST_REQUIRE(first->device_timestamp.has_value());
        BOOST_CHECK_EQUAL(*first->device_timestamp, 123456789u);
        BOOST_CHECK(!second->device_timestamp.has_value());
        co_return;
    };
    fixture.run(body);
}

BOOST_AUTO_TEST_SUITE_END()
