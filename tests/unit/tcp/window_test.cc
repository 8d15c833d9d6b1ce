// Windows (RFC 9293 3.8.6, RFC 7323 2): the peer's window bounds what we send, a zero
// window is probed on the persist timer and reopens, our window is scaled, never shrinks,
// and opens with a window update when the application reads.
#include <boost/test/unit_test.hpp>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

BOOST_FIXTURE_TEST_SUITE(window, connection_fixture)

BOOST_AUTO_TEST_CASE(sends_no_more_than_the_peer_window) {
    make_established();
    send_ack_of(our_next, 2000);
    write(5000);
    expect_sent({.flags = ack, .length = 1460});
    expect_nothing_sent();  // 540 more would fit, but a short segment waits (sender SWS)
    send_ack_of(our_next + 1460, 2000);
    expect_sent({.flags = ack, .sequence = our_next + 1460, .length = 1460});
}

BOOST_AUTO_TEST_CASE(zero_window_is_probed_and_sending_resumes_when_it_opens) {
    make_established();
    send_ack_of(our_next, 0);
    write(100);
    expect_nothing_sent();
    advance(tcp->rtt().rto());
    // The probe: SEG.SEQ = SND.UNA - 1, no data; the peer must answer with its window.
    expect_sent({.flags = ack, .sequence = our_next - 1, .length = 0});
    BOOST_CHECK_EQUAL(tcp->counters().zero_window_probes, 1u);
    // The second probe waits twice as long.
    advance(2 * tcp->rtt().rto() - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack, .sequence = our_next - 1});
    send_ack_of(our_next, 1000);
    expect_sent({.flags = ack | psh, .sequence = our_next, .length = 100});
}

BOOST_AUTO_TEST_CASE(our_window_is_shifted_by_the_negotiated_scale) {
    options.receive.capacity = 1 << 20;  // shift 5
    make_established(options);
    send_data(100);
    advance(options.delayed_ack_timeout);
    const auto got = expect_sent({.flags = ack});
    BOOST_CHECK_EQUAL(tcp->receive_window_shift(), 5);
    BOOST_CHECK_EQUAL(got.window, ((1u << 20) - 100) >> 5);
}

BOOST_AUTO_TEST_CASE(peer_window_is_scaled_by_its_shift) {
    make_established(options);  // the peer offered shift 7
    send_ack_of(our_next, 100);
    BOOST_CHECK_EQUAL(tcp->send_window(), 100u << 7);
}

BOOST_AUTO_TEST_CASE(window_closes_as_data_waits_and_reopens_with_an_update_on_read) {
    options.receive.capacity = 4 * 1460;
    options.delayed_ack = false;
    make_established();
    for (int i = 0; i < 4; ++i) {
        send_data(1460);
        sink.sent.pop_back();
    }
    send_data(0);
    BOOST_CHECK_EQUAL(tcp->readable(), 4u * 1460);
    // The buffer is full: a segment now is out of window.
    send_data(100);
    expect_sent({.flags = ack, .window = 0});
    peer_next -= 100;
    tcp->read(4 * 1460, now);
    const auto update = expect_sent({.flags = ack, .acknowledgment = peer_next});
    BOOST_CHECK_EQUAL(update.window, 4 * 1460);
}

BOOST_AUTO_TEST_CASE(the_right_edge_never_moves_back) {
    options.receive.capacity = 10000;
    options.delayed_ack = false;
    make_established();
    send_data(1000);
    const auto first = expect_sent({.flags = ack});
    const seq edge = peer_next + first.window;
    send_data(1000);
    const auto second = expect_sent({.flags = ack});
    BOOST_CHECK(peer_next + second.window == edge);  // not read: the edge stays put
}

BOOST_AUTO_TEST_CASE(nagle_holds_a_small_segment_while_data_is_unacknowledged) {
    make_established();
    tcp->set_nodelay(false);
    write(100);
    expect_sent({.flags = ack | psh, .length = 100});
    write(50);
    expect_nothing_sent();
    send_ack_of(our_next + 100);
    expect_sent({.flags = ack | psh, .sequence = our_next + 100, .length = 50});
}

BOOST_AUTO_TEST_CASE(nodelay_sends_a_small_segment_at_once) {
    make_established();
    write(100);
    expect_sent({.flags = ack | psh, .length = 100});
    write(50);
    expect_sent({.flags = ack | psh, .length = 50});
}

BOOST_AUTO_TEST_SUITE_END()
