// tcp_socket and tcp_listener on one shard, two stacks joined by a crossed pair of
// in-memory devices (each one's transmit is the other's receive): connect and accept, an
// echo of a large write that needs back-pressure, refusal and timeout with the errors a
// user acts on, and the lifetime rule — closing or destroying a socket or listener
// resumes the task waiting on it with tcp_error::closed; a second reader gets
// already_waiting at once.
#include <boost/test/unit_test.hpp>

#include <rte_mbuf.h>

#include <chrono>
#include <cstddef>
#include <deque>
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
#include "sluice/net/device.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/packet_pool.hh"
#include "sluice/net/stack.hh"
#include "sluice/net/stack_attachment.hh"
#include "sluice/net/tcp_socket.hh"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

// One end of an in-memory cable: what it transmits lands in its peer's inbox. `deaf`
// drops everything sent to it (a host that never answers).
class cable_end final : public net::device {
public:
    cable_end(std::string name, net::ethernet_address mac) : name_(std::move(name)), mac_(mac) {}
    ~cable_end() override {
        for (rte_mbuf* frame : inbox_) rte_pktmbuf_free(frame);
    }
    void connect(cable_end& peer) { peer_ = &peer; }
    bool deaf = false;

    const std::string& name() const override { return name_; }
    unsigned queue_count() const override { return 1; }
    net::offload_flags offloads() const override { return {}; }
    net::ethernet_address mac() const override { return mac_; }
    net::link_status link() const override { return {true, 10000, true}; }
    std::vector<net::queue_counters> counters() const override { return {net::queue_counters{}}; }
    std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const override { return {}; }

    std::uint16_t rx_burst(unsigned, rte_mbuf** frames, std::uint16_t max) override {
        std::uint16_t n = 0;
        while (n < max && !inbox_.empty()) {
            frames[n++] = inbox_.front();
            inbox_.pop_front();
        }
        return n;
    }
    std::uint16_t tx_burst(unsigned, rte_mbuf** frames, std::uint16_t count) override {
        for (std::uint16_t i = 0; i < count; ++i) {
            if (peer_ == nullptr || peer_->deaf) {
                rte_pktmbuf_free(frames[i]);
            } else {
                peer_->inbox_.push_back(frames[i]);
            }
        }
        return count;
    }

private:
    std::string name_;
    net::ethernet_address mac_;
    cable_end* peer_ = nullptr;
    std::deque<rte_mbuf*> inbox_;
};

const net::ethernet_address mac_a{{0x02, 0, 0, 0, 0, 0x0a}};
const net::ethernet_address mac_b{{0x02, 0, 0, 0, 0, 0x0b}};
const net::wire::ipv4_address address_b = net::wire::ipv4_address::from_octets(198, 18, 0, 2);

// Two hosts on one shard: A (198.18.0.1) and B (198.18.0.2), each a stack on its cable end.
struct two_stacks {
    net::packet_pool pool;
    cable_end end_a{"cable_a", mac_a};
    cable_end end_b{"cable_b", mac_b};

    static net::packet_pool make_pool() {
        static int serial = 0;
        net::packet_pool_config config;
        config.name = "tcp_socket_test_" + std::to_string(serial++);
        config.count = 8191;
        config.cache_size = 0;
        auto made = net::packet_pool::create(config);
        BOOST_REQUIRE_MESSAGE(made, (made ? "" : made.message()));
        return std::move(*made);
    }
    two_stacks() : pool(make_pool()) {
        end_a.connect(end_b);
        end_b.connect(end_a);
    }
    ~two_stacks() {
        BOOST_CHECK_MESSAGE(pool.available() == pool.capacity(),
                            "pool not full at the end: " << pool.available() << " of " << pool.capacity());
    }

    // Runs body(a, b) as the main task of a one-shard runtime, the stacks attached to it.
    template <typename Body>
    void run(Body body) {
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
                                      [](shard&) { net::packet_pool::set_current(nullptr); }});
        runtime engine(config);
        auto outcome = engine.run([this, &body]() -> task<int> {
            net::interface_config config_a;
            config_a.address = *net::wire::ipv4_prefix::parse("198.18.0.1/24");
            net::interface_config config_b;
            config_b.address = *net::wire::ipv4_prefix::parse("198.18.0.2/24");
            auto a = std::make_unique<net::stack>(net::link_properties{mac_a, {}}, config_a);
            auto b = std::make_unique<net::stack>(net::link_properties{mac_b, {}}, config_b);
            auto attach_a = std::make_unique<net::stack_attachment>(*a, end_a, 0, this_shard(), false);
            auto attach_b = std::make_unique<net::stack_attachment>(*b, end_b, 0, this_shard(), false);
            co_await body(*a, *b);
            // Let closes and resets go out before the stacks go.
            co_await sleep_for(20ms);
            attach_a.reset();
            attach_b.reset();
            a.reset();
            b.reset();
            co_return 0;
        });
        BOOST_REQUIRE_MESSAGE(outcome.ok(), (outcome.ok() ? "" : outcome.message()));
    }
};

