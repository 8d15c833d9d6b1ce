// ESTABLISHED (RFC 9293 3.10.7.4): data both ways, acknowledgments (delayed and immediate,
// RFC 9293 3.8.6.3 and RFC 5681 4.2), the acceptability test, the peer's FIN, and the
// application's calls.
#include <boost/test/unit_test.hpp>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

BOOST_FIXTURE_TEST_SUITE(established, connection_fixture)

BOOST_AUTO_TEST_CASE(sends_written_bytes_in_mss_sized_segments) {
    make_established();
    write(3000);
    expect_sent({.flags = ack, .sequence = seq(our_iss + 1), .acknowledgment = peer_next, .length = 1460});
    expect_sent({.flags = ack, .sequence = seq(our_iss + 1 + 1460), .length = 1460});
    const auto last = expect_sent({.flags = ack | psh, .sequence = seq(our_iss + 1 + 2920), .length = 80});
    BOOST_CHECK(contents(last.payload) == pattern(seq(our_iss + 1 + 2920), 80));
    expect_nothing_sent();
    BOOST_CHECK(tcp->send_next() == seq(our_iss + 1 + 3000));
}

BOOST_AUTO_TEST_CASE(sent_payload_is_a_view_of_the_send_buffer_not_a_copy) {
    make_established();
    write(100);
    const auto first = expect_sent({.flags = ack | psh, .length = 100});
    // Retransmitting the same bytes shows the same mbuf: both are views of one copy.
    advance(tcp->rtt().rto());
    const auto again = expect_sent({.flags = ack | psh, .sequence = seq(our_iss + 1), .length = 100});
    BOOST_REQUIRE(!first.payload.fragments().empty());
    BOOST_CHECK(first.payload.fragments()[0].segment() == again.payload.fragments()[0].segment());
}

BOOST_AUTO_TEST_CASE(delivers_in_order_data_to_the_reader_as_views_of_the_received_mbufs) {
    make_established();
    segment data = peer(ack | psh, 500);
    const auto* received_mbuf = data.payload.fragments()[0].segment();
    send(std::move(data));
    peer_next += 500;
    BOOST_CHECK(tcp->take_events().readable);
    BOOST_CHECK_EQUAL(tcp->readable(), 500u);
    const auto got = tcp->read(10000, now);
    BOOST_CHECK(contents(got) == pattern(seq(peer_iss + 1), 500));
    BOOST_CHECK(got.fragments()[0].segment() == received_mbuf);
}

BOOST_AUTO_TEST_CASE(delays_the_ack_of_one_segment_until_its_timeout) {
    make_established();
    send_data(100);
    expect_nothing_sent();
    advance(options.delayed_ack_timeout - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack, .acknowledgment = peer_next});
    BOOST_CHECK_EQUAL(tcp->counters().delayed_acks, 1u);
}

BOOST_AUTO_TEST_CASE(acks_every_second_full_sized_segment_at_once) {
    make_established();
    send_data(1460);
    expect_nothing_sent();
    send_data(1460);
    expect_sent({.flags = ack, .acknowledgment = peer_next});
}

BOOST_AUTO_TEST_CASE(acks_at_once_when_delayed_acks_are_off) {
    options.delayed_ack = false;
    make_established();
    send_data(10);
    expect_sent({.flags = ack, .acknowledgment = peer_next});
}

BOOST_AUTO_TEST_CASE(a_reply_carries_the_pending_ack) {
    make_established();
    send_data(64);
    write(64);  // the application answers before the delayed ACK fires
    expect_sent({.flags = ack | psh, .acknowledgment = peer_next, .length = 64});
    advance(options.delayed_ack_timeout);
    expect_nothing_sent();
}

BOOST_AUTO_TEST_CASE(out_of_order_data_is_held_and_acknowledged_at_once_with_the_old_number) {
    make_established();
    const seq hole = peer_next;
    peer_next += 100;  // the first 100 bytes are lost
    send_data(200);
    expect_sent({.flags = ack, .acknowledgment = hole});
    BOOST_CHECK_EQUAL(tcp->readable(), 0u);
    // The missing piece fills the hole: everything is readable and acknowledged at once.
    const seq after = peer_next;
    peer_next = hole;
    send_data(100);
    peer_next = after;
    expect_sent({.flags = ack, .acknowledgment = after});
    const auto got = tcp->read(1000, now);
    BOOST_CHECK(contents(got) == pattern(hole, 300));
}

BOOST_AUTO_TEST_CASE(old_duplicate_data_is_acknowledged_and_not_delivered_twice) {
    make_established();
    send_data(100);
    tcp->read(1000, now);
    peer_next = seq(peer_iss + 1);
    send_data(100);  // a duplicate of what came
    expect_sent({.flags = ack, .acknowledgment = seq(peer_iss + 101)});
    BOOST_CHECK_EQUAL(tcp->readable(), 0u);
}

