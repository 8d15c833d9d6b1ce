// SYN-SENT (RFC 9293 3.10.7.3): what our SYN offers, how the peer's answer completes,
// refuses or crosses the open, and how an unanswered SYN is retried and given up.
#include <boost/test/unit_test.hpp>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

BOOST_FIXTURE_TEST_SUITE(syn_sent, connection_fixture)

BOOST_AUTO_TEST_CASE(syn_offers_mss_window_scale_sack_and_timestamps) {
    options.receive.capacity = 1 << 20;
    make(options);
    tcp->open(seq(our_iss), now);
    BOOST_CHECK(tcp->state() == tcp_state::syn_sent);
    const auto sent = expect_sent({.flags = syn, .sequence = seq(our_iss), .length = 0});
    BOOST_CHECK_EQUAL(sent.options.mss.value_or(0), options.mss);
    // 1 MiB needs a shift of 5 to fit 16 bits (RFC 7323 2.3); the SYN's window is unscaled.
    BOOST_CHECK_EQUAL(sent.options.window_scale.value_or(99), 5);
    BOOST_CHECK_EQUAL(sent.window, 65535);
    BOOST_CHECK(sent.options.sack_permitted);
    BOOST_REQUIRE(sent.options.timestamps.has_value());
    BOOST_CHECK_EQUAL(sent.options.timestamps->echo_reply, 0u);
}

BOOST_AUTO_TEST_CASE(syn_ack_completes_the_handshake_and_negotiates_the_options) {
    make_established(options);
    BOOST_CHECK(tcp->take_events().established == false);  // taken by the factory
    BOOST_CHECK(tcp->timestamps_enabled());
    BOOST_CHECK(tcp->sack_enabled());
    BOOST_CHECK_EQUAL(tcp->send_window_shift(), 7);
    // The peer's 1460 less 12 bytes of timestamps on every segment (RFC 9293 3.7.1).
    BOOST_CHECK_EQUAL(tcp->send_mss(), 1460 - 12);
    BOOST_CHECK(tcp->receive_next() == seq(peer_iss + 1));
}

BOOST_AUTO_TEST_CASE(syn_ack_without_options_turns_them_off_and_assumes_mss_536) {
    make(options);
    tcp->open(seq(our_iss), now);
    expect_sent({.flags = syn});
    segment synack = peer(syn | ack);
    synack.sequence = seq(peer_iss);
    send(std::move(synack));
    expect_sent({.flags = ack, .acknowledgment = seq(peer_iss + 1)});
    BOOST_CHECK(tcp->state() == tcp_state::established);
    BOOST_CHECK(tcp->take_events().established);
    BOOST_CHECK(!tcp->timestamps_enabled());
    BOOST_CHECK(!tcp->sack_enabled());
    BOOST_CHECK_EQUAL(tcp->send_window_shift(), 0);
    BOOST_CHECK_EQUAL(tcp->send_mss(), 536);  // RFC 9293 3.7.1, MUST-15
}

BOOST_AUTO_TEST_CASE(rst_acknowledging_our_syn_refuses_the_connection) {
    make(options);
    tcp->open(seq(our_iss), now);
    expect_sent({.flags = syn});
    segment refusal = peer(rst | ack);
    refusal.sequence = seq(0);
    send(std::move(refusal));
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    BOOST_CHECK(tcp->error() == connection_error::refused);
    BOOST_CHECK(tcp->take_events().closed);
    expect_nothing_sent();
    BOOST_CHECK(tcp->next_deadline() == clock::time_point::max());
}

BOOST_AUTO_TEST_CASE(rst_without_ack_is_ignored) {
    make(options);
    tcp->open(seq(our_iss), now);
    expect_sent({.flags = syn});
    segment blind = peer(rst);
    send(std::move(blind));
    BOOST_CHECK(tcp->state() == tcp_state::syn_sent);
    expect_nothing_sent();
}

