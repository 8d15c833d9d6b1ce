// The RFC 6675 SACK scoreboard: blocks are recorded merged and sorted, and only when wholly in
// (SND.UNA, SND.NXT] (forged and invalid ones change nothing); a cumulative ACK trims it; it
// never holds more than max_ranges, forgetting the lowest; IsLost, NextSeg's rules (1) and (3)
// and SetPipe give the values worked out by hand and, for SetPipe, octet by octet. SND.UNA sits
// just below 2^32 throughout, so every range crosses or sits near the wrap.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "sluice/net/tcp/sack_scoreboard.hh"
#include "sluice/net/tcp/seq.hh"
#include "sluice/net/wire/tcp.hh"

using sluice::net::tcp::sack_scoreboard;
using sluice::net::tcp::seq;
using sluice::net::wire::tcp_sack_block;

namespace {

constexpr seq una(0xffffff80u);  // 128 bytes below the wrap
constexpr seq nxt = una + 1000;

constexpr seq at(std::uint32_t offset) { return una + offset; }
tcp_sack_block block(std::uint32_t left, std::uint32_t right) { return {at(left).value, at(right).value}; }

std::uint32_t add(sack_scoreboard& board, std::vector<tcp_sack_block> blocks) {
    return board.update(una, nxt, blocks);
}

std::vector<tcp_sack_block> ranges_of(const sack_scoreboard& board) {
    return {board.ranges().begin(), board.ranges().end()};
}

// Ranges at offsets [100,200), [300,400), [500,600).
sack_scoreboard three_ranges() {
    sack_scoreboard board;
    add(board, {block(100, 200), block(300, 400), block(500, 600)});
    return board;
}

using hole = std::optional<std::pair<seq, std::uint32_t>>;
hole hole_at(std::uint32_t offset, std::uint32_t length) { return std::pair{at(offset), length}; }

// SetPipe octet by octet, as RFC 6675 4 states it, through the public questions.
std::uint32_t pipe_by_octet(const sack_scoreboard& board, seq snd_una, seq snd_nxt, seq high_rxt, std::uint32_t mss) {
    std::uint32_t in_flight = 0;
    for (seq s = snd_una; s < snd_nxt; s += 1) {
        if (board.is_sacked(s)) continue;
        if (!board.is_lost(s, mss)) ++in_flight;
        if (s < high_rxt) ++in_flight;
    }
    return in_flight;
}

}  // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(tcp_sack_block)
BOOST_TEST_DONT_PRINT_LOG_VALUE(hole)

BOOST_AUTO_TEST_SUITE(sack_scoreboard_tests)

BOOST_AUTO_TEST_CASE(records_a_block_across_the_wrap) {
    sack_scoreboard board;
    BOOST_CHECK(board.empty());
    BOOST_CHECK_EQUAL(add(board, {block(100, 200)}), 100u);  // 0xffffffe4 .. 0x00000048
    BOOST_CHECK(ranges_of(board) == (std::vector{tcp_sack_block{0xffffffe4u, 0x48u}}));
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 100u);
    BOOST_CHECK(!board.is_sacked(at(99)));
    BOOST_CHECK(board.is_sacked(at(100)));
    BOOST_CHECK(board.is_sacked(seq(0)));
    BOOST_CHECK(board.is_sacked(at(199)));
    BOOST_CHECK(!board.is_sacked(at(200)));
    BOOST_CHECK(board.highest_sacked() == at(200));
    BOOST_CHECK(!board.empty());
}

BOOST_AUTO_TEST_CASE(merges_overlapping_and_touching_blocks_counting_only_new_bytes) {
    sack_scoreboard board = three_ranges();
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 300u);
    BOOST_CHECK(ranges_of(board) == (std::vector{block(100, 200), block(300, 400), block(500, 600)}));
    BOOST_CHECK_EQUAL(add(board, {block(100, 200)}), 0u);  // repeated: nothing new
    BOOST_CHECK_EQUAL(add(board, {block(200, 300)}), 100u);  // touches both neighbours
    BOOST_CHECK(ranges_of(board) == (std::vector{block(100, 400), block(500, 600)}));
    BOOST_CHECK_EQUAL(add(board, {block(50, 700)}), 650u - 400u);  // swallows everything
    BOOST_CHECK(ranges_of(board) == (std::vector{block(50, 700)}));
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 650u);
}

