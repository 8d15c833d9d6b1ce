// The TCP receive buffer over real mbufs: in-order bytes advance RCV.NXT and are read as
// views of the received mbufs (no copy); later pieces are held and pulled in when the hole
// closes; duplicates and overlaps on either side keep each byte once; bytes outside the
// window are cut; the segment bound drops the new piece, or the farthest one when the new
// piece lands in the first hole; SACK blocks come latest first; the window counts only
// readable bytes; all of it across the 2^32 wrap, and in a seeded random run against the
// byte pattern. Every test ends with its pool full again.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/tcp/receive_buffer.hh"
#include "sluice/net/wire/tcp.hh"
#include "tests/unit/tcp/tcp_test_support.hh"

using namespace sluice::net;
using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;
using sluice::net::wire::tcp_sack_block;

namespace {

receive_limits limits(std::size_t capacity, std::size_t max_segments = 64) {
    return {.capacity = capacity, .max_out_of_order_segments = max_segments};
}

// Inserts the pattern bytes of [start, start + n) as one received segment.
receive_buffer::insert_result receive(receive_buffer& received, seq start, std::size_t n) {
    return received.insert(start, payload(start, n));
}

std::vector<tcp_sack_block> sack_of(const receive_buffer& received, std::size_t room = 4) {
    std::array<tcp_sack_block, 8> out{};
    const std::size_t count = received.sack_blocks(std::span(out).first(room));
    return {out.begin(), out.begin() + std::ptrdiff_t(count)};
}

tcp_sack_block block(seq left, seq right) { return {left.value, right.value}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp_receive_buffer)

BOOST_AUTO_TEST_CASE(in_order_segments_advance_next_and_read_as_views_of_their_mbufs) {
    test_pool pool;
    const seq first(1000);
    receive_buffer received(first, limits(10000));
    std::vector<const rte_mbuf*> segments;
    for (int i = 0; i < 3; ++i) {
        packet segment = segment_packet(received.next(), 500);
        segments.push_back(segment.mbuf());
        const auto result = received.insert(received.next(), std::move(segment).into_buffer());
        BOOST_TEST(result.advanced == 500u);
        BOOST_TEST(!result.out_of_order);
        BOOST_TEST(!result.dropped);
    }
    BOOST_TEST(received.next() == first + 1500);
    BOOST_TEST(received.readable() == 1500u);
    BOOST_TEST(received.window() == 10000u - 1500);

    const buffer read = received.read(1200);  // two whole segments and part of the third
    BOOST_TEST(contents(read) == pattern(first, 1200));
    BOOST_REQUIRE_EQUAL(read.fragments().size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(read.fragments()[i].segment() == segments[i]);
    BOOST_TEST(received.readable() == 300u);
    BOOST_TEST(received.window() == 10000u - 300);

    const buffer rest = received.read(1000);
    BOOST_TEST(contents(rest) == pattern(first + 1200, 300));
    BOOST_REQUIRE_EQUAL(rest.fragments().size(), 1u);
    BOOST_TEST(rest.fragments()[0].segment() == segments[2]);
    BOOST_TEST(received.read(100).empty());
    BOOST_TEST(received.readable() == 0u);
}

BOOST_AUTO_TEST_CASE(a_later_piece_is_held_until_the_hole_before_it_fills) {
    test_pool pool;
    const seq first(0);
    receive_buffer received(first, limits(10000));
    auto result = receive(received, first + 1000, 500);
    BOOST_TEST(result.out_of_order);
    BOOST_TEST(result.advanced == 0u);
    BOOST_TEST(received.next() == first);
    BOOST_TEST(received.readable() == 0u);
    BOOST_TEST(received.has_out_of_order());
    BOOST_TEST(received.out_of_order_bytes() == 500u);
    BOOST_TEST(received.out_of_order_segments() == 1u);
    BOOST_TEST(received.window() == 10000u);  // held bytes lie inside the window

    result = receive(received, first, 1000);
    BOOST_TEST(result.advanced == 1500u);  // its own bytes and the held piece's
    BOOST_TEST(!result.out_of_order);
    BOOST_TEST(received.next() == first + 1500);
    BOOST_TEST(!received.has_out_of_order());
    BOOST_TEST(received.out_of_order_bytes() == 0u);
    BOOST_TEST(contents(received.read(5000)) == pattern(first, 1500));
    BOOST_TEST(received.counters().out_of_order_segments == 1u);
    BOOST_TEST(received.counters().duplicate_bytes == 0u);
}

BOOST_AUTO_TEST_CASE(reassembles_across_the_sequence_wrap) {
    test_pool pool;
    const seq first(0xffff'ff9c);  // 2^32 - 100
    receive_buffer received(first, limits(10000));
    // Five 60-byte segments, the middle ones crossing zero, arriving in a scrambled order.
    for (std::uint32_t index : {3u, 1u, 4u, 2u}) BOOST_TEST(receive(received, first + index * 60, 60).out_of_order);
    BOOST_TEST(received.out_of_order_segments() == 4u);
    BOOST_TEST(sack_of(received) == std::vector{block(first + 60, first + 300)});
    BOOST_TEST(receive(received, first, 60).advanced == 300u);
    BOOST_TEST(received.next() == seq(200));
    BOOST_TEST(contents(received.read(1000)) == pattern(first, 300));
}

BOOST_AUTO_TEST_CASE(bytes_before_next_are_duplicates_and_cut) {
    test_pool pool;
    const seq first(5000);
    receive_buffer received(first, limits(10000));
    BOOST_TEST(receive(received, first, 1000).advanced == 1000u);

    auto result = receive(received, first + 200, 500);  // wholly old
    BOOST_TEST(result.dropped);
    BOOST_TEST(result.advanced == 0u);
    BOOST_TEST(received.counters().duplicate_bytes == 500u);

    result = receive(received, first + 800, 500);  // 200 old bytes, 300 new
    BOOST_TEST(!result.dropped);
    BOOST_TEST(result.advanced == 300u);
    BOOST_TEST(received.counters().duplicate_bytes == 700u);
    BOOST_TEST(received.next() == first + 1300);
    BOOST_TEST(contents(received.read(5000)) == pattern(first, 1300));

    BOOST_TEST(received.insert(received.next(), buffer()).dropped);  // nothing at all
}

BOOST_AUTO_TEST_CASE(overlaps_on_either_side_keep_each_byte_held_once) {
    test_pool pool;
    const seq first(0);
    receive_buffer received(first, limits(10000));
    (void)receive(received, first + 100, 100);  // [100, 200)
    (void)receive(received, first + 300, 100);  // [300, 400)

    // [150, 350) overlaps both: only [200, 300) is new.
    auto result = receive(received, first + 150, 200);
    BOOST_TEST(result.out_of_order);
    BOOST_TEST(received.out_of_order_bytes() == 300u);
    BOOST_TEST(received.out_of_order_segments() == 3u);
    BOOST_TEST(received.counters().duplicate_bytes == 100u);

    // Inside a held piece: nothing new.
    result = receive(received, first + 120, 50);
    BOOST_TEST(result.dropped);
    BOOST_TEST(!result.out_of_order);
    BOOST_TEST(received.counters().duplicate_bytes == 150u);
    BOOST_TEST(received.out_of_order_segments() == 3u);

    // [50, 450) covers all three: it replaces them, one piece for the whole run.
    result = receive(received, first + 50, 400);
    BOOST_TEST(result.out_of_order);
    BOOST_TEST(received.out_of_order_segments() == 1u);
    BOOST_TEST(received.out_of_order_bytes() == 400u);
    BOOST_TEST(received.counters().duplicate_bytes == 450u);

    // An in-order piece reaching into the held one: the overlap is counted, not repeated.
    result = receive(received, first, 80);
    BOOST_TEST(result.advanced == 450u);
    BOOST_TEST(received.counters().duplicate_bytes == 480u);
    BOOST_TEST(received.readable() == 450u);
    BOOST_TEST(contents(received.read(1000)) == pattern(first, 450));
}

BOOST_AUTO_TEST_CASE(a_piece_over_a_held_ones_back_edge_keeps_the_held_bytes) {
    test_pool pool;
    const seq first(0);
    receive_buffer received(first, limits(10000));
    packet held = segment_packet(first + 200, 100);  // [200, 300)
    const rte_mbuf* held_segment = held.mbuf();
    (void)received.insert(first + 200, std::move(held).into_buffer());
    BOOST_TEST(receive(received, first + 100, 150).out_of_order);  // [100, 250): keeps [100, 200)
    BOOST_TEST(received.out_of_order_bytes() == 200u);
    BOOST_TEST(received.counters().duplicate_bytes == 50u);
    BOOST_TEST(receive(received, first, 100).advanced == 300u);
    const buffer read = received.read(300);
    BOOST_TEST(contents(read) == pattern(first, 300));
    BOOST_TEST(read.fragments().back().segment() == held_segment);
}

BOOST_AUTO_TEST_CASE(bytes_past_the_window_are_cut) {
    test_pool pool;
    const seq first(0xffff'ff00);
    receive_buffer received(first, limits(1000));
    auto result = receive(received, first + 900, 300);  // the last 200 bytes lie past the window
    BOOST_TEST(result.out_of_order);
    BOOST_TEST(received.out_of_order_bytes() == 100u);
    BOOST_TEST(received.counters().out_of_window_bytes == 200u);

    result = receive(received, first + 1000, 100);  // starts at the right edge
    BOOST_TEST(result.dropped);
    BOOST_TEST(received.counters().out_of_window_bytes == 300u);

    result = receive(received, first, 1500);  // in order, but only the window's worth
    BOOST_TEST(result.advanced == 1000u);
    BOOST_TEST(received.counters().out_of_window_bytes == 800u);
    BOOST_TEST(received.counters().duplicate_bytes == 100u);  // the held piece came again
    BOOST_TEST(received.window() == 0u);

    result = receive(received, received.next(), 1);  // a zero window takes nothing
    BOOST_TEST(result.dropped);
    BOOST_TEST(received.next() == first + 1000);
    BOOST_TEST(contents(received.read(2000)) == pattern(first, 1000));
    BOOST_TEST(received.window() == 1000u);
}

BOOST_AUTO_TEST_CASE(the_window_counts_readable_bytes_and_reopens_on_read) {
    test_pool pool;
    const seq first(77);
    receive_buffer received(first, limits(4000));
    (void)receive(received, first, 1500);
    (void)receive(received, first + 2000, 1000);
    BOOST_TEST(received.readable() == 1500u);
    BOOST_TEST(received.window() == 2500u);
    (void)received.read(700);
    BOOST_TEST(received.window() == 3200u);
    // The right edge never moved back: the held piece is still inside the window.
    BOOST_TEST(receive(received, received.next(), 500).advanced == 1500u);
    BOOST_TEST(received.readable() == 800u + 1500u);
    BOOST_TEST(received.window() == 4000u - 2300u);
    BOOST_TEST(contents(received.read(4000)) == pattern(first + 700, 2300));
}

BOOST_AUTO_TEST_CASE(at_the_segment_bound_a_piece_past_the_held_ones_is_dropped) {
    test_pool pool;
    const seq first(0);
    receive_buffer received(first, limits(10000, 3));
    for (std::uint32_t at : {100u, 200u, 300u}) (void)receive(received, first + at, 10);
    auto result = receive(received, first + 400, 10);
    BOOST_TEST(result.dropped);
    BOOST_TEST(!result.out_of_order);
    BOOST_TEST(received.out_of_order_segments() == 3u);
    BOOST_TEST(received.counters().out_of_order_dropped == 1u);
    result = receive(received, first + 250, 10);  // between held pieces: dropped too
    BOOST_TEST(result.dropped);
    BOOST_TEST(received.counters().out_of_order_dropped == 2u);
    // A piece that replaces held ones needs no new place.
    result = receive(received, first + 195, 30);  // covers [200, 210)
    BOOST_TEST(result.out_of_order);
    BOOST_TEST(received.out_of_order_segments() == 3u);
    BOOST_TEST(received.counters().out_of_order_dropped == 2u);
}

BOOST_AUTO_TEST_CASE(at_the_segment_bound_a_piece_in_the_first_hole_evicts_the_farthest) {
    test_pool pool;
    const seq first(0);
    receive_buffer received(first, limits(10000, 3));
    for (std::uint32_t at : {100u, 200u, 300u}) (void)receive(received, first + at, 10);
    auto result = receive(received, first + 50, 10);
    BOOST_TEST(result.out_of_order);
    BOOST_TEST(received.out_of_order_segments() == 3u);
    BOOST_TEST(received.out_of_order_bytes() == 30u);
    BOOST_TEST(received.counters().out_of_order_dropped == 1u);
    BOOST_TEST(sack_of(received) ==
               (std::vector{block(first + 50, first + 60), block(first + 200, first + 210),
                            block(first + 100, first + 110)}));
    // The evicted [300, 310) is gone: filling up to 300 stops there.
    for (auto [at, length] : {std::pair{0u, 50u}, {60u, 40u}, {110u, 90u}, {210u, 90u}}) {
        (void)receive(received, first + at, length);
    }
    BOOST_TEST(received.next() == first + 300);
    BOOST_TEST(!received.has_out_of_order());
    BOOST_TEST(contents(received.read(1000)) == pattern(first, 300));
}

BOOST_AUTO_TEST_CASE(with_no_room_for_held_pieces_only_in_order_bytes_are_kept) {
    test_pool pool;
    receive_buffer received(seq(0), limits(10000, 0));
    BOOST_TEST(receive(received, seq(10), 10).dropped);
    BOOST_TEST(received.counters().out_of_order_dropped == 1u);
    BOOST_TEST(receive(received, seq(0), 10).advanced == 10u);
}

BOOST_AUTO_TEST_CASE(sack_blocks_put_the_latest_piece_first_then_by_recency) {
    test_pool pool;
    const seq first(0xffff'fe00);
    receive_buffer received(first, limits(10000));
    BOOST_TEST(sack_of(received).empty());
    (void)receive(received, first + 100, 100);
    (void)receive(received, first + 300, 100);
    (void)receive(received, first + 500, 100);
    BOOST_TEST(sack_of(received) == (std::vector{block(first + 500, first + 600), block(first + 300, first + 400),
                                                 block(first + 100, first + 200)}));
    // [200, 300) joins the first two into one block, and it is the latest.
    (void)receive(received, first + 200, 100);
    BOOST_TEST(sack_of(received) ==
               (std::vector{block(first + 100, first + 400), block(first + 500, first + 600)}));
    (void)receive(received, first + 700, 100);
    BOOST_TEST(sack_of(received) == (std::vector{block(first + 700, first + 800), block(first + 100, first + 400),
                                                 block(first + 500, first + 600)}));
    BOOST_TEST(sack_of(received, 2) ==
               (std::vector{block(first + 700, first + 800), block(first + 100, first + 400)}));
    // A repeat of held bytes still names its block first (RFC 2018 4).
    BOOST_TEST(receive(received, first + 520, 50).dropped);
    BOOST_TEST(sack_of(received).front() == block(first + 500, first + 600));
    BOOST_TEST(sack_of(received, 0).empty());
    // Filling the hole pulls the first block in; the others stay.
    (void)receive(received, first, 100);
    BOOST_TEST(sack_of(received) == (std::vector{block(first + 500, first + 600), block(first + 700, first + 800)}));
}

BOOST_AUTO_TEST_CASE(shrinking_the_capacity_cuts_held_pieces_past_the_new_edge) {
    test_pool pool;
    const seq first(0);
    receive_buffer received(first, limits(10000));
    (void)receive(received, first, 1000);
    (void)receive(received, first + 2000, 1000);
    (void)receive(received, first + 4000, 1000);
    received.set_capacity(4500);  // right edge: next + 3500 = 4500
    BOOST_TEST(received.window() == 3500u);
    BOOST_TEST(received.out_of_order_bytes() == 1500u);
    BOOST_TEST(received.out_of_order_segments() == 2u);
    received.set_capacity(2500);  // right edge 2500: [4000, 4500) goes, [2000, 3000) is cut
    BOOST_TEST(received.out_of_order_segments() == 1u);
    BOOST_TEST(received.out_of_order_bytes() == 500u);
    BOOST_TEST(received.counters().out_of_order_dropped == 1u);
    BOOST_TEST(receive(received, first + 1000, 1000).advanced == 1500u);
    received.set_capacity(500);  // below what is readable: a zero window, nothing lost
    BOOST_TEST(received.window() == 0u);
    BOOST_TEST(contents(received.read(10000)) == pattern(first, 2500));
    BOOST_TEST(received.window() == 500u);
}

BOOST_AUTO_TEST_CASE(the_fin_takes_one_sequence_number_after_the_data) {
    test_pool pool;
    const seq first(0xffff'ffff);
    receive_buffer received(first, limits(10000));
    (void)receive(received, first, 100);
    received.advance_past_fin();
    BOOST_TEST(received.next() == first + 101);
    BOOST_TEST(received.readable() == 100u);  // the data stays readable
    BOOST_TEST(contents(received.read(1000)) == pattern(first, 100));
}

BOOST_AUTO_TEST_CASE(random_segments_reassemble_the_stream_in_a_seeded_run) {
    test_pool pool(1023);
    std::mt19937 random(20240917);
    const seq first(0xffff'0000);
    const std::size_t capacity = 64 * 1024;
    receive_buffer received(first, limits(capacity, 16));
    bytes delivered;
    const std::size_t stream = 400 * 1024;
    while (delivered.size() < stream) {
        const seq next = received.next();
        // Mostly near RCV.NXT, sometimes old, sometimes past the window.
        const std::int64_t offset = std::int64_t(random() % (capacity + 4000)) - 2000;
        const std::size_t length = 1 + random() % 1460;
        const seq start = next + std::uint32_t(offset);
        const std::size_t readable_before = received.readable();
        const auto result = receive(received, start, length);
        BOOST_REQUIRE_EQUAL(received.next() - next, std::int32_t(result.advanced));
        BOOST_REQUIRE_EQUAL(received.readable(), readable_before + result.advanced);
        BOOST_REQUIRE_LE(received.out_of_order_segments(), 16u);
        BOOST_REQUIRE_LE(received.out_of_order_bytes() + received.readable(), capacity);
        // Blocks lie past RCV.NXT, inside the window, and never touch each other.
        std::array<tcp_sack_block, 4> blocks{};
        const std::size_t count = received.sack_blocks(blocks);
        BOOST_REQUIRE_EQUAL(count == 0, !received.has_out_of_order());
        for (std::size_t i = 0; i < count; ++i) {
            BOOST_REQUIRE_GT(seq(blocks[i].left) - received.next(), 0);
            BOOST_REQUIRE_LE(seq(blocks[i].right) - received.next(), std::int32_t(received.window()));
            for (std::size_t j = 0; j < i; ++j) {
                BOOST_REQUIRE(seq(blocks[i].right) < seq(blocks[j].left) || seq(blocks[j].right) < seq(blocks[i].left));
            }
        }
        if (random() % 4 == 0) {
            const bytes read = contents(received.read(random() % 20000));
            delivered.insert(delivered.end(), read.begin(), read.end());
        }
        // A retransmission at RCV.NXT now and then keeps the run moving.
        if (random() % 8 == 0) (void)receive(received, received.next(), 1 + random() % 1460);
    }
    BOOST_TEST(delivered == pattern(first, delivered.size()));
    BOOST_TEST(received.counters().out_of_order_segments > 0u);
    BOOST_TEST(received.counters().duplicate_bytes > 0u);
    BOOST_TEST(received.counters().out_of_window_bytes > 0u);
    BOOST_TEST(received.counters().out_of_order_dropped > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
