// The tail loss probe (RFC 8985 7) and D-SACK (RFC 2883): when a probe is armed and what
// it carries, what the peer's answer to it means (a hidden loss found by SACK, a loss the
// probe repaired, a probe that was not needed), when no probe is sent, and the D-SACK
// blocks our own ACKs carry for duplicates we receive.
#include <boost/test/unit_test.hpp>

#include <climits>
#include <initializer_list>
#include <utility>

#include "sluice/net/tcp/loss_probe.hh"
#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

namespace {

struct probe_fixture : connection_fixture {
    std::uint32_t mss = 0;
    seq base{our_iss + 1};  // the first byte of the flight a test sends

    probe_fixture() {
        options.tail_loss_probe = true;
        options.loss_probe_minimum = 0ns;
        options.loss_probe_delayed_ack = 200ms;  // RFC 8985's WCDelAckT unless a test says otherwise
    }

    // SACK and timestamps negotiated, then one segment answered after `rtt`: the SYN's
    // sample was 0, so SRTT becomes rtt / 8 (RFC 6298 (2.3)); the RTO stays at its minimum.
    void establish_with_rtt(clock::duration rtt) {
        make_established(options);
        mss = tcp->send_mss();
        write(mss);
        expect_sent({.flags = ack | psh, .length = mss});
        advance(rtt);
        send_ack_of(base + mss);
        base += mss;
        BOOST_REQUIRE(tcp->rtt().smoothed() == rtt / 8);
        expect_nothing_sent();
    }

    // `n` full segments from base, all sent at once.
    void send_flight(unsigned n) {
        write(n * mss);
        for (unsigned i = 0; i < n; ++i) {
            expect_sent({.flags = i + 1 == n ? std::uint8_t(ack | psh) : ack, .sequence = base + i * mss, .length = mss});
        }
    }

    // An ACK from the peer with SACK blocks given as segment numbers from base.
    void ack_with_blocks(seq acknowledged, std::initializer_list<std::pair<unsigned, unsigned>> blocks) {
        segment s = peer(ack);
        s.acknowledgment = acknowledged;
        for (auto [from, to] : blocks) {
            s.options.sack[s.options.sack_count++] = {(base + from * mss).value, (base + to * mss).value};
        }
        send(std::move(s));
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(loss_probe_suite, probe_fixture)

BOOST_AUTO_TEST_CASE(probes_the_last_segment_two_srtt_after_a_silent_tail) {
    establish_with_rtt(800us);  // SRTT 100 us
    send_flight(4);
    advance(200us - 1ns);
    expect_nothing_sent();
    advance(1ns);
    // RFC 8985 7.3: no new data to send, so the last segment goes again.
    expect_sent({.flags = ack | psh, .sequence = base + 3 * mss, .length = mss});
    BOOST_CHECK_EQUAL(tcp->counters().loss_probes, 1u);
    BOOST_CHECK_EQUAL(tcp->counters().retransmit_timeouts, 0u);
    // One probe only; then the RTO, restarted by the probe, watches it.
    const auto rto = tcp->rtt().rto();
    advance(rto - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack, .sequence = base, .length = mss});
    BOOST_CHECK_EQUAL(tcp->counters().retransmit_timeouts, 1u);
    BOOST_CHECK_EQUAL(tcp->counters().loss_probes, 1u);
}

BOOST_AUTO_TEST_CASE(a_sacked_probe_starts_recovery_of_the_segments_below_it_at_once) {
    establish_with_rtt(800us);
    send_flight(4);  // all but the probe's copy of the last are lost
    advance(200us);
    expect_sent({.flags = ack | psh, .sequence = base + 3 * mss, .length = mss});
    // The probe arrives: one SACK block, which RFC 6675's counting alone would not call a loss.
    ack_with_blocks(base, {{3, 4}});
    BOOST_CHECK(tcp->in_recovery());
    expect_sent({.flags = ack, .sequence = base, .length = mss});
    expect_sent({.flags = ack, .sequence = base + mss, .length = mss});  // the pipe allows a second
    BOOST_CHECK_EQUAL(tcp->counters().loss_probe_recoveries, 1u);
    BOOST_CHECK_EQUAL(tcp->counters().retransmit_timeouts, 0u);
    ack_with_blocks(base + 2 * mss, {{3, 4}});
    expect_sent({.flags = ack, .sequence = base + 2 * mss, .length = mss});
    send_ack_of(base + 4 * mss);
    BOOST_CHECK(!tcp->in_recovery());
    BOOST_CHECK_EQUAL(tcp->counters().retransmit_timeouts, 0u);
}

// Two SACKed segments above a hole are not enough for RFC 6675's counting (DupThresh 3),
// and nothing more will come. At the probe timer every byte in flight is a PTO old: the
// hole below SACKed data is lost by RACK's time rule (RFC 8985 6.2), so recovery starts
// then, without a probe.
BOOST_AUTO_TEST_CASE(a_hole_below_sacked_data_is_recovered_at_the_probe_timer) {
    establish_with_rtt(800us);
    send_flight(4);
    send_ack_of(base + mss);
    ack_with_blocks(base + mss, {{2, 3}});
    ack_with_blocks(base + mss, {{2, 4}});
    expect_nothing_sent();
    BOOST_REQUIRE(!tcp->in_recovery());
    const auto timeout = 2 * tcp->rtt().smoothed();
    advance(timeout - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack, .sequence = base + mss, .length = mss});
    BOOST_CHECK(tcp->in_recovery());
    BOOST_CHECK_EQUAL(tcp->counters().loss_probes, 0u);
    BOOST_CHECK_EQUAL(tcp->counters().loss_probe_recoveries, 1u);
    send_ack_of(base + 4 * mss);
    BOOST_CHECK(!tcp->in_recovery());
    BOOST_CHECK_EQUAL(tcp->counters().retransmit_timeouts, 0u);
}

// RFC 6675 sends each hole once. When that retransmission is lost too, nothing more comes
// back that would send it again, and recovery used to stall until the RTO. The same timer,
// run from the last send while in recovery, sends the hole again.
BOOST_AUTO_TEST_CASE(a_lost_retransmission_is_sent_again_at_the_recovery_timer) {
    establish_with_rtt(800us);
    send_flight(6);
    ack_with_blocks(base, {{1, 2}});
    ack_with_blocks(base, {{1, 3}});
    ack_with_blocks(base, {{1, 4}});
    BOOST_REQUIRE(tcp->in_recovery());
    expect_sent({.flags = ack, .sequence = base, .length = mss});
    ack_with_blocks(base, {{1, 6}});  // the rest arrives; the retransmission does not
    expect_nothing_sent();
    const auto timeout = 2 * tcp->rtt().smoothed();
    advance(timeout - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack, .sequence = base, .length = mss});
    BOOST_CHECK_EQUAL(tcp->counters().retransmissions_lost, 1u);
    BOOST_CHECK_EQUAL(tcp->counters().retransmit_timeouts, 0u);
    BOOST_CHECK_EQUAL(tcp->counters().fast_retransmits, 1u);  // the same recovery: no second cut
    send_ack_of(base + 6 * mss);
    BOOST_CHECK(!tcp->in_recovery());
}

