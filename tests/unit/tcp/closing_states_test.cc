// The closing states of RFC 9293 3.6 and 3.10.7.4, one suite each: FIN-WAIT-1, FIN-WAIT-2,
// CLOSING, TIME-WAIT (we closed first), CLOSE-WAIT and LAST-ACK (the peer did).
#include <boost/test/unit_test.hpp>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

BOOST_FIXTURE_TEST_SUITE(fin_wait_1, connection_fixture)

BOOST_AUTO_TEST_CASE(ack_of_our_fin_moves_to_fin_wait_2) {
    make_fin_wait_1();
    send_ack_of(our_next + 1);
    BOOST_CHECK(tcp->state() == tcp_state::fin_wait_2);
    BOOST_CHECK(tcp->next_deadline() == clock::time_point::max());
}

BOOST_AUTO_TEST_CASE(peer_fin_before_the_ack_moves_to_closing) {
    make_closing();
    BOOST_CHECK(tcp->state() == tcp_state::closing);
}

BOOST_AUTO_TEST_CASE(fin_and_ack_of_ours_together_move_to_time_wait) {
    make_fin_wait_1();
    segment both = peer(fin | ack);
    both.acknowledgment = our_next + 1;
    send(std::move(both));
    peer_next += 1;
    expect_sent({.flags = ack, .acknowledgment = peer_next});
    BOOST_CHECK(tcp->state() == tcp_state::time_wait);
}

BOOST_AUTO_TEST_CASE(unacknowledged_fin_is_retransmitted) {
    make_fin_wait_1();
    advance(tcp->rtt().rto());
    expect_sent({.flags = fin | ack, .sequence = our_next});
}

BOOST_AUTO_TEST_CASE(writes_are_refused_after_shutdown) {
    make_fin_wait_1();
    const auto bytes = pattern(our_next, 10);
    auto taken = tcp->write(bytes, now);
    BOOST_REQUIRE(taken.ok());
    BOOST_CHECK_EQUAL(*taken, 0u);
    BOOST_CHECK_EQUAL(tcp->send_room(), 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(fin_wait_2, connection_fixture)

BOOST_AUTO_TEST_CASE(peer_data_is_still_received) {
    make_fin_wait_2();
    send_data(30);
    BOOST_CHECK_EQUAL(tcp->readable(), 30u);
}

BOOST_AUTO_TEST_CASE(peer_fin_moves_to_time_wait_and_is_acknowledged) {
    make_time_wait();
    BOOST_CHECK(tcp->state() == tcp_state::time_wait);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(closing, connection_fixture)

BOOST_AUTO_TEST_CASE(ack_of_our_fin_moves_to_time_wait) {
    make_closing();
    send_ack_of(our_next + 1);
    BOOST_CHECK(tcp->state() == tcp_state::time_wait);
}

BOOST_AUTO_TEST_CASE(fin_is_retransmitted_until_acknowledged) {
    make_closing();
    advance(tcp->rtt().rto());
    expect_sent({.flags = fin | ack, .sequence = our_next, .acknowledgment = peer_next});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(time_wait, connection_fixture)

BOOST_AUTO_TEST_CASE(closes_after_twice_the_msl) {
    options.time_wait = 30s;
    make_time_wait();
    advance(30s - 1ns);
    BOOST_CHECK(tcp->state() == tcp_state::time_wait);
    advance(1ns);
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    BOOST_CHECK(tcp->error() == connection_error::none);
    BOOST_CHECK(tcp->take_events().closed);
}

BOOST_AUTO_TEST_CASE(retransmitted_fin_is_acknowledged_again) {
    make_time_wait();
    peer_next -= 1;
    send_data(0, fin);
    expect_sent({.flags = ack, .acknowledgment = peer_next});
    BOOST_CHECK(tcp->state() == tcp_state::time_wait);
}

BOOST_AUTO_TEST_CASE(rst_ends_time_wait_quietly) {
    make_time_wait();
    send(peer(rst));
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    BOOST_CHECK(tcp->error() == connection_error::none);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(close_wait, connection_fixture)

BOOST_AUTO_TEST_CASE(we_may_still_send_after_the_peer_closed) {
    make_close_wait();
    write(40);
    expect_sent({.flags = ack | psh, .length = 40});
}

BOOST_AUTO_TEST_CASE(data_after_the_peer_fin_is_ignored) {
    make_close_wait();
    send_data(10);
    BOOST_CHECK_EQUAL(tcp->readable(), 0u);
}

BOOST_AUTO_TEST_CASE(close_sends_fin_and_moves_to_last_ack) {
    make_last_ack();
    BOOST_CHECK(tcp->state() == tcp_state::last_ack);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(last_ack, connection_fixture)

BOOST_AUTO_TEST_CASE(ack_of_our_fin_closes) {
    make_last_ack();
    send_ack_of(our_next + 1);
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    BOOST_CHECK(tcp->error() == connection_error::none);
    expect_nothing_sent();
}

BOOST_AUTO_TEST_CASE(fin_is_retransmitted_with_backoff) {
    make_last_ack();
    const auto first = tcp->rtt().rto();
    advance(first);
    expect_sent({.flags = fin | ack, .sequence = our_next});
    advance(2 * first - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = fin | ack, .sequence = our_next});
}

BOOST_AUTO_TEST_SUITE_END()