BOOST_AUTO_TEST_CASE(sorts_blocks_that_arrive_out_of_order_within_one_ack) {
    sack_scoreboard board;
    // RFC 2018 4: the most recent block comes first, so order on the wire is not sequence order.
    BOOST_CHECK_EQUAL(add(board, {block(800, 900), block(100, 150), block(400, 450), block(440, 460)}), 100u + 50 + 60);
    BOOST_CHECK(ranges_of(board) == (std::vector{block(100, 150), block(400, 460), block(800, 900)}));
}

BOOST_AUTO_TEST_CASE(ignores_blocks_not_wholly_inside_una_to_nxt) {
    sack_scoreboard board = three_ranges();
    const auto before = ranges_of(board);
    const std::vector<tcp_sack_block> invalid{
        block(0, 50),                    // starts at SND.UNA: would be cumulatively acknowledged
        {una.value - 10, at(50).value},  // reaches below SND.UNA
        {una.value - 100, una.value},    // wholly below: a D-SACK (RFC 2883)
        block(900, 1001),                // past SND.NXT: bytes never sent
        block(1000, 1100),
        block(250, 250),                          // empty
        block(260, 250),                          // reversed
        {at(10).value, una.value - 10},           // "wraps" almost all the way round
        {una.value + 0x80000000u, una.value + 0x80000100u},  // half the circle away
    };
    BOOST_CHECK_EQUAL(board.update(una, nxt, invalid), 0u);
    BOOST_CHECK(ranges_of(board) == before);
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 300u);
    // The same blocks mixed with a valid one: only it is taken.
    std::vector<tcp_sack_block> mixed = invalid;
    mixed.push_back(block(900, 1000));  // right edge exactly SND.NXT is allowed
    BOOST_CHECK_EQUAL(board.update(una, nxt, mixed), 100u);
    BOOST_CHECK(board.highest_sacked() == nxt);
}

BOOST_AUTO_TEST_CASE(acknowledge_drops_covered_ranges_and_trims_a_partial_one) {
    sack_scoreboard board = three_ranges();
    board.acknowledge(at(150));
    BOOST_CHECK(ranges_of(board) == (std::vector{block(150, 200), block(300, 400), block(500, 600)}));
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 250u);
    board.acknowledge(at(400));
    BOOST_CHECK(ranges_of(board) == (std::vector{block(500, 600)}));
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 100u);
    board.acknowledge(at(400));  // again: nothing changes
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 100u);
    board.acknowledge(at(600));
    BOOST_CHECK(board.empty());
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 0u);
    BOOST_CHECK(!board.highest_sacked().has_value());
}

BOOST_AUTO_TEST_CASE(update_first_drops_what_the_new_una_acknowledges) {
    sack_scoreboard board = three_ranges();
    const std::array blocks{block(700, 800)};
    BOOST_CHECK_EQUAL(board.update(at(350), nxt, blocks), 100u);
    BOOST_CHECK(ranges_of(board) == (std::vector{block(350, 400), block(500, 600), block(700, 800)}));
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 250u);
}

BOOST_AUTO_TEST_CASE(clear_forgets_everything) {
    sack_scoreboard board = three_ranges();
    board.clear();
    BOOST_CHECK(board.empty());
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 0u);
    BOOST_CHECK(!board.is_sacked(at(150)));
    BOOST_CHECK(!board.is_lost(una, 100));
}

BOOST_AUTO_TEST_CASE(holds_at_most_max_ranges_forgetting_the_lowest) {
    sack_scoreboard board;
    const seq far_nxt = una + 100'000;
    // 32 ranges of 10 bytes at offsets 100, 200, ..., 3200.
    for (std::uint32_t k = 1; k <= sack_scoreboard::max_ranges; ++k) {
        const std::array one{block(100 * k, 100 * k + 10)};
        BOOST_REQUIRE_EQUAL(board.update(una, far_nxt, one), 10u);
    }
    BOOST_CHECK_EQUAL(board.ranges().size(), sack_scoreboard::max_ranges);
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 320u);
    // A 33rd above them: the lowest (offset 100) goes.
    const std::array higher{block(5000, 5020)};
    BOOST_CHECK_EQUAL(board.update(una, far_nxt, higher), 20u);
    BOOST_CHECK_EQUAL(board.ranges().size(), sack_scoreboard::max_ranges);
    BOOST_CHECK(board.ranges().front() == block(200, 210));
    BOOST_CHECK(board.ranges().back() == block(5000, 5020));
    BOOST_CHECK(!board.is_sacked(at(100)));
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 320u - 10 + 20);
    // A new lowest range is the one forgotten: nothing changes.
    const std::array lowest{block(50, 60)};
    BOOST_CHECK_EQUAL(board.update(una, far_nxt, lowest), 0u);
    BOOST_CHECK(board.ranges().front() == block(200, 210));
    BOOST_CHECK_EQUAL(board.sacked_bytes(), 330u);
    // One that merges needs no room: taken whole, count unchanged.
    const std::array touching{block(210, 250)};
    BOOST_CHECK_EQUAL(board.update(una, far_nxt, touching), 40u);
    BOOST_CHECK(board.ranges().front() == block(200, 250));
    BOOST_CHECK_EQUAL(board.ranges().size(), sack_scoreboard::max_ranges);
    // One between two kept ranges: the lowest goes, the new one sits in order.
    const std::array between{block(1650, 1660)};
    BOOST_CHECK_EQUAL(board.update(una, far_nxt, between), 10u);
    BOOST_CHECK(board.ranges().front() == block(300, 310));
    for (std::size_t i = 1; i < board.ranges().size(); ++i) {
        BOOST_CHECK(seq(board.ranges()[i - 1].right) < seq(board.ranges()[i].left));
    }
}