// A peer that has gone silent gets the holes once more, then meets the RTO as before: the
// recovery timer neither repeats nor moves the RTO.
BOOST_AUTO_TEST_CASE(a_silent_peer_in_recovery_gets_one_resend_then_the_rto) {
    establish_with_rtt(800us);
    send_flight(6);
    ack_with_blocks(base, {{1, 2}});
    ack_with_blocks(base, {{1, 3}});
    ack_with_blocks(base, {{1, 6}});
    BOOST_REQUIRE(tcp->in_recovery());
    expect_sent({.flags = ack, .sequence = base, .length = mss});
    const auto rto = tcp->rtt().rto();
    advance(rto - 1ns);
    expect_sent({.flags = ack, .sequence = base, .length = mss});  // once, at the recovery timer
    expect_nothing_sent();
    BOOST_CHECK_EQUAL(tcp->counters().retransmissions_lost, 1u);
    advance(1ns);
    expect_sent({.flags = ack, .sequence = base, .length = mss});  // the RTO
    BOOST_CHECK_EQUAL(tcp->counters().retransmit_timeouts, 1u);
    BOOST_CHECK(!tcp->in_recovery());
}

BOOST_AUTO_TEST_CASE(without_the_probe_the_same_tail_waits_for_the_rto) {
    options.tail_loss_probe = false;
    establish_with_rtt(800us);
    send_flight(4);
    const auto rto = tcp->rtt().rto();
    advance(rto - 1ns);
    expect_nothing_sent();
    BOOST_CHECK_EQUAL(tcp->counters().loss_probes, 0u);
    advance(1ns);
    expect_sent({.flags = ack, .sequence = base, .length = mss});
    BOOST_CHECK_EQUAL(tcp->counters().retransmit_timeouts, 1u);
}

BOOST_AUTO_TEST_CASE(an_ack_of_new_data_restarts_the_probe_timer) {
    establish_with_rtt(800us);
    send_flight(4);
    advance(150us);
    send_ack_of(base + 2 * mss);  // RFC 8985 7.2: the PTO counts again from here, from the new SRTT
    const auto timeout = 2 * tcp->rtt().smoothed();
    BOOST_REQUIRE(timeout > 200us);
    advance(timeout - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack | psh, .sequence = base + 3 * mss, .length = mss});
}

