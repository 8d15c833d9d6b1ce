// Fast retransmit and NewReno recovery as the connection drives them (RFC 5681 3.2, RFC
// 6582): the third duplicate ACK retransmits once, a partial ACK retransmits the next
// hole, a full ACK ends recovery; and the window grows in slow start.
#include <boost/test/unit_test.hpp>

#include <span>
#include <vector>

#include "tests/unit/tcp/connection_fixture.hh"

using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

namespace {

constexpr std::uint32_t mss = 1460;

// Our segment k (from 0) starts here.
seq segment_start(unsigned k) { return seq(connection_fixture::our_iss + 1 + k * mss); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(congestion, connection_fixture)

BOOST_AUTO_TEST_CASE(slow_start_grows_the_window_by_one_segment_per_acknowledged_segment) {
    make_established();
    const std::uint32_t initial = tcp->congestion_window();
    BOOST_CHECK_EQUAL(initial, 10 * mss);  // RFC 6928: min(10*MSS, max(2*MSS, 14600))
    write(20 * mss);
    for (int i = 0; i < 10; ++i) expect_sent({.flags = ack, .length = mss});
    expect_nothing_sent();
    send_ack_of(segment_start(1));
    BOOST_CHECK_EQUAL(tcp->congestion_window(), initial + mss);
    // One segment left and the window grew by one: two more go.
    expect_sent({.flags = ack, .sequence = segment_start(10)});
    expect_sent({.flags = ack, .sequence = segment_start(11)});
    expect_nothing_sent();
}

BOOST_AUTO_TEST_CASE(fast_retransmit_after_three_duplicate_acks) {
    make_established();
    write(8 * mss);
    for (int i = 0; i < 8; ++i) sink.sent.pop_front();
    send_ack_of(segment_start(1));  // the first arrived; the second was lost
    expect_nothing_sent();
    send_ack_of(segment_start(1));
    send_ack_of(segment_start(1));
    expect_nothing_sent();
    BOOST_CHECK(!tcp->in_recovery());
    send_ack_of(segment_start(1));  // third duplicate
    expect_sent({.flags = ack, .sequence = segment_start(1), .length = mss});
    BOOST_CHECK(tcp->in_recovery());
    BOOST_CHECK_EQUAL(tcp->counters().fast_retransmits, 1u);
    // RFC 5681 (4): ssthresh = FlightSize / 2 (7 segments in flight).
    BOOST_CHECK_EQUAL(tcp->congestion().slow_start_threshold(), 7 * mss / 2);
}

// RFC 6582 3.2 starts "recover" at the ISS. It once started at zero: after a SYN timeout
// (which counts as a retransmission), an ISS in the upper half of the sequence space put
// SND.UNA "below" it, and fast retransmit never ran; every loss waited for the RTO.
BOOST_AUTO_TEST_CASE(fast_retransmit_runs_after_a_retransmitted_syn_whatever_the_iss) {
    for (const std::uint32_t iss : {1000u, 0x90000000u, 0xfffff000u}) {
        BOOST_TEST_CONTEXT("ISS " << iss) {
            make_established_from(seq(iss), 1);  // the SYN timed out once
            const auto bytes = pattern(seq(iss + 1), 8 * mss);
            BOOST_REQUIRE(tcp->write(bytes, now).ok());
            sink.sent.clear();
            const seq second(iss + 1 + mss);
            for (int i = 0; i < 4; ++i) send_ack_of(second);  // the first arrived, then three duplicates
            expect_sent({.flags = ack, .sequence = second, .length = mss});
            BOOST_CHECK(tcp->in_recovery());
            BOOST_CHECK_EQUAL(tcp->counters().fast_retransmits, 1u);
        }
    }
}

// "recover" is a sequence number, compared modulo 2^32. Left where a recovery put it, it
// read as ahead of SND.UNA again once 2 GiB more were acknowledged, and fast retransmit
// stayed off for the 2 GiB after that: a long-lived stream lost it without a trace.
BOOST_AUTO_TEST_CASE(fast_retransmit_still_runs_two_gibibytes_after_a_recovery) {
    options.send_buffer = 2 << 20;  // what the fixture's pool of mbufs holds
    make_established(options);  // window scale: the peer offers 65535 << 7 bytes
    const std::uint32_t segment = tcp->send_mss();
    const std::vector<std::byte> zeros(options.send_buffer);
    const auto fill = [&] {
        BOOST_REQUIRE(tcp->write(std::span(zeros.data(), tcp->send_room()), now).ok());
        sink.sent.clear();
    };
    // The second segment is lost; the first arrives, then three duplicates.
    const auto lose_one_and_expect_fast_retransmit = [&](std::uint64_t recoveries) {
        fill();
        const seq una = tcp->send_unacknowledged();
        send_ack_of(una + segment);
        sink.sent.clear();  // what the window let out after that first ACK
        for (int i = 0; i < 3; ++i) send_ack_of(una + segment);
        expect_sent({.flags = ack, .sequence = una + segment, .length = segment});
        BOOST_REQUIRE_EQUAL(tcp->counters().fast_retransmits, recoveries);
        send_ack_of(tcp->send_next());
        BOOST_REQUIRE(!tcp->in_recovery());
        sink.sent.clear();
    };
    lose_one_and_expect_fast_retransmit(1);
    std::uint64_t acknowledged = 0;
    while (acknowledged < (std::uint64_t(1) << 31) + (std::uint64_t(64) << 20)) {
        fill();
        const seq before = tcp->send_unacknowledged();
        send_ack_of(tcp->send_next());
        acknowledged += std::uint32_t(tcp->send_unacknowledged() - before);
    }
    lose_one_and_expect_fast_retransmit(2);
}

BOOST_AUTO_TEST_CASE(partial_ack_retransmits_the_next_hole_and_full_ack_ends_recovery) {
    make_established();
    write(8 * mss);
    for (int i = 0; i < 8; ++i) sink.sent.pop_front();
    // Segments 1 and 3 lost.
    for (int i = 0; i < 4; ++i) send_ack_of(segment_start(1));
    expect_sent({.flags = ack, .sequence = segment_start(1)});
    sink.sent.clear();
    send_ack_of(segment_start(3));  // partial: up to the second hole
    expect_sent({.flags = ack, .sequence = segment_start(3), .length = mss});
    BOOST_CHECK(tcp->in_recovery());
    send_ack_of(segment_start(8));  // everything: recovery ends
    BOOST_CHECK(!tcp->in_recovery());
    // RFC 6582 3.2 (3) option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS), nothing in flight.
    BOOST_CHECK_EQUAL(tcp->congestion_window(), std::min(tcp->congestion().slow_start_threshold(), 2 * mss));
}

BOOST_AUTO_TEST_CASE(duplicates_from_before_a_timeout_start_no_fast_retransmit) {
    make_established();
    write(4 * mss);
    sink.sent.clear();
    advance(tcp->rtt().rto());
    sink.sent.clear();
    for (int i = 0; i < 3; ++i) send_ack_of(segment_start(0));
    BOOST_CHECK(!tcp->in_recovery());  // RFC 6582 4.1: below "recover"
}

BOOST_AUTO_TEST_CASE(cubic_is_the_default_and_newreno_can_be_chosen) {
    connection_options defaults;
    BOOST_CHECK(defaults.congestion == congestion_algorithm::cubic);
    make_established();
    BOOST_CHECK(tcp->congestion().algorithm() == congestion_algorithm::newreno);
}

BOOST_AUTO_TEST_SUITE_END()
