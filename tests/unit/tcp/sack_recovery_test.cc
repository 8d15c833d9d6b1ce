// SACK (RFC 2018) as receiver and sender: blocks on our ACKs for held data, most recent
// first; and recovery that resends only what the peer's blocks show missing (RFC 6675).
#include <boost/test/unit_test.hpp>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

BOOST_FIXTURE_TEST_SUITE(sack, connection_fixture)

BOOST_AUTO_TEST_CASE(acks_for_out_of_order_data_carry_sack_blocks_most_recent_first) {
    make_established(options);  // SACK and timestamps negotiated
    const seq start = peer_next;
    peer_next = start + 100;
    send_data(100);  // [100, 200) held
    auto first = expect_sent({.flags = ack, .acknowledgment = start});
    BOOST_REQUIRE_EQUAL(first.options.sack_count, 1);
    BOOST_CHECK_EQUAL(first.options.sack[0].left, (start + 100).value);
    BOOST_CHECK_EQUAL(first.options.sack[0].right, (start + 200).value);
    peer_next = start + 300;
    send_data(100);  // [300, 400) held too
    auto second = expect_sent({.flags = ack, .acknowledgment = start});
    BOOST_REQUIRE_EQUAL(second.options.sack_count, 2);
    BOOST_CHECK_EQUAL(second.options.sack[0].left, (start + 300).value);
    BOOST_CHECK_EQUAL(second.options.sack[1].left, (start + 100).value);
    BOOST_CHECK(second.options.timestamps.has_value());
}

BOOST_AUTO_TEST_CASE(recovery_resends_only_the_holes_the_blocks_show) {
    make_established(options);
    const std::uint32_t mss = tcp->send_mss();
    const seq first(our_iss + 1);
    write(6 * mss);
    sink.sent.clear();
    // Segments 0 and 2 lost; 1, 3, 4, 5 SACKed over three duplicate ACKs.
    auto dup = [&](std::initializer_list<std::pair<unsigned, unsigned>> blocks) {
        segment s = peer(ack);
        s.acknowledgment = first;
        s.options.timestamps = wire::tcp_timestamps{200, 0};
        for (auto [from, to] : blocks) {
            s.options.sack[s.options.sack_count++] = {(first + from * mss).value, (first + to * mss).value};
        }
        send(std::move(s));
    };
    dup({{1, 2}});
    dup({{3, 4}, {1, 2}});
    dup({{3, 6}, {1, 2}});
    BOOST_CHECK(tcp->in_recovery());
    expect_sent({.flags = ack, .sequence = first, .length = mss});
    expect_sent({.flags = ack, .sequence = first + 2 * mss, .length = mss});
    for (const auto& left : sink.sent) {
        BOOST_CHECK_MESSAGE(left.sequence != first + mss, "resent a SACKed segment");
    }
}

BOOST_AUTO_TEST_CASE(sack_is_off_unless_both_sides_offer_it) {
    options.sack = false;
    make_established(options);
    BOOST_CHECK(!tcp->sack_enabled());
    peer_next += 100;
    send_data(100);
    const auto got = expect_sent({.flags = ack});
    BOOST_CHECK_EQUAL(got.options.sack_count, 0);
}

BOOST_AUTO_TEST_SUITE_END()
