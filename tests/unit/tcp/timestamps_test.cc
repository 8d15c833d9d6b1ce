// Timestamps (RFC 7323 3-5): every segment carries TSval and echoes TS.Recent, TS.Recent
// follows the segment at the left edge, and PAWS drops a segment whose TSval went back.
#include <boost/test/unit_test.hpp>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

BOOST_FIXTURE_TEST_SUITE(timestamps, connection_fixture)

BOOST_AUTO_TEST_CASE(segments_echo_the_peer_timestamp) {
    options.delayed_ack = false;
    make_established(options);
    segment data = peer(ack, 10);
    data.options.timestamps = wire::tcp_timestamps{555, 0};
    send(std::move(data));
    peer_next += 10;
    const auto got = expect_sent({.flags = ack});
    BOOST_REQUIRE(got.options.timestamps.has_value());
    BOOST_CHECK_EQUAL(got.options.timestamps->echo_reply, 555u);
}

BOOST_AUTO_TEST_CASE(paws_drops_a_segment_with_an_older_timestamp) {
    options.delayed_ack = false;
    make_established(options);
    segment fresh = peer(ack, 10);
    fresh.options.timestamps = wire::tcp_timestamps{1000, 0};
    send(std::move(fresh));
    peer_next += 10;
    sink.sent.clear();
    segment old = peer(ack, 10);
    old.options.timestamps = wire::tcp_timestamps{999, 0};
    send(std::move(old));
    expect_sent({.flags = ack, .acknowledgment = peer_next});  // acknowledged, not taken
    BOOST_CHECK_EQUAL(tcp->readable(), 10u);
    BOOST_CHECK_EQUAL(tcp->counters().paws_rejected, 1u);
}

BOOST_AUTO_TEST_CASE(timestamp_clock_ticks_in_milliseconds) {
    make_established(options);
    write(10);
    const auto first = expect_sent({.flags = ack | psh});
    advance(5ms);
    send_ack_of(our_next + 10);
    write(10);
    const auto second = expect_sent({.flags = ack | psh});
    BOOST_REQUIRE(first.options.timestamps && second.options.timestamps);
    BOOST_CHECK_EQUAL(second.options.timestamps->value - first.options.timestamps->value, 5u);
}

BOOST_AUTO_TEST_SUITE_END()