BOOST_AUTO_TEST_CASE(segment_outside_the_window_is_answered_with_an_ack_and_dropped) {
    make_established();
    segment far = peer(ack, 10);
    far.sequence = peer_next + 10'000'000u;
    send(std::move(far));
    expect_sent({.flags = ack, .acknowledgment = peer_next});
    BOOST_CHECK_EQUAL(tcp->counters().out_of_window, 1u);
    BOOST_CHECK_EQUAL(tcp->readable(), 0u);
}

BOOST_AUTO_TEST_CASE(segment_without_ack_is_dropped) {
    make_established();
    send(peer(psh, 10));
    expect_nothing_sent();
    BOOST_CHECK_EQUAL(tcp->readable(), 0u);
}

BOOST_AUTO_TEST_CASE(acknowledgment_frees_the_send_buffer_and_stops_the_timer) {
    make_established();
    write(1000);
    expect_sent({.flags = ack | psh, .length = 1000});
    const std::size_t room_before = tcp->send_room();
    BOOST_CHECK(tcp->next_deadline() != clock::time_point::max());
    send_ack_of(seq(our_iss + 1 + 1000));
    BOOST_CHECK_EQUAL(tcp->send_room(), room_before + 1000);
    BOOST_CHECK(tcp->take_events().writable);
    BOOST_CHECK(tcp->next_deadline() == clock::time_point::max());
}

BOOST_AUTO_TEST_CASE(write_takes_only_what_the_send_buffer_has_room_for) {
    options.send_buffer = 4000;
    make_established();
    const auto bytes = pattern(seq(our_iss + 1), 10000);
    auto taken = tcp->write(bytes, now);
    BOOST_REQUIRE(taken.ok());
    BOOST_CHECK_EQUAL(*taken, 4000u);
    BOOST_CHECK_EQUAL(tcp->send_room(), 0u);
}

BOOST_AUTO_TEST_CASE(peer_fin_moves_to_close_wait_and_the_reader_sees_the_end) {
    make_established();
    send_data(50, fin);
    BOOST_CHECK(tcp->state() == tcp_state::close_wait);
    expect_sent({.flags = ack, .acknowledgment = peer_next});  // the FIN is acknowledged at once
    BOOST_CHECK(!tcp->peer_finished());  // 50 bytes still to read
    tcp->read(100, now);
    BOOST_CHECK(tcp->peer_finished());
}

BOOST_AUTO_TEST_CASE(fin_beyond_a_hole_waits_for_the_hole) {
    make_established();
    const seq hole = peer_next;
    peer_next += 100;
    send_data(50, fin);
    expect_sent({.flags = ack, .acknowledgment = hole});
    BOOST_CHECK(tcp->state() == tcp_state::established);
    const seq after = peer_next;
    peer_next = hole;
    send_data(100);
    expect_sent({.flags = ack, .acknowledgment = after});
    BOOST_CHECK(tcp->state() == tcp_state::close_wait);
}

BOOST_AUTO_TEST_CASE(rst_at_the_expected_number_resets_and_wakes_everyone) {
    make_established();
    send(peer(rst));
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    BOOST_CHECK(tcp->error() == connection_error::reset);
    const auto events = tcp->take_events();
    BOOST_CHECK(events.closed && events.readable && events.writable);
    expect_nothing_sent();
}

BOOST_AUTO_TEST_CASE(abort_sends_rst_and_closes) {
    make_established();
    tcp->abort(now);
    expect_sent({.flags = rst, .sequence = seq(our_iss + 1)});
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    BOOST_CHECK(tcp->error() == connection_error::aborted);
}

BOOST_AUTO_TEST_CASE(close_with_unread_data_resets_instead_of_fin) {
    make_established();
    send_data(10);
    tcp->close(now);
    expect_sent({.flags = rst});
    BOOST_CHECK(tcp->state() == tcp_state::closed);
}

BOOST_AUTO_TEST_CASE(shutdown_sends_fin_after_the_queued_data) {
    make_established();
    write(100);
    expect_sent({.flags = ack | psh, .length = 100});
    tcp->shutdown_send(now);
    expect_sent({.flags = fin | ack, .sequence = seq(our_iss + 101)});
    BOOST_CHECK(tcp->state() == tcp_state::fin_wait_1);
    // Half-close: data from the peer still arrives.
    send_data(20);
    BOOST_CHECK_EQUAL(tcp->readable(), 20u);
}

BOOST_AUTO_TEST_SUITE_END()
