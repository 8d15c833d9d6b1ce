// RFC 5961: an in-window RST that is not exactly RCV.NXT, any SYN on a synchronized
// connection, and an ACK for data never sent each get a challenge ACK and change nothing;
// challenge ACKs are rate limited (section 7).
#include <boost/test/unit_test.hpp>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

BOOST_FIXTURE_TEST_SUITE(rfc5961, connection_fixture)

BOOST_AUTO_TEST_CASE(in_window_rst_off_the_exact_number_gets_a_challenge_ack) {
    make_established();
    segment blind = peer(rst);
    blind.sequence = peer_next + 1000;
    send(std::move(blind));
    expect_sent({.flags = ack, .sequence = our_next, .acknowledgment = peer_next});
    BOOST_CHECK(tcp->state() == tcp_state::established);
    BOOST_CHECK_EQUAL(tcp->counters().challenge_acks, 1u);
}

BOOST_AUTO_TEST_CASE(out_of_window_rst_is_dropped_silently) {
    make_established();
    segment blind = peer(rst);
    blind.sequence = peer_next + 10'000'000u;
    send(std::move(blind));
    expect_nothing_sent();
    BOOST_CHECK(tcp->state() == tcp_state::established);
}

BOOST_AUTO_TEST_CASE(syn_on_an_established_connection_gets_a_challenge_ack) {
    make_established();
    segment again = peer(syn);
    send(std::move(again));
    expect_sent({.flags = ack, .acknowledgment = peer_next});
    BOOST_CHECK(tcp->state() == tcp_state::established);
}

BOOST_AUTO_TEST_CASE(ack_of_data_never_sent_is_challenged_and_ignored) {
    make_established();
    write(100);
    sink.sent.clear();
    send_ack_of(our_next + 5000);
    expect_sent({.flags = ack, .acknowledgment = peer_next});
    BOOST_CHECK(tcp->send_unacknowledged() == our_next);
    BOOST_CHECK_EQUAL(tcp->counters().ack_of_unsent, 1u);
}

BOOST_AUTO_TEST_CASE(ack_older_than_the_largest_window_is_challenged) {
    make_established();
    send_ack_of(our_next - 100'000u);
    expect_sent({.flags = ack});
    BOOST_CHECK_EQUAL(tcp->counters().challenge_acks, 1u);
}

BOOST_AUTO_TEST_CASE(challenge_acks_are_rate_limited) {
    options.challenge_acks_per_second = 5;
    make_established();
    for (int i = 0; i < 20; ++i) {
        segment blind = peer(rst);
        blind.sequence = peer_next + 100u + std::uint32_t(i);
        send(std::move(blind));
    }
    BOOST_CHECK_EQUAL(sink.sent.size(), 5u);
    BOOST_CHECK_EQUAL(tcp->counters().challenge_acks_limited, 15u);
    sink.sent.clear();
    advance(1s);
    segment later = peer(rst);
    later.sequence = peer_next + 7u;
    send(std::move(later));
    BOOST_CHECK_EQUAL(sink.sent.size(), 1u);
}

BOOST_AUTO_TEST_SUITE_END()