BOOST_AUTO_TEST_CASE(is_lost_with_three_ranges_above_or_more_than_two_mss_sacked_above) {
    const sack_scoreboard board = three_ranges();  // 100 bytes each at 100, 300, 500
    BOOST_CHECK(board.is_lost(at(0), 1000));     // three ranges above, whatever the MSS
    BOOST_CHECK(board.is_lost(at(99), 1000));
    BOOST_CHECK(!board.is_lost(at(200), 100));   // two ranges, 200 bytes: not more than 2 * 100
    BOOST_CHECK(board.is_lost(at(200), 99));     // 200 > 2 * 99
    BOOST_CHECK(board.is_lost(at(400), 10));     // one range, but 100 bytes > 2 * 10
    BOOST_CHECK(board.is_lost(at(400), 49));     // 100 > 98
    BOOST_CHECK(!board.is_lost(at(400), 50));    // 100 = 2 * 50
    BOOST_CHECK(!board.is_lost(at(600), 1));     // nothing above
    // Inside a range only the bytes above s count: at 150, [151,200) + two ranges = 3 ranges.
    BOOST_CHECK(board.is_lost(at(150), 1000));
    // At 199 the first range has no byte above it: two ranges remain.
    BOOST_CHECK(!board.is_lost(at(199), 100));
    BOOST_CHECK(!sack_scoreboard{}.is_lost(una, 1));
}

BOOST_AUTO_TEST_CASE(next_lost_hole_finds_the_first_lost_hole_at_or_after_from) {
    const sack_scoreboard board = three_ranges();
    BOOST_CHECK(board.next_lost_hole(una, una, nxt, 100) == hole_at(0, 100));
    BOOST_CHECK(board.next_lost_hole(una, una, nxt, 60) == hole_at(0, 60));     // at most one MSS
    BOOST_CHECK(board.next_lost_hole(at(60), una, nxt, 100) == hole_at(60, 40));  // stops at the range
    BOOST_CHECK(board.next_lost_hole(una - 500, una, nxt, 100) == hole_at(0, 100));  // from below SND.UNA
    // From inside a range: the next hole, [200,300), is lost only when 200 > 2 * MSS.
    BOOST_CHECK(!board.next_lost_hole(at(100), una, nxt, 100).has_value());
    BOOST_CHECK(board.next_lost_hole(at(100), una, nxt, 50) == hole_at(200, 50));
    // Above the highest SACKed byte nothing is lost (RFC 6675 4 rule (1.b)).
    BOOST_CHECK(!board.next_lost_hole(at(600), una, nxt, 1).has_value());
    BOOST_CHECK(!sack_scoreboard{}.next_lost_hole(una, una, nxt, 100).has_value());
}

BOOST_AUTO_TEST_CASE(next_unsacked_hole_finds_the_first_hole_that_is_not_lost) {
    const sack_scoreboard board = three_ranges();
    // [0,100) is lost (rule 1's); [200,300) with MSS 100 is the first that is not.
    BOOST_CHECK(board.next_unsacked_hole(una, una, nxt, 100) == hole_at(200, 100));
    BOOST_CHECK(board.next_unsacked_hole(at(250), una, nxt, 100) == hole_at(250, 50));
    // With MSS 30 every hole below the highest SACKed byte is lost: rule (3) has nothing.
    BOOST_CHECK(!board.next_unsacked_hole(una, una, nxt, 30).has_value());
    // With MSS 50, [200,300) is lost too; [400,500) (100 bytes above, not > 100) is not.
    BOOST_CHECK(board.next_unsacked_hole(una, una, nxt, 50) == hole_at(400, 50));
    BOOST_CHECK(board.next_unsacked_hole(at(400), una, nxt, 100) == hole_at(400, 100));
    // A hole longer than one MSS gives one MSS: [0,500) below a lone [500,600), 100 <= 2 * 60.
    sack_scoreboard one_range;
    add(one_range, {block(500, 600)});
    BOOST_CHECK(one_range.next_unsacked_hole(una, una, nxt, 60) == hole_at(0, 60));
    BOOST_CHECK(!one_range.next_lost_hole(una, una, nxt, 60).has_value());
    // Nothing at or above the highest SACKed byte (rule (3.b)).
    BOOST_CHECK(!board.next_unsacked_hole(at(500), una, nxt, 100).has_value());
    BOOST_CHECK(!sack_scoreboard{}.next_unsacked_hole(una, una, nxt, 100).has_value());
}