BOOST_AUTO_TEST_CASE(a_probe_carries_new_data_when_the_peer_window_has_room) {
    establish_with_rtt(800us);
    write(20 * mss);  // more than the congestion window lets out
    const std::size_t left = sink.sent.size();
    BOOST_REQUIRE_LT(left, 20u);
    sink.sent.clear();
    advance(200us);
    // RFC 8985 7.3: a segment never sent before, past the congestion window.
    expect_sent({.flags = ack, .sequence = base + std::uint32_t(left) * mss, .length = mss});
    BOOST_CHECK_EQUAL(tcp->counters().loss_probes, 1u);
    BOOST_CHECK_EQUAL(tcp->counters().retransmitted_segments, 0u);
    // Its acknowledgment closes the episode with nothing to repair.
    send_ack_of(base + std::uint32_t(left + 1) * mss);
    BOOST_CHECK_EQUAL(tcp->counters().loss_probe_recoveries, 0u);
    BOOST_CHECK_EQUAL(tcp->congestion().slow_start_threshold(), UINT32_MAX);
}

BOOST_AUTO_TEST_CASE(a_probe_that_repaired_the_only_loss_shrinks_the_window) {
    options.loss_probe_delayed_ack = 0ns;  // a peer that acknowledges a lone segment at once
    options.loss_probe_minimum = 200us;    // SRTT is 0 (the SYN's sample): the floor decides
    make_established(options);
    mss = tcp->send_mss();
    send_flight(2);
    send_ack_of(base + mss);  // the last segment was lost
    advance(200us);
    expect_sent({.flags = ack | psh, .sequence = base + mss, .length = mss});
    send_ack_of(base + 2 * mss);  // the probe arrived (or a late ACK of the first copy)
    BOOST_CHECK_EQUAL(tcp->congestion().slow_start_threshold(), UINT32_MAX);
    write(mss);
    expect_sent({.flags = ack | psh, .sequence = base + 2 * mss, .length = mss});
    send_ack_of(base + 3 * mss);  // no D-SACK came: the probe was the copy that arrived
    BOOST_CHECK_EQUAL(tcp->counters().loss_probe_recoveries, 1u);
    // RFC 8985 7.4.2 with NewReno: ssthresh = max(FlightSize / 2, 2 * SMSS) of the probe's flight.
    BOOST_CHECK_EQUAL(tcp->congestion().slow_start_threshold(), 2 * mss);
    BOOST_CHECK_EQUAL(tcp->counters().fast_retransmits, 0u);
}

BOOST_AUTO_TEST_CASE(a_probe_the_peer_reports_in_a_dsack_leaves_the_window_alone) {
    establish_with_rtt(800us);
    send_flight(2);
    advance(200us);  // both arrived, but their ACK is late
    expect_sent({.flags = ack | psh, .sequence = base + mss, .length = mss});
    send_ack_of(base + 2 * mss);
    ack_with_blocks(base + 2 * mss, {{1, 2}});  // RFC 2883: the probe's copy was a duplicate
    BOOST_CHECK_EQUAL(tcp->counters().loss_probes_redundant, 1u);
    write(mss);
    expect_sent({.flags = ack | psh, .length = mss});
    send_ack_of(base + 3 * mss);
    BOOST_CHECK_EQUAL(tcp->counters().loss_probe_recoveries, 0u);
    BOOST_CHECK_EQUAL(tcp->congestion().slow_start_threshold(), UINT32_MAX);
}

BOOST_AUTO_TEST_CASE(a_peer_without_dsack_shows_a_needless_probe_by_a_duplicate_ack) {
    establish_with_rtt(800us);
    send_flight(2);
    advance(200us);
    expect_sent({.flags = ack | psh, .sequence = base + mss, .length = mss});
    send_ack_of(base + 2 * mss);
    send_ack_of(base + 2 * mss);  // the copy arrived too: a duplicate ACK, no blocks
    BOOST_CHECK_EQUAL(tcp->counters().loss_probes_redundant, 1u);
    write(mss);
    expect_sent({.flags = ack | psh, .length = mss});
    send_ack_of(base + 3 * mss);
    BOOST_CHECK_EQUAL(tcp->congestion().slow_start_threshold(), UINT32_MAX);
}

BOOST_AUTO_TEST_CASE(a_single_segment_flight_waits_for_the_peers_delayed_ack_too) {
    options.loss_probe_delayed_ack = 1ms;  // the default: a peer that ACKs as Sluice does
    establish_with_rtt(800us);
    write(100);
    expect_sent({.flags = ack | psh, .length = 100});
    advance(1ms + 200us - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack | psh, .sequence = base, .length = 100});
    BOOST_CHECK_EQUAL(tcp->counters().loss_probes, 1u);
}

