// Packet buffers over real mbufs: prepend/append/trim round trips, views that share mbufs
// (reference counts observed, data pointers equal), views outliving packets, chaining,
// linearize and contiguous, clean failures on an empty pool, indirect chains for transmit,
// the current pool, pool errors, and a seeded random run against a byte-vector model.
// Every test makes its own small pool and ends with all of its mbufs back in it.
#include <boost/test/unit_test.hpp>

#include <rte_mbuf.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sluice/net/packet.hh"
#include "sluice/net/packet_pool.hh"

using namespace sluice::net;

// Failure messages print bytes as numbers and errors by their description.
namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<std::byte> {
    void operator()(std::ostream& out, std::byte value) { out << unsigned(value); }
};
template <>
struct print_log_value<buffer_error> {
    void operator()(std::ostream& out, buffer_error value) { out << describe(value); }
};
}  // namespace boost::test_tools::tt_detail

namespace {

using bytes = std::vector<std::byte>;

// Bytes that differ from one call to the next, so a misplaced copy shows.
bytes pattern(std::size_t n, unsigned seed = 1) {
    bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = std::byte((i * 7 + seed * 31) & 0xff);
    return out;
}

bytes concat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}

bytes contents(const packet& p) {
    bytes out(p.length());
    BOOST_REQUIRE_EQUAL(p.copy_out(0, out), out.size());
    return out;
}

bytes contents(const buffer& view) {
    bytes out(view.size());
    BOOST_REQUIRE_EQUAL(view.copy_out(0, out), out.size());
    return out;
}

bytes sub(const bytes& all, std::size_t offset, std::size_t n) {
    return bytes(all.begin() + std::ptrdiff_t(offset), all.begin() + std::ptrdiff_t(offset + n));
}

void fill(std::span<std::byte> span, const bytes& with) {
    BOOST_REQUIRE_EQUAL(span.size(), with.size());
    std::copy(with.begin(), with.end(), span.begin());
}

unsigned refcnt(const rte_mbuf* m) { return rte_mbuf_refcnt_read(m); }

// DPDK's own consistency check of a chain: nb_segs and pkt_len agree with the segments,
// every segment's data lies inside its buffer, reference counts are sane.
std::string chain_problem(const packet& p) {
    if (p.mbuf() == nullptr) return {};
    const char* reason = nullptr;
    return rte_mbuf_check(p.mbuf(), 1, &reason) == 0 ? std::string() : std::string(reason);
}

packet must(buffer_result<packet> made) {
    // Boost.Test builds the message even when the check passes.
    BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : describe(made.error())));
    return std::move(made).value();
}

// A pool for one test; at the end every mbuf must be back (declare it first, so the
// packets and views of the test are gone by then).
struct checked_pool : packet_pool {
    explicit checked_pool(unsigned count = 63, std::uint16_t data_room = packet_pool_config{}.data_room)
        : packet_pool(make(count, data_room)) {}
    ~checked_pool() { BOOST_CHECK_EQUAL(available(), capacity()); }

    static packet_pool make(unsigned count, std::uint16_t data_room) {
        static unsigned serial = 0;
        auto made = packet_pool::create(
            {.name = "pkt_test_" + std::to_string(serial++), .count = count, .cache_size = 0, .data_room = data_room});
        BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? std::string() : made.message()));
        return std::move(made).value();
    }
};

