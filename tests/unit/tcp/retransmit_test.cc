// Retransmission (RFC 6298): the timer's start and stop, back-off, the go-back to SND.UNA
// after a timeout, Karn's rule for RTT samples, and giving up (RFC 9293 3.8.3).
#include <boost/test/unit_test.hpp>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

BOOST_FIXTURE_TEST_SUITE(retransmit, connection_fixture)

BOOST_AUTO_TEST_CASE(retransmits_after_rto_with_backoff) {
    make_established();
    write(100);
    expect_sent({.flags = ack | psh, .length = 100});
    const auto rto = tcp->rtt().rto();
    advance(rto - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack | psh, .sequence = seq(our_iss + 1), .length = 100});
    advance(2 * rto - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack | psh, .sequence = seq(our_iss + 1), .length = 100});
    BOOST_CHECK_EQUAL(tcp->counters().retransmit_timeouts, 2u);
    BOOST_CHECK_EQUAL(tcp->rtt().back_offs(), 2u);
}

BOOST_AUTO_TEST_CASE(timeout_goes_back_to_the_first_unacknowledged_byte_with_one_segment) {
    make_established();
    write(4 * 1460);
    for (int i = 0; i < 4; ++i) expect_sent({.flags = i == 3 ? std::uint8_t(ack | psh) : ack, .length = 1460});
    advance(tcp->rtt().rto());
    // RFC 5681 3.1: the loss window is one segment.
    expect_sent({.flags = ack, .sequence = seq(our_iss + 1), .length = 1460});
    expect_nothing_sent();
    BOOST_CHECK_EQUAL(tcp->congestion_window(), tcp->send_mss());
    // Each ACK then lets slow start resend the rest from SND.UNA.
    send_ack_of(seq(our_iss + 1 + 1460));
    expect_sent({.flags = ack, .sequence = seq(our_iss + 1 + 1460), .length = 1460});
    expect_sent({.flags = ack, .sequence = seq(our_iss + 1 + 2920), .length = 1460});
}

// RFC 6298 (5.7): a SYN that timed out leaves no RTT sample (Karn), and data then starts
// with an RTO of 3 s, not the initial 1 s; the first sample replaces it.
BOOST_AUTO_TEST_CASE(data_after_a_syn_timeout_starts_with_a_three_second_rto) {
    make_established_from(seq(our_iss), 1);
    BOOST_CHECK(!tcp->rtt().has_sample());
    BOOST_CHECK(tcp->rtt().rto() == clock::duration(3s));
    write(100);
    expect_sent({.flags = ack | psh, .length = 100});
    advance(3s - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack | psh, .sequence = seq(our_iss + 1), .length = 100});
    // Without the timeout, the same handshake samples its RTT and data uses it.
    make_established_from(seq(our_iss), 0);
    BOOST_CHECK(tcp->rtt().has_sample());
    BOOST_CHECK(tcp->rtt().rto() == options.rto.minimum);
}

BOOST_AUTO_TEST_CASE(rtt_is_sampled_from_a_first_transmission) {
    make_established();
    write(100);
    expect_sent({.flags = ack | psh, .length = 100});
    advance(3ms);
    send_ack_of(seq(our_iss + 101));
    // The SYN's sample was 0 (answered at once); this one is 3 ms: RFC 6298 (2.3) gives
    // SRTT = 7/8 * 0 + 1/8 * 3 ms.
    BOOST_CHECK(tcp->rtt().smoothed() == clock::duration(3ms) / 8);
}

BOOST_AUTO_TEST_CASE(a_retransmitted_segment_gives_no_rtt_sample) {
    make_established();
    write(100);
    expect_sent({.flags = ack | psh, .length = 100});
    const auto smoothed_before = tcp->rtt().smoothed();
    advance(tcp->rtt().rto());
    expect_sent({.flags = ack | psh, .length = 100});
    advance(1ms);
    send_ack_of(seq(our_iss + 101));
    BOOST_CHECK(tcp->rtt().smoothed() == smoothed_before);  // Karn: ambiguous, not taken
    BOOST_CHECK_EQUAL(tcp->rtt().back_offs(), 0u);           // progress clears the back-off
}

// After a timeout rewinds SND.NXT, an ACK still carries the highest number sent: the peer
// may hold all of it, and an ACK below its RCV.NXT would be unacceptable there (two
// rewound stacks would trade such ACKs for ever, neither reading the other's).
BOOST_AUTO_TEST_CASE(acks_after_a_timeout_carry_the_highest_sequence_sent) {
    options.delayed_ack = false;
    make_established();
    write(3 * 1460);
    sink.sent.clear();
    advance(tcp->rtt().rto());
    expect_sent({.flags = ack, .sequence = seq(our_iss + 1), .length = 1460});  // the go-back
    send_data(10);
    expect_sent({.flags = ack, .sequence = seq(our_iss + 1 + 3 * 1460), .acknowledgment = peer_next});
}

BOOST_AUTO_TEST_CASE(gives_up_after_the_retry_limit) {
    options.data_retries = 3;
    make_established();
    write(10);
    expect_sent({.flags = ack | psh});
    for (int i = 0; i < 3; ++i) {
        advance(tcp->rtt().rto());
        expect_sent({.flags = ack | psh, .sequence = seq(our_iss + 1)});
    }
    advance(tcp->rtt().rto());
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    BOOST_CHECK(tcp->error() == connection_error::timed_out);
    BOOST_CHECK(tcp->take_events().closed);
}

BOOST_AUTO_TEST_CASE(minimum_rto_is_the_setting_not_one_second) {
    options.rto.minimum = 5ms;
    make_established();
    // The SYN was answered at once: RTO is the floor.
    BOOST_CHECK(tcp->rtt().rto() == clock::duration(5ms));
    tcp->set_minimum_rto(50ms);
    BOOST_CHECK(tcp->rtt().rto() == clock::duration(50ms));
}

BOOST_AUTO_TEST_SUITE_END()