BOOST_AUTO_TEST_CASE(ack_of_another_number_is_answered_with_reset_at_that_number) {
    make(options);
    tcp->open(seq(our_iss), now);
    expect_sent({.flags = syn});
    segment stale = peer(syn | ack);
    stale.sequence = seq(peer_iss);
    stale.acknowledgment = seq(our_iss + 77);
    send(std::move(stale));
    expect_sent({.flags = rst, .sequence = seq(our_iss + 77)});
    BOOST_CHECK(tcp->state() == tcp_state::syn_sent);
}

BOOST_AUTO_TEST_CASE(crossing_syns_move_to_syn_received_and_answer_with_syn_ack) {
    make(options);
    tcp->open(seq(our_iss), now);
    expect_sent({.flags = syn});
    segment theirs = peer(syn);
    theirs.sequence = seq(peer_iss);
    theirs.options.mss = 1400;
    send(std::move(theirs));
    BOOST_CHECK(tcp->state() == tcp_state::syn_received);
    expect_sent({.flags = syn | ack, .sequence = seq(our_iss), .acknowledgment = seq(peer_iss + 1)});
    // Their SYN-ACK (RFC 9293 Figure 8) completes it.
    send_ack_of(seq(our_iss + 1));
    BOOST_CHECK(tcp->state() == tcp_state::established);
}

BOOST_AUTO_TEST_CASE(retransmits_syn_with_backoff_then_times_out) {
    options.syn_retries = 3;
    make(options);
    tcp->open(seq(our_iss), now);
    expect_sent({.flags = syn});
    const clock::time_point opened = now;
    // RFC 6298 (2.1): the first timeout is 1 s; then 2 s, 4 s (5.5).
    advance(999ms);
    expect_nothing_sent();
    advance(1ms);
    expect_sent({.flags = syn, .sequence = seq(our_iss)});
    BOOST_CHECK(now - opened == 1s);
    advance(2s);
    expect_sent({.flags = syn, .sequence = seq(our_iss)});
    advance(4s);
    expect_sent({.flags = syn, .sequence = seq(our_iss)});
    advance(8s);
    expect_nothing_sent();
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    BOOST_CHECK(tcp->error() == connection_error::timed_out);
}

// The window our SYN offered counts from the peer's ISN once we know it, whatever that
// ISN is: here one half the sequence space away from 0, where a window counted from 0
// would look far ahead (or behind) of RCV.NXT.
BOOST_AUTO_TEST_CASE(the_first_window_we_advertise_counts_from_the_peer_isn) {
    options.window_scale = options.sack = options.timestamps = false;
    options.receive.capacity = 20000;
    options.delayed_ack = false;
    make(options);
    tcp->open(seq(our_iss), now);
    expect_sent({.flags = syn, .window = 20000});
    for (const std::uint32_t isn : {0xf0000000u, 0x70000000u}) {
        make(options);
        sink.sent.clear();
        tcp->open(seq(our_iss), now);
        sink.sent.clear();
        segment synack = peer(syn | ack);
        synack.sequence = seq(isn);
        synack.acknowledgment = seq(our_iss + 1);
        synack.options.mss = 1460;
        send(std::move(synack));
        const auto got = expect_sent({.flags = ack, .acknowledgment = seq(isn + 1)});
        BOOST_CHECK_EQUAL(got.window, 20000);
    }
}

BOOST_AUTO_TEST_CASE(data_written_before_the_handshake_leaves_after_it) {
    options.window_scale = options.sack = options.timestamps = false;
    make(options);
    tcp->open(seq(our_iss), now);
    expect_sent({.flags = syn});
    write(100);
    expect_nothing_sent();
    segment synack = peer(syn | ack);
    synack.sequence = seq(peer_iss);
    synack.options.mss = 1460;
    send(std::move(synack));
    expect_sent({.flags = ack | psh, .sequence = seq(our_iss + 1), .acknowledgment = seq(peer_iss + 1), .length = 100});
}

BOOST_AUTO_TEST_CASE(close_before_the_answer_ends_without_a_segment) {
    make(options);
    tcp->open(seq(our_iss), now);
    expect_sent({.flags = syn});
    tcp->close(now);
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    expect_nothing_sent();
}

BOOST_AUTO_TEST_SUITE_END()