// Takes every free mbuf of a pool, and gives them back when destroyed.
struct drained {
    std::vector<packet> held;
    explicit drained(packet_pool& pool) {
        while (auto p = packet::allocate(pool)) held.push_back(std::move(*p));
        BOOST_REQUIRE_EQUAL(pool.available(), 0u);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(packet_buffers)

BOOST_AUTO_TEST_CASE(prepend_append_and_trims_round_trip_in_place) {
    checked_pool pool;
    const bytes payload = pattern(100, 1), header = pattern(14, 2), trailer = pattern(4, 3);
    packet p = must(packet::copy_of(payload, pool));
    BOOST_TEST(p.length() == 100u);
    BOOST_TEST(p.segments() == 1u);
    BOOST_TEST(p.headroom() == packet_pool::headroom);
    const std::byte* payload_at = p.contiguous(0, 100)->data();

    auto front = p.prepend(14, pool);
    BOOST_REQUIRE(front.ok());
    fill(*front, header);
    BOOST_TEST(front->data() + 14 == payload_at);  // in the headroom; the payload did not move
    auto back = p.append(4, pool);
    BOOST_REQUIRE(back.ok());
    fill(*back, trailer);
    BOOST_TEST(back->data() == payload_at + 100);
    BOOST_TEST(p.segments() == 1u);
    BOOST_TEST(contents(p) == concat({header, payload, trailer}));

    p.trim_front(14);
    p.trim_back(4);
    BOOST_TEST(contents(p) == payload);
    BOOST_TEST(p.contiguous(0, 100)->data() == payload_at);
    BOOST_TEST(p.headroom() == packet_pool::headroom);

    p.trim_back(1000);  // clamped: the packet keeps its one, empty segment
    BOOST_TEST(p.length() == 0u);
    BOOST_TEST(p.segments() == 1u);
}

BOOST_AUTO_TEST_CASE(prepend_without_headroom_chains_a_header_mbuf_and_moves_packet_fields) {
    checked_pool pool;
    const bytes payload = pattern(100, 1);
    packet p = must(packet::copy_of(payload, pool));
    const bytes filler = pattern(p.headroom(), 2);
    fill(*p.prepend(p.headroom(), pool), filler);
    BOOST_TEST(p.headroom() == 0u);
    BOOST_TEST(p.segments() == 1u);
    p.mbuf()->port = 7;
    const std::byte* old_front = p.contiguous(0, 1)->data();

    const bytes ip = pattern(20, 3), eth = pattern(14, 4);
    auto ip_at = p.prepend(20, pool);
    BOOST_REQUIRE(ip_at.ok());
    fill(*ip_at, ip);
    BOOST_TEST(p.segments() == 2u);
    BOOST_TEST(p.contiguous(20, 1)->data() == old_front);  // no copy of what was there
    BOOST_TEST(p.mbuf()->port == 7u);                      // packet-wide fields moved to the new head
    BOOST_TEST(p.mbuf()->pkt_len == 20u + filler.size() + 100u);

    // The next header fits in front of the first, in the same fresh mbuf.
    auto eth_at = p.prepend(14, pool);
    BOOST_REQUIRE(eth_at.ok());
    fill(*eth_at, eth);
    BOOST_TEST(eth_at->data() + 14 == ip_at->data());
    BOOST_TEST(p.segments() == 2u);
    BOOST_TEST(contents(p) == concat({eth, ip, filler, payload}));

    BOOST_TEST(p.prepend(pool.data_room() + 1u, pool).error() == buffer_error::too_large);
    BOOST_TEST(contents(p) == concat({eth, ip, filler, payload}));
    BOOST_TEST(chain_problem(p).empty(), chain_problem(p));
}

BOOST_AUTO_TEST_CASE(writes_never_reach_bytes_a_view_holds) {
    checked_pool pool;
    const bytes payload = pattern(200, 1);
    packet p = must(packet::copy_of(payload, pool));
    buffer view = p.share();
    BOOST_TEST(p.headroom() == 0u);  // shared segment: no writes into its rooms
    BOOST_TEST(p.tailroom() == 0u);
    BOOST_TEST(!p.writable(0, 10).has_value());

    p.trim_back(100);  // the view still shows those 100 bytes...
    auto more = p.append(50, pool);
    BOOST_REQUIRE(more.ok());
    fill(*more, bytes(50, std::byte{0xaa}));  // ...so these go into a new segment
    BOOST_TEST(p.segments() == 2u);
    p.trim_front(10);
    auto header = p.prepend(20, pool);
    BOOST_REQUIRE(header.ok());
    fill(*header, bytes(20, std::byte{0xbb}));
    BOOST_TEST(p.segments() == 3u);

    BOOST_TEST(contents(view) == payload);
    BOOST_TEST(contents(p) == concat({bytes(20, std::byte{0xbb}), sub(payload, 10, 90), bytes(50, std::byte{0xaa})}));
    BOOST_TEST(chain_problem(p).empty(), chain_problem(p));

    view.reset();  // unshared again: writable in place
    auto in_place = p.writable(20, 10);
    BOOST_REQUIRE(in_place.has_value());
    BOOST_TEST(in_place->data() == p.contiguous(20, 10)->data());
}

BOOST_AUTO_TEST_CASE(slices_and_splits_share_mbufs_without_copying) {
    checked_pool pool;
    const bytes payload = pattern(1000, 5);
    packet p = must(packet::copy_of(payload, pool));
    rte_mbuf* seg = p.mbuf();
    const std::byte* data = p.contiguous(0, 1)->data();
    BOOST_TEST(refcnt(seg) == 1u);

    buffer whole = p.share();
    BOOST_TEST(refcnt(seg) == 2u);
    BOOST_REQUIRE_EQUAL(whole.fragments().size(), 1u);
    BOOST_TEST(whole.fragments()[0].data() == data);
    BOOST_TEST(whole.fragments()[0].segment() == seg);

    buffer middle = whole.slice(100, 200);
    BOOST_TEST(refcnt(seg) == 3u);
    BOOST_TEST(middle.fragments()[0].data() == data + 100);
    BOOST_TEST(contents(middle) == sub(payload, 100, 200));

    auto [first, rest] = whole.split(300);  // copies: two more references
    BOOST_TEST(refcnt(seg) == 5u);
    BOOST_TEST(rest.fragments()[0].data() == data + 300);
    BOOST_TEST(contents(first) == sub(payload, 0, 300));
    BOOST_TEST(contents(rest) == sub(payload, 300, 700));

    auto [a, b] = std::move(middle).split(50);  // reuses middle's reference, adds one
    BOOST_TEST(middle.empty());
    BOOST_TEST(refcnt(seg) == 6u);
    BOOST_TEST(contents(a) == sub(payload, 100, 50));
    BOOST_TEST(contents(b) == sub(payload, 150, 150));

    a.append(std::move(b));  // adjacent bytes of one segment: one fragment, one reference
    BOOST_TEST(a.fragments().size() == 1u);
    BOOST_TEST(refcnt(seg) == 5u);
    BOOST_TEST(contents(a) == sub(payload, 100, 200));

    BOOST_TEST(whole.slice(2000).empty());  // clamped, not an error
    BOOST_TEST(whole.slice(990, 50).size() == 10u);
}

BOOST_AUTO_TEST_CASE(views_outlive_the_packet_they_came_from) {
    checked_pool pool;
    const bytes payload = pattern(300, 6);
    buffer view;
    {
        packet p = must(packet::copy_of(payload, pool));
        view = p.share(10, 100);
    }
    BOOST_TEST(pool.in_use() == 1u);
    BOOST_TEST(refcnt(view.fragments()[0].segment()) == 1u);
    BOOST_TEST(contents(view) == sub(payload, 10, 100));
    view.reset();
    BOOST_TEST(pool.in_use() == 0u);

    // into_buffer hands the packet's own references to the view.
    packet q = must(packet::copy_of(payload, pool));
    rte_mbuf* seg = q.mbuf();
    buffer all = std::move(q).into_buffer();
    BOOST_TEST(q.mbuf() == nullptr);
    BOOST_TEST(refcnt(seg) == 1u);
    BOOST_TEST(contents(all) == payload);
}

BOOST_AUTO_TEST_CASE(copying_views_balances_reference_counts) {
    checked_pool pool(63, 1024 + 128);
    const bytes payload = pattern(3000, 7);
    packet p = must(packet::copy_of(payload, pool));
    BOOST_REQUIRE_EQUAL(p.segments(), 3u);
    std::vector<rte_mbuf*> segs;
    for (rte_mbuf* m = p.mbuf(); m != nullptr; m = m->next) segs.push_back(m);

    buffer view = p.share();  // three fragments: more than fit inline
    BOOST_REQUIRE_EQUAL(view.fragments().size(), 3u);
    for (rte_mbuf* m : segs) BOOST_TEST(refcnt(m) == 2u);
    {
        std::vector<buffer> copies(10, view);
        buffer assigned = view.slice(0, 5);
        assigned = view;
        assigned = assigned;  // NOLINT: self-assignment keeps the count
        buffer moved = std::move(copies.back());
        for (rte_mbuf* m : segs) BOOST_TEST(refcnt(m) == 13u);
        for (const buffer& copy : copies) {
            if (!copy.empty()) BOOST_TEST(contents(copy) == payload);
        }
    }
    for (rte_mbuf* m : segs) BOOST_TEST(refcnt(m) == 2u);

    view.trim_front(1500);  // drops the first segment's reference
    view.trim_back(100);
    BOOST_TEST(refcnt(segs[0]) == 1u);
    BOOST_TEST(contents(view) == sub(payload, 1500, 1400));
    view.reset();
    for (rte_mbuf* m : segs) BOOST_TEST(refcnt(m) == 1u);
}

BOOST_AUTO_TEST_CASE(chain_links_another_packets_segments) {
    checked_pool pool;
    const bytes one = pattern(100, 1), two = pattern(200, 2);
    packet a = must(packet::copy_of(one, pool));
    packet b = must(packet::copy_of(two, pool));
    a.mbuf()->port = 3;
    const std::byte* b_data = b.contiguous(0, 1)->data();

    BOOST_REQUIRE(a.chain(std::move(b)).ok());
    BOOST_TEST(b.mbuf() == nullptr);
    BOOST_TEST(a.length() == 300u);
    BOOST_TEST(a.segments() == 2u);
    BOOST_TEST(a.mbuf()->port == 3u);
    BOOST_TEST(a.contiguous(100, 200)->data() == b_data);
    BOOST_TEST(contents(a) == concat({one, two}));

    packet empty;
    BOOST_REQUIRE(empty.chain(std::move(a)).ok());  // an empty packet adopts the chain
    BOOST_TEST(empty.length() == 300u);
    packet nothing;
    BOOST_REQUIRE(empty.chain(std::move(nothing)).ok());
    BOOST_TEST(empty.segments() == 2u);
}

BOOST_AUTO_TEST_CASE(linearize_copies_only_when_asked_and_fails_cleanly) {
    checked_pool pool(31, 512 + 128);
    const bytes payload = pattern(1500, 8);
    packet p = must(packet::copy_of(payload, pool));
    BOOST_REQUIRE_EQUAL(p.segments(), 3u);  // 512 after the headroom, then 640, then 348
    const std::byte* front = p.contiguous(0, 1)->data();

    auto already = p.linearize(100);
    BOOST_REQUIRE(already.ok());
    BOOST_TEST(already->data() == front);  // no copy

    // The first segment is unshared: its bytes slide forward and the next ones are pulled in.
    auto pulled = p.linearize(600);
    BOOST_REQUIRE(pulled.ok());
    BOOST_TEST(p.contiguous(0, 600).has_value());
    BOOST_TEST(p.segments() == 3u);
    BOOST_TEST(contents(p) == payload);
    BOOST_TEST(bytes(pulled->begin(), pulled->end()) == sub(payload, 0, 600));

    // A shared first segment is left alone: a fresh mbuf takes the copy.
    buffer held = p.share(0, 10);
    BOOST_TEST(p.linearize(700).error() == buffer_error::too_large);  // over one mbuf
    BOOST_TEST(p.linearize(2000).error() == buffer_error::out_of_range);
    auto fresh = p.linearize(620);
    BOOST_REQUIRE(fresh.ok());
    BOOST_TEST(p.mbuf() != held.fragments()[0].segment());
    BOOST_TEST(contents(p) == payload);
    BOOST_TEST(contents(held) == sub(payload, 0, 10));
    BOOST_TEST(chain_problem(p).empty(), chain_problem(p));

    // With the pool empty it fails and changes nothing.
    packet q = must(packet::copy_of(payload, pool));
    buffer pin = q.share(0, 1);
    {
        drained hog(pool);
        BOOST_TEST(q.linearize(630).error() == buffer_error::pool_empty);
        BOOST_TEST(contents(q) == payload);
        BOOST_TEST(q.segments() == 3u);
    }
}

BOOST_AUTO_TEST_CASE(contiguous_takes_the_fast_path_within_a_segment_only) {
    checked_pool pool(63, 512 + 128);
    const bytes payload = pattern(800, 9);
    packet p = must(packet::copy_of(payload, pool));
    BOOST_REQUIRE_EQUAL(p.segments(), 2u);  // 512 + 288

    auto inside = p.contiguous(10, 54);
    BOOST_REQUIRE(inside.has_value());
    BOOST_TEST(bytes(inside->begin(), inside->end()) == sub(payload, 10, 54));
    BOOST_TEST(p.contiguous(512, 288).has_value());
    BOOST_TEST(!p.contiguous(500, 20).has_value());  // crosses the boundary
    BOOST_TEST(!p.contiguous(790, 20).has_value());  // past the end
    BOOST_TEST(p.contiguous(800, 0).has_value());
    BOOST_TEST(!p.writable(500, 20).has_value());

    bytes across(20);
    BOOST_TEST(p.copy_out(500, across) == 20u);
    BOOST_TEST(across == sub(payload, 500, 20));
    BOOST_TEST(p.copy_out(790, across) == 10u);

    const buffer view = p.share(256);
    BOOST_TEST(view.contiguous(0, 256).has_value());   // inline fast path
    BOOST_TEST(view.contiguous(256, 288).has_value());  // second fragment
    BOOST_TEST(!view.contiguous(250, 10).has_value());
    BOOST_TEST(!view.contiguous(540, 10).has_value());
    BOOST_TEST(view.copy_out(250, across) == 20u);
    BOOST_TEST(across == sub(payload, 506, 20));
}

BOOST_AUTO_TEST_CASE(an_empty_pool_gives_errors_not_crashes) {
    checked_pool pool(15);
    const bytes payload = pattern(100, 10);
    packet p = must(packet::allocate(pool));
    BOOST_REQUIRE(p.append_copy(payload, pool).ok());
    {
        drained hog(pool);
        BOOST_TEST(packet::allocate(pool).error() == buffer_error::pool_empty);
        BOOST_TEST(packet::copy_of(payload, pool).error() == buffer_error::pool_empty);
        BOOST_TEST(packet::from_buffer(p.share(), pool).error() == buffer_error::pool_empty);

        BOOST_REQUIRE(p.prepend(p.headroom(), pool).ok());  // room in place: no allocation
        BOOST_REQUIRE(p.append(p.tailroom(), pool).ok());
        const bytes before = contents(p);
        BOOST_TEST(p.prepend(10, pool).error() == buffer_error::pool_empty);
        BOOST_TEST(p.append(10, pool).error() == buffer_error::pool_empty);
        BOOST_TEST(p.append_copy(pattern(5000), pool).error() == buffer_error::pool_empty);
        BOOST_TEST(contents(p) == before);

        // All or nothing when the pool runs out half-way.
        hog.held.pop_back();
        BOOST_TEST(p.append_copy(pattern(5000), pool).error() == buffer_error::pool_empty);
        BOOST_TEST(contents(p) == before);
        BOOST_TEST(p.segments() == 1u);
        BOOST_TEST(pool.available() == 1u);
    }
}

BOOST_AUTO_TEST_CASE(append_builds_chains_over_segment_boundaries) {
    checked_pool pool(63, 256 + 128);
    packet p = must(packet::allocate(pool));
    bytes model;
    for (unsigned i = 0; model.size() < 1000; ++i) {
        const bytes piece = pattern(7 + i % 13, i);
        BOOST_REQUIRE(p.append_copy(piece, pool).ok());
        model.insert(model.end(), piece.begin(), piece.end());
    }
    // 256 after the first segment's headroom, then full 384-byte segments.
    const std::size_t expected_segments = 1 + (model.size() - 256 + 383) / 384;
    BOOST_TEST(p.segments() == expected_segments);
    BOOST_TEST(contents(p) == model);

    const std::size_t before = p.segments();
    const bytes block = pattern(300, 11);
    auto at = p.append(300, pool);  // contiguous: a new segment when the tail is short
    BOOST_REQUIRE(at.ok());
    fill(*at, block);
    BOOST_TEST(p.segments() == before + 1);
    BOOST_TEST(p.append(385, pool).error() == buffer_error::too_large);
    BOOST_TEST(contents(p) == concat({model, block}));
    BOOST_TEST(chain_problem(p).empty(), chain_problem(p));
}

BOOST_AUTO_TEST_CASE(from_buffer_sends_shared_bytes_through_indirect_mbufs) {
    checked_pool pool;
    const bytes payload = pattern(500, 12);
    packet p = must(packet::copy_of(payload, pool));
    rte_mbuf* seg = p.mbuf();
    buffer view = p.share(100, 300);

    packet tx = must(packet::from_buffer(view, pool));
    BOOST_TEST(tx.length() == 300u);
    BOOST_TEST(RTE_MBUF_CLONED(tx.mbuf()));
    BOOST_TEST(tx.contiguous(0, 1)->data() == view.fragments()[0].data());  // no copy
    BOOST_TEST(refcnt(seg) == 3u);                                          // packet, view, indirect mbuf
    BOOST_TEST(tx.headroom() == 0u);  // the bytes are someone else's
    auto header = tx.prepend(14, pool);
    BOOST_REQUIRE(header.ok());
    fill(*header, pattern(14, 13));
    BOOST_TEST(tx.segments() == 2u);

    p = packet();
    view.reset();
    BOOST_TEST(refcnt(seg) == 1u);  // only the indirect mbuf keeps it now
    BOOST_TEST(contents(tx) == concat({pattern(14, 13), sub(payload, 100, 300)}));
    BOOST_TEST(chain_problem(tx).empty(), chain_problem(tx));
    rte_pktmbuf_free(tx.release());  // as a tx burst would
}

BOOST_AUTO_TEST_CASE(from_mbuf_adopts_and_release_hands_back) {
    checked_pool pool;
    rte_mbuf* raw = rte_pktmbuf_alloc(pool.mempool());
    BOOST_REQUIRE(raw != nullptr);
    char* data = rte_pktmbuf_append(raw, 64);
    BOOST_REQUIRE(data != nullptr);
    std::memset(data, 0x5a, 64);

    packet p = packet::from_mbuf(raw);
    BOOST_TEST(p.length() == 64u);
    BOOST_TEST(p.contiguous(0, 64)->data() == reinterpret_cast<std::byte*>(data));
    BOOST_TEST(contents(p) == bytes(64, std::byte{0x5a}));
    BOOST_TEST(p.release() == raw);
    BOOST_TEST(p.length() == 0u);
    rte_pktmbuf_free(raw);
    BOOST_TEST(packet::from_mbuf(nullptr).segments() == 0u);
}

BOOST_AUTO_TEST_CASE(allocation_uses_the_current_pool_then_the_packets_own) {
    checked_pool mine, other;
    BOOST_REQUIRE(packet_pool::current() == nullptr);
    BOOST_TEST(packet::allocate().error() == buffer_error::no_pool);
    {
        packet_pool::scoped_current use(mine);
        BOOST_TEST(mine.is_current());
        packet p = must(packet::copy_of(pattern(10)));
        BOOST_TEST(p.mbuf()->pool == mine.mempool());
        packet q = must(packet::copy_of(pattern(10), other));
        BOOST_REQUIRE(q.prepend(q.headroom()).ok());
        BOOST_REQUIRE(q.prepend(8).ok());  // a fresh header from this shard's pool
        BOOST_TEST(q.mbuf()->pool == mine.mempool());
        BOOST_TEST(q.mbuf()->next->pool == other.mempool());
    }
    BOOST_TEST(packet_pool::current() == nullptr);
    packet r = must(packet::copy_of(pattern(10), other));
    BOOST_REQUIRE(r.prepend(r.headroom()).ok());
    BOOST_REQUIRE(r.prepend(8).ok());  // off-shard: the packet's own pool
    BOOST_TEST(r.mbuf()->pool == other.mempool());
}

BOOST_AUTO_TEST_CASE(releasing_another_shards_mbufs_is_counted_in_debug_builds) {
#ifdef NDEBUG
    BOOST_TEST_MESSAGE("release build: foreign frees are not counted");
#else
    checked_pool mine, other;
    packet_pool::scoped_current use(mine);
    const auto before = packet_pool::foreign_frees();
    { packet p = must(packet::allocate(mine)); }
    BOOST_TEST(packet_pool::foreign_frees() == before);
    { packet p = must(packet::allocate(other)); }
    BOOST_TEST(packet_pool::foreign_frees() == before + 1);
    {
        packet p = must(packet::copy_of(pattern(10), other));
        buffer view = std::move(p).into_buffer();
    }
    BOOST_TEST(packet_pool::foreign_frees() == before + 2);
#endif
}

BOOST_AUTO_TEST_CASE(pool_errors_are_one_line_naming_the_fix) {
    auto message = [](const packet_pool_config& config) {
        auto made = packet_pool::create(config);
        BOOST_REQUIRE(!made.ok());
        BOOST_TEST(made.message().find('\n') == std::string::npos);
        return made.message();
    };
    BOOST_TEST(message({.name = std::string(40, 'x')}).find("shorten it") != std::string::npos);
    BOOST_TEST(message({.name = "pkt_zero", .count = 0}).find("at least one") != std::string::npos);
    BOOST_TEST(message({.name = "pkt_cache", .count = 4095, .cache_size = 600}).find("lower it") != std::string::npos);
    BOOST_TEST(message({.name = "pkt_cache", .count = 63, .cache_size = 64}).find("lower cache_size") !=
               std::string::npos);
    const std::string no_memory = message({.name = "pkt_huge", .count = 4'000'000});
    BOOST_TEST(no_memory.find("not enough memory for 4000000 mbufs") != std::string::npos, no_memory);
    BOOST_TEST(no_memory.find("lower the count") != std::string::npos);

    checked_pool taken;
    BOOST_TEST(message({.name = taken.name(), .count = 63, .cache_size = 0}).find("already exists") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(random_operations_match_a_byte_vector_model) {
    // Small segments for many boundaries; few enough that the pool runs dry now and then.
    checked_pool pool(39, 256 + 128);
    std::mt19937 rng(20240611);  // fixed: a failure replays
    auto below = [&](std::size_t n) { return n == 0 ? std::size_t(0) : std::size_t(rng() % n); };
    std::uint8_t next = 0;
    auto fresh_bytes = [&](std::size_t n) {
        bytes out(n);
        for (std::byte& b : out) b = std::byte(next++);
        return out;
    };
    struct held_view {
        buffer view;
        bytes expected;
    };

    packet p;
    bytes model;
    std::vector<held_view> views;
    // Per operation: how often it ran, and how often it failed (a full pool, a too-large ask).
    std::array<unsigned, 13> ran{}, failed{};
    unsigned written_in_place = 0, pool_empty = 0;
    auto expect_error = [&](buffer_error error, int op, int step) {
        ++failed[std::size_t(op)];
        pool_empty += error == buffer_error::pool_empty;
        BOOST_REQUIRE_MESSAGE(error == buffer_error::pool_empty || error == buffer_error::too_large,
                              "step " << step << " op " << op << ": " << describe(error));
    };

    for (int step = 0; step < 10'000; ++step) {
        const int op = int(rng() % 13);
        ++ran[std::size_t(op)];
        switch (op) {
            case 0: {  // append a copy
                const bytes data = fresh_bytes(below(700));
                if (auto r = p.append_copy(data, pool)) model.insert(model.end(), data.begin(), data.end());
                else expect_error(r.error(), op, step);
                break;
            }
            case 1: {  // append room and write it
                const bytes data = fresh_bytes(below(400));
                if (auto r = p.append(data.size(), pool)) {
                    fill(*r, data);
                    model.insert(model.end(), data.begin(), data.end());
                } else {
                    expect_error(r.error(), op, step);
                }
                break;
            }
            case 2: {  // prepend a header
                const bytes data = fresh_bytes(below(400));
                if (auto r = p.prepend(data.size(), pool)) {
                    fill(*r, data);
                    model.insert(model.begin(), data.begin(), data.end());
                } else {
                    expect_error(r.error(), op, step);
                }
                break;
            }
            case 3: {
                const std::size_t n = std::min(below(model.size() + 20), model.size());
                p.trim_front(n);
                model.erase(model.begin(), model.begin() + std::ptrdiff_t(n));
                break;
            }
            case 4: {
                const std::size_t n = std::min(below(model.size() + 20), model.size());
                p.trim_back(n);
                model.resize(model.size() - n);
                break;
            }
            case 5: {  // chain another packet
                const bytes data = fresh_bytes(below(900));
                auto other = packet::copy_of(data, pool);
                if (!other) {
                    expect_error(other.error(), op, step);
                    break;
                }
                BOOST_REQUIRE(p.chain(std::move(*other)).ok());
                model.insert(model.end(), data.begin(), data.end());
                break;
            }
            case 6: {  // linearize a prefix
                const std::size_t n = below(std::min<std::size_t>(model.size(), 450) + 10);
                auto r = p.linearize(n, pool);
                if (n > model.size()) {
                    BOOST_REQUIRE(!r.ok() && r.error() == buffer_error::out_of_range);
                } else if (r) {
                    BOOST_REQUIRE(bytes(r->begin(), r->end()) == sub(model, 0, n));
                    BOOST_REQUIRE(p.contiguous(0, n).has_value());
                } else {
                    expect_error(r.error(), op, step);
                }
                break;
            }
            case 7: {  // take a view
                const std::size_t offset = below(model.size() + 1);
                const std::size_t n = below(model.size() - offset + 1);
                views.push_back({p.share(offset, n), sub(model, offset, n)});
                break;
            }
            case 8: {  // split a view
                if (views.empty()) break;
                const std::size_t i = below(views.size());
                held_view held = std::move(views[i]);
                views.erase(views.begin() + std::ptrdiff_t(i));
                const std::size_t at = below(held.expected.size() + 1);
                auto [left, right] = std::move(held.view).split(at);
                views.push_back({std::move(left), sub(held.expected, 0, at)});
                views.push_back({std::move(right), sub(held.expected, at, held.expected.size() - at)});
                break;
            }
            case 9: {  // drop a view, or trim one
                if (views.empty()) break;
                const std::size_t i = below(views.size());
                if (rng() % 2 == 0) {
                    views.erase(views.begin() + std::ptrdiff_t(i));
                } else {
                    const std::size_t n = below(views[i].expected.size() + 1);
                    views[i].view.trim_front(n);
                    views[i].expected.erase(views[i].expected.begin(), views[i].expected.begin() + std::ptrdiff_t(n));
                }
                break;
            }
            case 10: {  // write in place where allowed
                const std::size_t offset = below(model.size() + 1);
                const std::size_t n = below(std::min<std::size_t>(model.size() - offset, 64) + 1);
                if (auto span = p.writable(offset, n)) {
                    const bytes data = fresh_bytes(n);
                    fill(*span, data);
                    std::copy(data.begin(), data.end(), model.begin() + std::ptrdiff_t(offset));
                    written_in_place += n != 0;
                }
                break;
            }
            case 11: {  // send a view's bytes: an indirect chain, chained on
                if (views.empty()) break;
                const held_view& held = views[below(views.size())];
                auto tx = packet::from_buffer(held.view, pool);
                if (!tx) {
                    expect_error(tx.error(), op, step);
                    break;
                }
                BOOST_REQUIRE(p.chain(std::move(*tx)).ok());
                model.insert(model.end(), held.expected.begin(), held.expected.end());
                break;
            }
            case 12: {  // read
                const std::size_t offset = below(model.size() + 1);
                const std::size_t n = below(model.size() - offset + 1);
                if (auto span = p.contiguous(offset, n)) {
                    BOOST_REQUIRE(bytes(span->begin(), span->end()) == sub(model, offset, n));
                }
                bytes out(n);
                BOOST_REQUIRE_EQUAL(p.copy_out(offset, out), n);
                BOOST_REQUIRE(out == sub(model, offset, n));
                break;
            }
        }
        // Keep the packet and the views within the pool, mostly.
        while (views.size() > 12) views.erase(views.begin() + std::ptrdiff_t(below(views.size())));
        if (model.size() > 6000) {
            p.trim_front(3000);
            model.erase(model.begin(), model.begin() + 3000);
        }
        BOOST_REQUIRE_MESSAGE(p.length() == model.size(), "step " << step << " op " << op);
        BOOST_REQUIRE_MESSAGE(chain_problem(p).empty(), "step " << step << " op " << op << ": " << chain_problem(p));
        BOOST_REQUIRE_MESSAGE(contents(p) == model, "step " << step << " op " << op);
        if (step % 16 == 0) {
            for (const held_view& held : views) {
                BOOST_REQUIRE_MESSAGE(contents(held.view) == held.expected, "step " << step << " op " << op);
            }
        }
    }
    for (const held_view& held : views) BOOST_TEST(contents(held.view) == held.expected);
    // Every kind of edit took effect many times (not only failed or skipped).
    for (int op : {0, 1, 2, 5, 6, 11}) {
        BOOST_TEST_MESSAGE("op " << op << ": ran " << ran[std::size_t(op)] << ", failed " << failed[std::size_t(op)]);
        BOOST_TEST(ran[std::size_t(op)] - failed[std::size_t(op)] > 100u, "op " << op);
    }
    BOOST_TEST(written_in_place > 100u);
    BOOST_TEST_MESSAGE("pool ran dry " << pool_empty << " times");
    BOOST_TEST(pool_empty > 0u);  // and each time the packet stayed as it was
    views.clear();
    p = packet();
}

BOOST_AUTO_TEST_SUITE_END()