std::vector<std::byte> pattern(std::size_t n) {
    std::vector<std::byte> bytes(n);
    for (std::size_t i = 0; i < n; ++i) bytes[i] = std::byte((i * 131 + (i >> 8)) & 0xff);
    return bytes;
}

// B's side: accept one connection and echo it until the client closes.
task<void> echo_one(net::tcp_listener& listener, std::uint64_t& echoed) {
    auto accepted = co_await listener.accept();
    BOOST_REQUIRE(accepted);
    auto socket = std::move(*accepted);
    for (;;) {
        auto got = co_await socket->read_some();
        if (!got || got->empty()) break;
        echoed += got->size();
        auto sent = co_await socket->write(std::move(*got));  // the received mbufs, sent back as they are
        BOOST_REQUIRE(sent);
    }
    socket->close();
}

task<void> read_once(net::tcp_socket& socket, std::optional<net::tcp_error>& error, bool& resumed) {
    auto got = co_await socket.read_some();
    resumed = true;
    if (!got) error = got.error();
}

task<void> settle() {
    for (int i = 0; i < 5; ++i) co_await yield();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp_socket_api)

BOOST_AUTO_TEST_CASE(echoes_a_large_write_through_back_pressure_byte_for_byte) {
    two_stacks hosts;
    hosts.run([&](net::stack& a, net::stack& b) -> task<void> {
        net::tcp_socket_options small;
        small.send_buffer = 32 * 1024;  // far less than the write: write_all must wait for room
        small.receive_buffer = 32 * 1024;
        auto listener = net::tcp_listener::listen(b, 7000, 16, small);
        BOOST_REQUIRE(listener);
        std::uint64_t echoed = 0;
        spawn(echo_one(**listener, echoed));
        auto connected = co_await net::tcp_socket::connect(a, address_b, 7000, 1s, small);
        BOOST_REQUIRE_MESSAGE(connected, (connected ? "" : std::string(net::describe(connected.error()))));
        auto socket = std::move(*connected);
        const auto bytes = pattern(1 << 20);
        struct reader_state {
            std::vector<std::byte> got;
            bool done = false;
        } reading;
        auto read_all = [](net::tcp_socket& from, reader_state& into, std::size_t total) -> task<void> {
            while (into.got.size() < total) {
                auto got = co_await from.read_some();
                if (!got || got->empty()) break;
                const std::size_t at = into.got.size();
                into.got.resize(at + got->size());
                got->copy_out(0, std::span(into.got).subspan(at));
            }
            into.done = true;
        };
        spawn(read_all(*socket, reading, bytes.size()));
        auto written = co_await socket->write_all(bytes);
        BOOST_CHECK(written);
        while (!reading.done) co_await sleep_for(1ms);
        BOOST_CHECK_EQUAL(echoed, bytes.size());
        BOOST_CHECK(reading.got == bytes);
        socket->close();
        co_await sleep_for(5ms);
    });
}

BOOST_AUTO_TEST_CASE(connect_to_a_port_nobody_listens_on_is_refused) {
    two_stacks hosts;
    hosts.run([&](net::stack& a, net::stack&) -> task<void> {
        auto connected = co_await net::tcp_socket::connect(a, address_b, 7001, 1s);
        BOOST_REQUIRE(!connected);
        BOOST_CHECK(connected.error() == net::tcp_error::refused);
        BOOST_CHECK(net::describe(connected.error()).find("refused") != std::string_view::npos);
    });
}

BOOST_AUTO_TEST_CASE(connect_to_a_silent_host_times_out) {
    two_stacks hosts;
    hosts.end_b.deaf = true;
    hosts.run([&](net::stack& a, net::stack&) -> task<void> {
        const auto started = clock::now();
        auto connected = co_await net::tcp_socket::connect(a, address_b, 7002, 50ms);
        BOOST_REQUIRE(!connected);
        BOOST_CHECK(connected.error() == net::tcp_error::timed_out);
        BOOST_CHECK(clock::now() - started >= 50ms);
        BOOST_CHECK_EQUAL(a.tcp_layer().table().size(), 0u);  // nothing left behind
    });
}