BOOST_AUTO_TEST_CASE(a_single_segment_flight_is_left_to_the_rto_when_the_peer_may_hold_its_ack_long) {
    establish_with_rtt(800us);
    write(100);
    expect_sent({.flags = ack | psh, .length = 100});
    // RFC 8985 7.2: 2 * SRTT + 200 ms for the peer's delayed ACK is past the 10 ms RTO.
    const auto rto = tcp->rtt().rto();
    advance(rto - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack | psh, .sequence = base, .length = 100});
    BOOST_CHECK_EQUAL(tcp->counters().loss_probes, 0u);
    BOOST_CHECK_EQUAL(tcp->counters().retransmit_timeouts, 1u);
}

BOOST_AUTO_TEST_CASE(no_probe_without_sack) {
    make_established();  // SACK not negotiated: a probe's answer could not show the holes
    const std::uint32_t plain_mss = tcp->send_mss();
    write(4 * plain_mss);
    sink.sent.clear();
    advance(tcp->rtt().rto() - 1ns);
    expect_nothing_sent();
    BOOST_CHECK_EQUAL(tcp->counters().loss_probes, 0u);
}

BOOST_AUTO_TEST_CASE(the_minimum_holds_the_probe_back) {
    options.loss_probe_minimum = 2ms;
    establish_with_rtt(800us);
    send_flight(4);
    advance(2ms - 1ns);
    expect_nothing_sent();
    advance(1ns);
    expect_sent({.flags = ack | psh, .sequence = base + 3 * mss, .length = mss});
}

BOOST_AUTO_TEST_CASE(a_duplicate_segment_comes_back_as_a_dsack_block) {
    options.delayed_ack = false;
    make_established(options);
    const seq start = peer_next;
    send_data(100);
    auto first = expect_sent({.flags = ack, .acknowledgment = start + 100});
    BOOST_CHECK_EQUAL(first.options.sack_count, 0);
    // All of it again: RFC 2883 4, the first block reports it, below the cumulative ACK.
    peer_next = start;
    send_data(100);
    auto again = expect_sent({.flags = ack, .acknowledgment = start + 100});
    BOOST_REQUIRE_EQUAL(again.options.sack_count, 1);
    BOOST_CHECK_EQUAL(again.options.sack[0].left, start.value);
    BOOST_CHECK_EQUAL(again.options.sack[0].right, (start + 100).value);
    // Half old, half new: only the old half is reported, and only once.
    peer_next = start + 50;
    send_data(100);
    auto overlap = expect_sent({.flags = ack, .acknowledgment = start + 150});
    BOOST_REQUIRE_EQUAL(overlap.options.sack_count, 1);
    BOOST_CHECK_EQUAL(overlap.options.sack[0].left, (start + 50).value);
    BOOST_CHECK_EQUAL(overlap.options.sack[0].right, (start + 100).value);
    send_data(10);
    auto next = expect_sent({.flags = ack, .acknowledgment = start + 160});
    BOOST_CHECK_EQUAL(next.options.sack_count, 0);
}

BOOST_AUTO_TEST_CASE(probe_timeout_is_two_srtt_plus_the_delayed_ack_for_one_segment) {
    BOOST_CHECK(probe_timeout(100us, false, 200ms, 0ns) == 200us);
    BOOST_CHECK(probe_timeout(100us, true, 200ms, 0ns) == 200ms + 200us);
    BOOST_CHECK(probe_timeout(100us, false, 200ms, 2ms) == 2ms);
}

BOOST_AUTO_TEST_CASE(a_dsack_block_is_below_the_ack_or_inside_the_second_block) {
    const seq s(1000);
    const wire::tcp_sack_block below{900, 1000};
    BOOST_CHECK(reports_duplicate(std::span(&below, 1), s, seq(950), seq(1000)));
    BOOST_CHECK(!reports_duplicate(std::span(&below, 1), s, seq(1000), seq(1100)));  // another range
    const wire::tcp_sack_block plain{1100, 1200};
    BOOST_CHECK(!reports_duplicate(std::span(&plain, 1), s, seq(1100), seq(1200)));  // an ordinary SACK
    const wire::tcp_sack_block nested[2] = {{1100, 1150}, {1000, 1200}};
    BOOST_CHECK(reports_duplicate(std::span(nested, 2), seq(900), seq(1100), seq(1150)));
    BOOST_CHECK(!reports_duplicate({}, s, seq(900), seq(1000)));
}

BOOST_AUTO_TEST_SUITE_END()
