// The TCP send buffer over real mbufs: writes take what fits the room and copy once, small
// writes share an mbuf, zero-copy writes keep the writer's mbufs, views cross write and
// piece boundaries and clamp to what is held, acknowledgments free partial pieces and clamp
// to [head, tail], sequence numbers wrap past 2^32, capacity changes only stop new writes,
// and an empty pool leaves the buffer as it was. Every test ends with its pool full again.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "sluice/core/clock.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/tcp/send_buffer.hh"
#include "tests/unit/tcp/tcp_test_support.hh"

using namespace sluice::net;
using namespace sluice::net::tcp;
using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace wire = sluice::net::wire;

namespace {

// Writes the pattern bytes of [buffer.tail(), + n), expecting all of them taken.
void write_pattern(send_buffer& sent, std::size_t n) {
    auto taken = sent.write(pattern(sent.tail(), n));
    BOOST_REQUIRE(taken.ok());
    BOOST_REQUIRE_EQUAL(*taken, n);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp_send_buffer)

BOOST_AUTO_TEST_CASE(write_takes_up_to_the_room_and_moves_the_tail) {
    test_pool pool;
    const seq first(1000);
    send_buffer sent(first, 1000);
    BOOST_TEST(sent.room() == 1000u);
    BOOST_TEST(sent.head() == first);
    BOOST_TEST(sent.tail() == first);

    const bytes data = pattern(first, 1500);
    auto taken = sent.write(std::span(data).first(600));
    BOOST_REQUIRE(taken.ok());
    BOOST_TEST(*taken == 600u);
    BOOST_TEST(sent.size() == 600u);
    BOOST_TEST(sent.room() == 400u);
    BOOST_TEST(sent.tail() == first + 600);

    taken = sent.write(std::span(data).subspan(600));
    BOOST_REQUIRE(taken.ok());
    BOOST_TEST(*taken == 400u);  // only what the room allowed
    BOOST_TEST(sent.room() == 0u);
    taken = sent.write(std::span(data).subspan(1000));
    BOOST_REQUIRE(taken.ok());
    BOOST_TEST(*taken == 0u);
    BOOST_TEST(sent.size() == 1000u);
    BOOST_TEST(contents(sent.view(first, 5000)) == pattern(first, 1000));
}

BOOST_AUTO_TEST_CASE(small_writes_share_one_mbuf_until_it_is_full) {
    test_pool pool;
    send_buffer sent(seq(1), 64 * 1024);
    for (int i = 0; i < 20; ++i) write_pattern(sent, 10);
    BOOST_TEST(pool.in_use() == 1u);
    const buffer all = sent.view(seq(1), 200);
    BOOST_TEST(all.fragments().size() == 1u);
    BOOST_TEST(contents(all) == pattern(seq(1), 200));
}

BOOST_AUTO_TEST_CASE(view_crosses_write_and_piece_boundaries_and_clamps) {
    test_pool pool;
    const seq first(7);
    send_buffer sent(first, 256 * 1024);
    // Small writes, one that fills and closes the open piece, a zero-copy view, then more.
    write_pattern(sent, 100);
    write_pattern(sent, 1);
    write_pattern(sent, send_buffer::piece_bytes + 3000);
    BOOST_REQUIRE(sent.write(payload(sent.tail(), 700)));
    write_pattern(sent, 50);
    write_pattern(sent, 2 * send_buffer::piece_bytes);
    const std::size_t total = sent.size();
    BOOST_TEST(total == 100u + 1 + send_buffer::piece_bytes + 3000 + 700 + 50 + 2 * send_buffer::piece_bytes);

    // Views at offsets on and off the piece boundaries (16384, 19485, 20185) hold the right bytes.
    const std::size_t offsets[] = {0, 99, 100, 101, 16000, 16383, 16384, 19484, 19485, 20185, 36000, total - 1};
    for (std::size_t offset : offsets) {
        for (std::size_t max : {1ul, 1460ul, 9000ul}) {
            const std::size_t expected = std::min(max, total - offset);
            const buffer piece = sent.view(first + std::uint32_t(offset), max);
            BOOST_TEST_CONTEXT("offset " << offset << " max " << max) {
                BOOST_TEST(piece.size() == expected);
                BOOST_TEST(contents(piece) == pattern(first + std::uint32_t(offset), expected));
            }
        }
    }
    BOOST_TEST(sent.view(first, total + 5000).size() == total);
    BOOST_TEST(sent.view(sent.tail(), 100).empty());
    BOOST_TEST(sent.view(sent.tail() + 10, 100).empty());
    BOOST_TEST(sent.view(first - 1, 100).empty());
    BOOST_TEST(sent.view(first, 0).empty());
}

BOOST_AUTO_TEST_CASE(a_view_stays_valid_while_later_writes_land_behind_it) {
    test_pool pool;
    send_buffer sent(seq(0), 10000);
    write_pattern(sent, 100);
    const buffer transmitted = sent.view(seq(0), 100);  // shares the open packet's mbuf
    write_pattern(sent, 300);
    BOOST_TEST(contents(transmitted) == pattern(seq(0), 100));
    BOOST_TEST(contents(sent.view(seq(0), 400)) == pattern(seq(0), 400));
    // And a retransmission view outlives the acknowledgment that frees the buffer's hold.
    BOOST_TEST(sent.acknowledge(seq(400)) == 400u);
    BOOST_TEST(contents(transmitted) == pattern(seq(0), 100));
}

BOOST_AUTO_TEST_CASE(acknowledge_frees_partial_pieces_and_clamps_to_head_and_tail) {
    test_pool pool;
    const seq first(500);
    send_buffer sent(first, 256 * 1024);
    write_pattern(sent, 3000);
    BOOST_REQUIRE(sent.write(payload(sent.tail(), 2000)));
    write_pattern(sent, send_buffer::piece_bytes + 10);
    const std::size_t total = sent.size();
    const unsigned mbufs_at_start = pool.in_use();

    BOOST_TEST(sent.acknowledge(first + 1200) == 1200u);  // inside the first piece
    BOOST_TEST(sent.head() == first + 1200);
    BOOST_TEST(sent.size() == total - 1200);
    BOOST_TEST(sent.room() == 256 * 1024 - (total - 1200));
    BOOST_TEST(contents(sent.view(sent.head(), 4000)) == pattern(first + 1200, 4000));

    BOOST_TEST(sent.acknowledge(first + 1000) == 0u);  // old: before head
    BOOST_TEST(sent.acknowledge(first + 1200) == 0u);  // a duplicate
    BOOST_TEST(sent.head() == first + 1200);
    BOOST_TEST(sent.view(first + 1199, 10).empty());

    BOOST_TEST(sent.acknowledge(first + 4000) == 2800u);  // past the copied piece, into the view
    BOOST_TEST(contents(sent.view(sent.head(), 100000)) == pattern(first + 4000, total - 4000));
    BOOST_TEST(pool.in_use() < mbufs_at_start);  // the first piece's mbufs went back

    BOOST_TEST(sent.acknowledge(sent.tail() + 5000) == total - 4000);  // clamped to the tail
    BOOST_TEST(sent.size() == 0u);
    BOOST_TEST(sent.head() == first + std::uint32_t(total));
    BOOST_TEST(sent.tail() == sent.head());
    BOOST_TEST(pool.in_use() == 0u);
}

BOOST_AUTO_TEST_CASE(zero_copy_write_keeps_the_writers_mbufs_and_is_all_or_nothing) {
    test_pool pool;
    const seq first(42);
    send_buffer sent(first, 1000);
    packet written = segment_packet(first, 600);
    const rte_mbuf* segment = written.mbuf();
    buffer bytes = std::move(written).into_buffer();
    BOOST_REQUIRE(sent.write(std::move(bytes)));
    BOOST_TEST(sent.size() == 600u);
    const buffer seen = sent.view(first + 10, 100);
    BOOST_REQUIRE_EQUAL(seen.fragments().size(), 1u);
    BOOST_TEST(seen.fragments()[0].segment() == segment);
    BOOST_TEST(contents(seen) == pattern(first + 10, 100));

    buffer too_big = payload(sent.tail(), 401);
    BOOST_TEST(!sent.write(std::move(too_big)));
    BOOST_TEST(too_big.size() == 401u);  // refused, and left with the caller
    BOOST_TEST(sent.size() == 600u);
    BOOST_TEST(sent.tail() == first + 600);
    buffer fits = payload(sent.tail(), 400);
    BOOST_TEST(sent.write(std::move(fits)));
    BOOST_TEST(contents(sent.view(first, 1000)) == pattern(first, 1000));
}

BOOST_AUTO_TEST_CASE(copied_and_zero_copy_writes_keep_their_order) {
    test_pool pool;
    const seq first(0);
    send_buffer sent(first, 10000);
    write_pattern(sent, 30);                               // into the open packet
    BOOST_REQUIRE(sent.write(payload(sent.tail(), 20)));  // closes it, then queues the view
    write_pattern(sent, 30);                               // a new open packet
    BOOST_TEST(contents(sent.view(first, 80)) == pattern(first, 80));
    BOOST_TEST(contents(sent.view(first + 25, 30)) == pattern(first + 25, 30));
}

BOOST_AUTO_TEST_CASE(shrinking_the_capacity_keeps_what_is_held_and_stops_new_writes) {
    test_pool pool;
    send_buffer sent(seq(0), 1000);
    write_pattern(sent, 800);
    sent.set_capacity(500);
    BOOST_TEST(sent.capacity() == 500u);
    BOOST_TEST(sent.size() == 800u);
    BOOST_TEST(sent.room() == 0u);
    auto taken = sent.write(pattern(sent.tail(), 10));
    BOOST_REQUIRE(taken.ok());
    BOOST_TEST(*taken == 0u);
    BOOST_TEST(!sent.write(payload(sent.tail(), 1)));
    BOOST_TEST(sent.acknowledge(seq(400)) == 400u);
    BOOST_TEST(sent.room() == 100u);
    sent.set_capacity(2000);
    BOOST_TEST(sent.room() == 1600u);
    BOOST_TEST(contents(sent.view(seq(400), 1000)) == pattern(seq(400), 400));
}

BOOST_AUTO_TEST_CASE(sequence_numbers_wrap_past_two_to_the_thirty_two) {
    test_pool pool;
    const seq first(0xffff'ff9c);  // 2^32 - 100
    send_buffer sent(first, 1000);
    write_pattern(sent, 300);
    BOOST_TEST(sent.tail() == seq(200));
    BOOST_TEST(contents(sent.view(first + 50, 100)) == pattern(first + 50, 100));  // across the wrap
    BOOST_TEST(contents(sent.view(seq(10), 1000)) == pattern(seq(10), 190));
    BOOST_TEST(sent.view(seq(200), 10).empty());
    BOOST_TEST(sent.acknowledge(seq(150)) == 250u);
    BOOST_TEST(sent.head() == seq(150));
    BOOST_TEST(contents(sent.view(seq(150), 100)) == pattern(seq(150), 50));
    BOOST_TEST(sent.acknowledge(first + 10) == 0u);  // behind the head, across the wrap
}

BOOST_AUTO_TEST_CASE(an_empty_pool_leaves_the_buffer_unchanged) {
    test_pool pool(63);
    const seq first(9);
    send_buffer sent(first, 256 * 1024);
    write_pattern(sent, 100);
    const unsigned held_before = pool.in_use();
    {
        drained all(pool);
        // Into a fresh mbuf (the open one is shared by a view, so it cannot take more).
        const buffer transmitted = sent.view(first, 100);
        auto taken = sent.write(pattern(sent.tail(), 50));
        BOOST_REQUIRE(!taken.ok());
        BOOST_TEST(taken.error() == buffer_error::pool_empty);
        BOOST_TEST(sent.size() == 100u);
        BOOST_TEST(sent.tail() == first + 100);
        BOOST_TEST(contents(sent.view(first, 1000)) == pattern(first, 100));
    }
    BOOST_TEST(pool.in_use() == held_before);
    write_pattern(sent, 50);  // and it works again once mbufs are back
    BOOST_TEST(contents(sent.view(first, 1000)) == pattern(first, 150));
}

BOOST_AUTO_TEST_CASE(a_pool_that_runs_dry_part_way_keeps_the_whole_pieces_it_took) {
    test_pool pool(63);
    const seq first(0);
    // How many mbufs one piece takes, measured rather than assumed.
    unsigned per_piece = 0;
    {
        send_buffer probe(first, 1u << 20);
        write_pattern(probe, send_buffer::piece_bytes);
        per_piece = pool.in_use();
    }
    BOOST_REQUIRE_GT(per_piece, 0u);
    send_buffer sent(first, 1u << 20);
    {
        drained all(pool);
        for (unsigned i = 0; i < per_piece; ++i) all.held.pop_back();  // exactly one piece free
        auto taken = sent.write(pattern(first, 3 * send_buffer::piece_bytes));
        BOOST_REQUIRE(taken.ok());
        BOOST_TEST(*taken == send_buffer::piece_bytes);
        BOOST_TEST(sent.size() == send_buffer::piece_bytes);
        BOOST_TEST(pool.available() == 0u);
    }
    BOOST_TEST(contents(sent.view(first, 1u << 20)) == pattern(first, send_buffer::piece_bytes));
}

BOOST_AUTO_TEST_SUITE_END()
