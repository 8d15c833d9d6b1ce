// SYN-RECEIVED (RFC 9293 3.10.7.4 for a passive open): the ACK of our SYN establishes, a
// wrong ACK is reset, a retransmitted SYN is answered again, an RST ends it, and our
// SYN-ACK is retransmitted until the retry limit.
#include <boost/test/unit_test.hpp>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

BOOST_FIXTURE_TEST_SUITE(syn_received, connection_fixture)

BOOST_AUTO_TEST_CASE(ack_of_our_syn_establishes) {
    make_syn_received();
    send_ack_of(seq(our_iss + 1));
    BOOST_CHECK(tcp->state() == tcp_state::established);
    BOOST_CHECK(tcp->take_events().established);
    expect_nothing_sent();
}

BOOST_AUTO_TEST_CASE(data_on_the_third_segment_is_received) {
    make_syn_received();
    send_data(100);
    BOOST_CHECK(tcp->state() == tcp_state::established);
    BOOST_CHECK_EQUAL(tcp->readable(), 100u);
}

BOOST_AUTO_TEST_CASE(ack_of_another_number_is_answered_with_reset) {
    make_syn_received();
    send_ack_of(seq(our_iss + 9));
    expect_sent({.flags = rst, .sequence = seq(our_iss + 9)});
    BOOST_CHECK(tcp->state() == tcp_state::syn_received);
}

BOOST_AUTO_TEST_CASE(retransmitted_syn_is_answered_with_syn_ack_again) {
    make_syn_received();
    segment again = peer(syn);
    again.sequence = seq(peer_iss);
    send(std::move(again));
    expect_sent({.flags = syn | ack, .sequence = seq(our_iss), .acknowledgment = seq(peer_iss + 1)});
}

BOOST_AUTO_TEST_CASE(rst_ends_the_half_open_connection) {
    make_syn_received();
    send(peer(rst));
    BOOST_CHECK(tcp->state() == tcp_state::closed);
}

BOOST_AUTO_TEST_CASE(syn_ack_is_retransmitted_then_given_up) {
    options.syn_retries = 2;
    make_syn_received();
    advance(1s);
    expect_sent({.flags = syn | ack, .sequence = seq(our_iss)});
    advance(2s);
    expect_sent({.flags = syn | ack, .sequence = seq(our_iss)});
    advance(4s);
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    BOOST_CHECK(tcp->error() == connection_error::timed_out);
}

BOOST_AUTO_TEST_SUITE_END()
