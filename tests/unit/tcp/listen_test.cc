// LISTEN and the connection table (RFC 9293 3.10.7.1-2, RFC 4987, RFC 6191): a SYN to a
// listener gets SYN-ACK and its connection reaches the accept queue on the third segment;
// an RST is ignored and an ACK is answered with RST; a segment for no connection gets the
// RST RFC 9293 spells out; past the SYN queue, SYN cookies open connections that the
// table never held half-open; a cookie that does not check is reset; a bounded TIME-WAIT,
// and a new SYN that takes a TIME-WAIT tuple over.
#include <boost/test/unit_test.hpp>

#include <deque>

#include "sluice/core/source_location.hh"
#include "sluice/net/tcp/connection_table.hh"
#include "tests/unit/tcp/tcp_test_support.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;
using namespace std::chrono_literals;

namespace {

struct sent_segment {
    four_tuple tuple;
    outgoing_segment segment;
};

struct table_fixture : segment_sink {
    test_pool pool{1023};
    std::deque<sent_segment> sent;
    table_limits limits;
    std::unique_ptr<connection_table> table;
    clock::time_point now = clock::time_point(5000s);
    listener* listening = nullptr;
    connection_options options;

    void send(const four_tuple& tuple, outgoing_segment&& out, clock::time_point) override {
        sent.push_back({tuple, std::move(out)});
    }
    void make(std::size_t backlog = 8) {
        table = std::make_unique<connection_table>(*this, limits);
        options.window_scale = options.sack = options.timestamps = false;
        listening = table->listen(80, backlog, options);
        BOOST_REQUIRE(listening != nullptr);
    }
    static four_tuple from(std::uint16_t port, std::uint32_t host = 0xc6130001u) {
        return four_tuple{wire::ipv4_address{0xc6120001u}, 80, wire::ipv4_address{host}, port};
    }
    static segment syn(std::uint32_t isn, bool timestamps = false, std::uint32_t tsval = 0) {
        segment s;
        s.sequence = seq(isn);
        s.flags = wire::tcp_syn;
        s.window = 65535;
        s.options.mss = 1460;
        if (timestamps) s.options.timestamps = wire::tcp_timestamps{tsval, 0};
        return s;
    }
    static segment ack_of(std::uint32_t sequence, seq acknowledged) {
        segment s;
        s.sequence = seq(sequence);
        s.acknowledgment = acknowledged;
        s.flags = wire::tcp_ack;
        s.window = 65535;
        return s;
    }
    outgoing_segment take(sluice::source_location where = sluice::source_location::current()) {
        BOOST_REQUIRE_MESSAGE(!sent.empty(), "nothing was sent (test line " << where.line() << ")");
        outgoing_segment out = std::move(sent.front().segment);
        sent.pop_front();
        return out;
    }
    // A full handshake from `port`; the SYN-ACK's sequence number (our ISN).
    seq handshake(std::uint16_t port, std::uint32_t isn) {
        sent.clear();
        table->deliver(from(port), syn(isn), now);
        const outgoing_segment synack = take();
        BOOST_REQUIRE_EQUAL(synack.flags, wire::tcp_syn | wire::tcp_ack);
        table->deliver(from(port), ack_of(isn + 1, synack.sequence + 1), now);
        return synack.sequence;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(listen, table_fixture)

BOOST_AUTO_TEST_CASE(syn_gets_syn_ack_and_the_third_segment_queues_the_connection) {
    make();
    table->deliver(from(40000), syn(100), now);
    const outgoing_segment synack = take();
    BOOST_CHECK_EQUAL(synack.flags, wire::tcp_syn | wire::tcp_ack);
    BOOST_CHECK(synack.acknowledgment == seq(101));
    BOOST_CHECK_EQUAL(listening->half_open(), 1u);
    BOOST_CHECK_EQUAL(listening->pending(), 0u);
    table->deliver(from(40000), ack_of(101, synack.sequence + 1), now);
    BOOST_CHECK_EQUAL(listening->half_open(), 0u);
    BOOST_CHECK_EQUAL(listening->pending(), 1u);
    connection_entry* accepted = table->accept(*listening);
    BOOST_REQUIRE(accepted != nullptr);
    BOOST_CHECK(accepted->conn.state() == tcp_state::established);
    BOOST_CHECK(table->accept(*listening) == nullptr);
    table->release(*accepted, now);
}

BOOST_AUTO_TEST_CASE(rst_to_a_listener_is_ignored) {
    make();
    segment reset;
    reset.flags = wire::tcp_rst;
    table->deliver(from(40000), std::move(reset), now);
    BOOST_CHECK(sent.empty());
    BOOST_CHECK_EQUAL(table->size(), 0u);
}

BOOST_AUTO_TEST_CASE(ack_to_a_listener_is_answered_with_rst_at_its_acknowledgment) {
    limits.syn_cookies = false;
    make();
    table->deliver(from(40000), ack_of(7, seq(12345)), now);
    const outgoing_segment out = take();
    BOOST_CHECK_EQUAL(out.flags, wire::tcp_rst);
    BOOST_CHECK(out.sequence == seq(12345));
}

BOOST_AUTO_TEST_CASE(segment_for_no_connection_and_no_listener_gets_rst_ack) {
    make();
    four_tuple elsewhere = from(40000);
    elsewhere.local_port = 81;
    segment data;
    data.sequence = seq(500);
    data.flags = wire::tcp_syn;
    table->deliver(elsewhere, std::move(data), now);
    const outgoing_segment out = take();
    // RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    BOOST_CHECK_EQUAL(out.flags, wire::tcp_rst | wire::tcp_ack);
    BOOST_CHECK(out.sequence == seq(0));
    BOOST_CHECK(out.acknowledgment == seq(501));
    BOOST_CHECK_EQUAL(table->counters().resets_for_no_connection, 1u);
}

BOOST_AUTO_TEST_CASE(syn_queue_full_answers_with_a_cookie_and_keeps_nothing) {
    make(2);
    table->deliver(from(40000), syn(100), now);
    table->deliver(from(40001), syn(200), now);
    sent.clear();
    BOOST_CHECK_EQUAL(listening->half_open(), 2u);
    table->deliver(from(40002), syn(300), now);
    const outgoing_segment cookie = take();
    BOOST_CHECK_EQUAL(cookie.flags, wire::tcp_syn | wire::tcp_ack);
    BOOST_CHECK_EQUAL(table->size(), 2u);  // nothing kept for the third
    BOOST_CHECK_EQUAL(table->counters().syn_cookies_sent, 1u);
    BOOST_CHECK_EQUAL(listening->counters().backlog_full, 1u);
    // The third ACK brings the cookie back: established straight away, queued for accept.
    table->deliver(from(40002), ack_of(301, cookie.sequence + 1), now);
    BOOST_CHECK_EQUAL(table->counters().syn_cookies_accepted, 1u);
    BOOST_CHECK_EQUAL(listening->pending(), 1u);
    connection_entry* accepted = table->accept(*listening);
    BOOST_REQUIRE(accepted != nullptr);
    BOOST_CHECK(accepted->conn.state() == tcp_state::established);
    BOOST_CHECK_EQUAL(accepted->conn.send_mss(), 1460);  // the table entry at or below 1460
    table->release(*accepted, now);
}

BOOST_AUTO_TEST_CASE(an_ack_whose_cookie_does_not_check_is_reset) {
    make(1);
    table->deliver(from(40000), syn(100), now);
    table->deliver(from(40001), syn(200), now);
    const outgoing_segment first = take();
    const outgoing_segment cookie = take();
    (void)first;
    table->deliver(from(40001), ack_of(201, cookie.sequence + 2), now);  // one off
    const outgoing_segment out = take();
    BOOST_CHECK_EQUAL(out.flags, wire::tcp_rst);
    BOOST_CHECK_EQUAL(table->counters().syn_cookies_rejected, 1u);
    BOOST_CHECK_EQUAL(listening->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(without_cookies_a_full_syn_queue_drops_the_syn) {
    limits.syn_cookies = false;
    make(1);
    table->deliver(from(40000), syn(100), now);
    sent.clear();
    table->deliver(from(40001), syn(200), now);
    BOOST_CHECK(sent.empty());
    BOOST_CHECK_EQUAL(table->counters().syn_dropped, 1u);
}

BOOST_AUTO_TEST_CASE(connection_limit_is_a_bound_with_a_counter) {
    limits.max_connections = 2;
    limits.syn_cookies = false;
    make(8);
    table->deliver(from(40000), syn(100), now);
    table->deliver(from(40001), syn(200), now);
    table->deliver(from(40002), syn(300), now);
    BOOST_CHECK_EQUAL(table->size(), 2u);
    BOOST_CHECK_EQUAL(table->counters().connection_limit, 1u);
}

BOOST_AUTO_TEST_CASE(syn_with_fin_is_not_an_open) {
    make();
    segment odd = syn(100);
    odd.flags |= wire::tcp_fin;
    table->deliver(from(40000), std::move(odd), now);
    BOOST_CHECK(sent.empty());
    BOOST_CHECK_EQUAL(table->size(), 0u);
}

BOOST_AUTO_TEST_CASE(unlisten_resets_connections_not_yet_accepted) {
    make();
    handshake(40000, 100);
    sent.clear();
    table->unlisten(*listening, now);
    const outgoing_segment out = take();
    BOOST_CHECK_EQUAL(out.flags, wire::tcp_rst);
    BOOST_CHECK_EQUAL(table->size(), 0u);
    BOOST_CHECK(table->listener_on(80) == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(time_wait_table, table_fixture)

// We close first, the peer answers with FIN: our side waits in TIME-WAIT.
void close_into_time_wait(table_fixture& f, std::uint16_t port, std::uint32_t isn) {
    const seq ours = f.handshake(port, isn);
    connection_entry* entry = f.table->accept(*f.listening);
    BOOST_REQUIRE(entry != nullptr);
    f.table->release(*entry, f.now);  // FIN
    f.sent.clear();
    segment fin = table_fixture::ack_of(isn + 1, ours + 2);
    fin.flags |= wire::tcp_fin;
    f.table->deliver(table_fixture::from(port), std::move(fin), f.now);
}

BOOST_AUTO_TEST_CASE(time_wait_is_bounded_and_counted) {
    limits.max_time_wait = 1;
    make();
    close_into_time_wait(*this, 40000, 100);
    BOOST_CHECK_EQUAL(table->time_wait_count(), 1u);
    close_into_time_wait(*this, 40001, 200);
    BOOST_CHECK_EQUAL(table->time_wait_count(), 1u);
    BOOST_CHECK_EQUAL(table->counters().time_wait_overflow, 1u);
    BOOST_CHECK_EQUAL(table->size(), 1u);  // the second closed at once
}

BOOST_AUTO_TEST_CASE(a_new_syn_with_a_higher_sequence_takes_over_a_time_wait_tuple) {
    make();
    close_into_time_wait(*this, 40000, 100);
    BOOST_REQUIRE_EQUAL(table->time_wait_count(), 1u);
    sent.clear();
    table->deliver(from(40000), syn(100 + 1'000'000), now);  // RFC 6191: clearly newer
    const outgoing_segment synack = take();
    BOOST_CHECK_EQUAL(synack.flags, wire::tcp_syn | wire::tcp_ack);
    BOOST_CHECK_EQUAL(table->counters().time_wait_reused, 1u);
    BOOST_CHECK_EQUAL(table->time_wait_count(), 0u);
}

BOOST_AUTO_TEST_CASE(an_old_syn_for_a_time_wait_tuple_is_challenged_not_accepted) {
    make();
    close_into_time_wait(*this, 40000, 100);
    sent.clear();
    table->deliver(from(40000), syn(50), now);  // below what the old connection saw
    const outgoing_segment out = take();
    BOOST_CHECK_EQUAL(out.flags, wire::tcp_ack);  // RFC 5961 4.2: a challenge ACK
    BOOST_CHECK_EQUAL(table->counters().time_wait_reused, 0u);
}

BOOST_AUTO_TEST_CASE(time_wait_entries_leave_the_table_after_two_msl) {
    make();
    close_into_time_wait(*this, 40000, 100);
    BOOST_REQUIRE_EQUAL(table->size(), 1u);
    now += 61s;
    table->on_timer(now);
    BOOST_CHECK_EQUAL(table->size(), 0u);
    BOOST_CHECK_EQUAL(table->time_wait_count(), 0u);
}

BOOST_AUTO_TEST_SUITE_END()