BOOST_AUTO_TEST_CASE(pipe_counts_unsacked_unlost_octets_and_retransmissions) {
    const sack_scoreboard board = three_ranges();
    // Holes: [0,100) lost; [200,300) and [400,500) not lost; [600,1000) above everything.
    BOOST_CHECK_EQUAL(board.pipe(una, nxt, una, 100), 100u + 100 + 400);
    BOOST_CHECK_EQUAL(board.pipe(una, nxt, at(100), 100), 600u + 100);  // [0,100) retransmitted
    BOOST_CHECK_EQUAL(board.pipe(una, nxt, at(250), 100), 600u + 100 + 50);
    // With MSS 50, [200,300) is lost as well.
    BOOST_CHECK_EQUAL(board.pipe(una, nxt, una, 50), 100u + 400);
    // Empty: everything sent is in flight, retransmissions twice.
    BOOST_CHECK_EQUAL(sack_scoreboard{}.pipe(una, nxt, una, 100), 1000u);
    BOOST_CHECK_EQUAL(sack_scoreboard{}.pipe(una, nxt, at(300), 100), 1300u);
    BOOST_CHECK_EQUAL(sack_scoreboard{}.pipe(una, una, una, 100), 0u);
}

// A SACKed tail loss probe tells by time that everything below it is lost (RFC 8985 6.2),
// where IsLost's counting (one range, one MSS above) would not.
BOOST_AUTO_TEST_CASE(holes_below_a_mark_are_lost_until_snd_una_passes_it) {
    sack_scoreboard one_range;
    add(one_range, {block(500, 600)});
    BOOST_CHECK(!one_range.is_lost(at(0), 100));
    BOOST_CHECK_EQUAL(one_range.pipe(una, nxt, una, 100), 500u + 400);
    one_range.mark_lost_before(at(500));
    BOOST_CHECK(one_range.is_lost(at(0), 100));
    BOOST_CHECK(one_range.is_lost(at(499), 100));
    BOOST_CHECK(!one_range.is_lost(at(600), 100));  // above the mark, counting rules again
    BOOST_CHECK(one_range.next_lost_hole(una, una, nxt, 100) == hole_at(0, 100));
    BOOST_CHECK_EQUAL(one_range.pipe(una, nxt, una, 100), 400u);  // [0,500) left the pipe
    one_range.acknowledge(at(500));
    add(one_range, {block(700, 800)});
    BOOST_CHECK(!one_range.is_lost(at(600), 100));  // the mark went with SND.UNA past it
    one_range.mark_lost_before(at(700));
    BOOST_CHECK(one_range.is_lost(at(600), 100));
    one_range.clear();  // after an RTO (RFC 6675 5.1) the mark goes too
    add(one_range, {block(700, 800)});
    BOOST_CHECK(!one_range.is_lost(at(600), 100));
}

BOOST_AUTO_TEST_CASE(pipe_agrees_with_rfc_6675_set_pipe_octet_by_octet) {
    sack_scoreboard board;
    add(board, {block(37, 90), block(130, 131), block(400, 650), block(700, 777), block(950, 999)});
    for (const std::uint32_t mss : {1u, 30u, 76u, 77u, 100u, 200u, 1460u}) {
        for (const std::uint32_t retransmitted : {0u, 20u, 37u, 100u, 500u, 1000u}) {
            BOOST_CHECK_EQUAL(board.pipe(una, nxt, at(retransmitted), mss),
                              pipe_by_octet(board, una, nxt, at(retransmitted), mss));
        }
        // And from a later SND.UNA inside a range, the caller not yet having acknowledged.
        BOOST_CHECK_EQUAL(board.pipe(at(420), nxt, at(500), mss), pipe_by_octet(board, at(420), nxt, at(500), mss));
    }
}

BOOST_AUTO_TEST_SUITE_END()
