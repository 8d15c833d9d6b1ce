// Keepalive (RFC 1122 4.2.3.6) and the one deadline a connection gives its loop.
#include <boost/test/unit_test.hpp>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

BOOST_FIXTURE_TEST_SUITE(keepalive, connection_fixture)

BOOST_AUTO_TEST_CASE(is_off_by_default) {
    make_established();
    BOOST_CHECK(tcp->next_deadline() == clock::time_point::max());
    advance(3h);
    expect_nothing_sent();
}

BOOST_AUTO_TEST_CASE(probes_after_idle_and_times_out_when_unanswered) {
    options.keepalive = true;
    options.keepalive_idle = 10s;
    options.keepalive_interval = 1s;
    options.keepalive_probes = 3;
    make_established();
    tcp->set_keepalive(true, now);
    advance(10s - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack, .sequence = our_next - 1, .length = 0});
    advance(1s);
    expect_sent({.flags = ack, .sequence = our_next - 1});
    advance(1s);
    expect_sent({.flags = ack, .sequence = our_next - 1});
    advance(1s);
    BOOST_CHECK(tcp->state() == tcp_state::closed);
    BOOST_CHECK(tcp->error() == connection_error::timed_out);
}

BOOST_AUTO_TEST_CASE(keepalive_in_the_options_starts_at_establishment) {
    options.keepalive = true;
    options.keepalive_idle = 5s;
    make_established();
    BOOST_CHECK(tcp->next_deadline() == now + 5s);
    advance(5s);
    expect_sent({.flags = ack, .sequence = our_next - 1, .length = 0});
}

BOOST_AUTO_TEST_CASE(an_answer_resets_the_idle_time) {
    options.keepalive_idle = 10s;
    options.keepalive_interval = 1s;
    make_established();
    tcp->set_keepalive(true, now);
    advance(10s);
    expect_sent({.flags = ack, .sequence = our_next - 1});
    send_ack_of(our_next);  // the peer answers
    advance(10s - 1ns);
    expect_nothing_sent();
    BOOST_CHECK(tcp->state() == tcp_state::established);
    BOOST_CHECK_EQUAL(tcp->counters().keepalive_probes, 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(delayed_ack, connection_fixture)

BOOST_AUTO_TEST_CASE(deadline_is_the_delayed_ack_while_one_is_owed) {
    make_established();
    send_data(10);
    BOOST_CHECK(tcp->next_deadline() == now + options.delayed_ack_timeout);
}

BOOST_AUTO_TEST_SUITE_END()