BOOST_AUTO_TEST_CASE(listen_refuses_a_port_already_listening_with_one_line) {
    two_stacks hosts;
    hosts.run([&](net::stack&, net::stack& b) -> task<void> {
        auto first = net::tcp_listener::listen(b, 7003);
        BOOST_REQUIRE(first);
        auto second = net::tcp_listener::listen(b, 7003);
        BOOST_REQUIRE(!second);
        BOOST_CHECK(second.message().find("7003 already listens") != std::string::npos);
        auto zero = net::tcp_listener::listen(b, 0);
        BOOST_CHECK(!zero);
        co_return;
    });
}

BOOST_AUTO_TEST_CASE(destroying_a_socket_resumes_its_reader_with_closed) {
    two_stacks hosts;
    hosts.run([&](net::stack& a, net::stack& b) -> task<void> {
        auto listener = net::tcp_listener::listen(b, 7004);
        BOOST_REQUIRE(listener);
        auto connected = co_await net::tcp_socket::connect(a, address_b, 7004, 1s);
        BOOST_REQUIRE(connected);
        auto socket = std::move(*connected);
        std::optional<net::tcp_error> first_error, second_error;
        bool first_resumed = false, second_resumed = false;
        spawn(read_once(*socket, first_error, first_resumed));
        co_await settle();
        spawn(read_once(*socket, second_error, second_resumed));
        co_await settle();
        BOOST_CHECK(second_resumed);
        BOOST_CHECK(second_error == net::tcp_error::already_waiting);
        BOOST_CHECK(!first_resumed);
        socket.reset();
        co_await settle();
        BOOST_CHECK(first_resumed);
        BOOST_CHECK(first_error == net::tcp_error::closed);
    });
}

BOOST_AUTO_TEST_CASE(closing_a_listener_resumes_its_accept_with_closed) {
    two_stacks hosts;
    hosts.run([&](net::stack&, net::stack& b) -> task<void> {
        auto listener = net::tcp_listener::listen(b, 7005);
        BOOST_REQUIRE(listener);
        std::optional<net::tcp_error> error;
        bool resumed = false;
        auto accept_once = [](net::tcp_listener& from, std::optional<net::tcp_error>& e, bool& r) -> task<void> {
            auto got = co_await from.accept();
            r = true;
            if (!got) e = got.error();
        };
        spawn(accept_once(**listener, error, resumed));
        co_await settle();
        BOOST_CHECK(!resumed);
        (*listener)->close();
        co_await settle();
        BOOST_CHECK(resumed);
        BOOST_CHECK(error == net::tcp_error::closed);
    });
}

// docs/architecture.md rule 3: with several shards on an RSS port, an active open takes a
// local port whose replies hash (symmetric key, the port's table) back to its own shard.
BOOST_AUTO_TEST_CASE(active_open_picks_a_local_port_whose_replies_come_back_to_this_shard) {
    two_stacks hosts;
    hosts.run([&](net::stack& a, net::stack& b) -> task<void> {
        auto table = net::redirection_table::create(4, 128);
        BOOST_REQUIRE(table);
        const net::toeplitz_hasher hasher(net::symmetric_toeplitz_key());
        a.steer_active_opens(net::flow_steering{hasher, *table, 3});
        auto listener = net::tcp_listener::listen(b, 7007);
        BOOST_REQUIRE(listener);
        for (int i = 0; i < 4; ++i) {
            auto connected = co_await net::tcp_socket::connect(a, address_b, 7007, 1s);
            BOOST_REQUIRE(connected);
            const auto& tuple = (*connected)->tuple();
            // The packets coming back: from B:7007 to A:local_port.
            const std::uint32_t hash =
                hasher.hash_ipv4_l4(tuple.remote.value, tuple.local.value, tuple.remote_port, tuple.local_port);
            BOOST_CHECK_EQUAL(net::shard_for_hash(*table, hash), 3u);
        }
    });
}

BOOST_AUTO_TEST_CASE(peer_reset_is_reported_to_the_reader) {
    two_stacks hosts;
    hosts.run([&](net::stack& a, net::stack& b) -> task<void> {
        auto listener = net::tcp_listener::listen(b, 7006);
        BOOST_REQUIRE(listener);
        auto connected = co_await net::tcp_socket::connect(a, address_b, 7006, 1s);
        BOOST_REQUIRE(connected);
        auto accepted = co_await (*listener)->accept();
        BOOST_REQUIRE(accepted);
        std::optional<net::tcp_error> error;
        bool resumed = false;
        spawn(read_once(**connected, error, resumed));
        co_await settle();
        (*accepted)->abort();  // B resets
        for (int i = 0; i < 100 && !resumed; ++i) co_await sleep_for(1ms);
        BOOST_CHECK(resumed);
        BOOST_CHECK(error == net::tcp_error::reset);
    });
}

BOOST_AUTO_TEST_SUITE_END()
