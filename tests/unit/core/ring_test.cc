// spsc_ring, both signals: every element pushed arrives once, in order, and is destroyed
// (tail_index) or handed back to its owner (slot_value) exactly once; an all-or-nothing
// call that cannot be met, however large, moves nothing. On one thread every case runs
// for each signal; across two threads pinned to two cores, for every bulk size 1..64,
// with the indices wrapping past 2^64.
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sluice/core/spsc_ring.hh"
#include "sluice/core/topology.hh"

using sluice::spsc_ring;

// Named, not anonymous, so template test names read "<spsc_ring_test__slot_signalled>"
// (Boost.Test writes :: as __), which --run_test can select.
namespace spsc_ring_test {

// Counts its constructions and destructions per thread, so two threads can count
// without sharing a cache line; the totals are summed after both have joined.
struct counted {
    static thread_local std::int64_t alive_delta;
    std::uint64_t sequence = 0;

    counted() noexcept { ++alive_delta; }
    explicit counted(std::uint64_t s) noexcept : sequence(s) { ++alive_delta; }
    counted(const counted& other) noexcept : sequence(other.sequence) { ++alive_delta; }
    counted(counted&& other) noexcept : sequence(other.sequence) { ++alive_delta; }
    counted& operator=(const counted&) noexcept = default;
    counted& operator=(counted&&) noexcept = default;
    ~counted() { --alive_delta; }
};
thread_local std::int64_t counted::alive_delta = 0;

// The rings the single-thread cases run over. In each, an element the ring loses leaves
// counted::alive_delta off zero at the end of the case.
//
// tail_index: the ring holds `counted` values and owns them; the caller's copies die
// with the vectors that hold them.
struct tail_signalled {
    using element = counted;
    using ring = spsc_ring<counted>;
    static element make(std::uint64_t sequence) { return counted(sequence); }
    static std::uint64_t sequence_of(const element& e) { return e.sequence; }
    static void release(element&) {}
};
// slot_value: the ring carries pointers and owns nothing. Each element is a heap
// `counted` that whoever holds the pointer frees, so a pointer the ring drops (or writes
// over a caller's) is never freed.
struct slot_signalled {
    using element = counted*;
    using ring = spsc_ring<counted*, sluice::ring_signal::slot_value>;
    static element make(std::uint64_t sequence) { return new counted(sequence); }
    static std::uint64_t sequence_of(const element& e) { return e->sequence; }
    static void release(element& e) {
        delete e;
        e = nullptr;
    }
};
using ring_kinds = boost::mpl::list<tail_signalled, slot_signalled>;

template <typename Kind>
std::vector<typename Kind::element> make_elements(std::uint64_t first, std::size_t count) {
    std::vector<typename Kind::element> elements;
    for (std::size_t i = 0; i < count; ++i) elements.push_back(Kind::make(first + i));
    return elements;
}

std::vector<std::uint64_t> sequence_range(std::uint64_t first, std::size_t count) {
    std::vector<std::uint64_t> sequences(count);
    std::iota(sequences.begin(), sequences.end(), first);
    return sequences;
}

// The sequence numbers `elements` carry; releases them.
template <typename Kind>
std::vector<std::uint64_t> take_sequences(std::span<typename Kind::element> elements) {
    std::vector<std::uint64_t> sequences;
    for (auto& e : elements) {
        sequences.push_back(Kind::sequence_of(e));
        Kind::release(e);
    }
    return sequences;
}

// Pops everything queued, in bursts; returns the sequence numbers in the order they came.
template <typename Kind>
std::vector<std::uint64_t> drain(typename Kind::ring& ring) {
    std::vector<std::uint64_t> sequences;
    std::vector<typename Kind::element> out(3);  // smaller than any ring here: several bursts
    while (const std::size_t got = ring.pop_burst(out)) {
        for (auto s : take_sequences<Kind>(std::span(out.data(), got))) sequences.push_back(s);
    }
    return sequences;
}

constexpr std::uint64_t near_wrap = std::numeric_limits<std::uint64_t>::max() - 1000;

void pin_to(unsigned index) {
    static const auto topo = sluice::topology::discover();
    BOOST_REQUIRE_MESSAGE(topo.ok(), (topo.ok() ? std::string() : topo.message()));
    const auto& allowed = topo->allowed_cpus();
    auto bound = topo->bind_current_thread(allowed[index % allowed.size()]);
    BOOST_REQUIRE_MESSAGE(bound.ok(), (bound.ok() ? std::string() : bound.message()));
}

struct transfer_outcome {
    std::uint64_t received = 0;
    std::uint64_t out_of_order = 0;
    std::int64_t alive_delta = 0;  // constructions minus destructions on that thread
};

// The rings the two-core cases stream through, and how each element carries a sequence
// number. The slot_value ring carries pointers into a fixed array rather than heap
// objects: 10^7 allocations per bulk size would measure malloc, not the ring.
struct counted_elements {
    using element = counted;
    using ring = spsc_ring<counted>;
    static void set(element& e, std::uint64_t sequence) { e.sequence = sequence; }
    static std::uint64_t get(const element& e) { return e.sequence; }
};
struct pointer_elements {  // slot_value rings carry non-null pointers: base + sequence
    using element = const std::byte*;
    using ring = spsc_ring<const std::byte*, sluice::ring_signal::slot_value>;
    static inline std::vector<std::byte> base = std::vector<std::byte>(10'000'001);
    static void set(element& e, std::uint64_t sequence) { e = base.data() + 1 + sequence; }
    static std::uint64_t get(element e) { return std::uint64_t(e - base.data() - 1); }
};
using streamed_kinds = boost::mpl::list<counted_elements, pointer_elements>;

// Producer on one core, consumer on the other. Odd bulk sizes push all-or-nothing and pop
// in bursts; even sizes push in bursts and pop all-or-nothing, so both APIs see every size.
template <typename Elements>
transfer_outcome transfer_across_cores(std::uint64_t items, std::size_t bulk, std::uint64_t start_index) {
    using element = typename Elements::element;
    typename Elements::ring ring(128, sluice::detail::ring_start_index{start_index});
    const bool producer_bulk = bulk % 2 == 1;
    transfer_outcome producer_side, consumer_side;

    std::thread producer([&] {
        pin_to(0);
        std::vector<element> batch(bulk);
        std::uint64_t next = 0;
        while (next < items) {
            const std::size_t n = std::size_t(std::min<std::uint64_t>(bulk, items - next));
            for (std::size_t i = 0; i < n; ++i) Elements::set(batch[i], next + i);
            std::span<element> pending(batch.data(), n);
            if (producer_bulk) {
                while (!ring.try_push_bulk(pending)) std::this_thread::yield();
            } else {
                while (!pending.empty()) {
                    const std::size_t pushed = ring.push_burst(pending);
                    pending = pending.subspan(pushed);
                    if (pushed == 0) std::this_thread::yield();
                }
            }
            next += n;
        }
        batch.clear();
        producer_side.alive_delta = counted::alive_delta;
    });
    std::thread consumer([&] {
        pin_to(1);
        std::vector<element> out(bulk);
        std::uint64_t expected = 0;
        while (expected < items) {
            const std::size_t want = std::size_t(std::min<std::uint64_t>(bulk, items - expected));
            std::size_t got = 0;
            if (producer_bulk) {
                got = ring.pop_burst(std::span(out.data(), want));
            } else if (ring.try_pop_bulk(std::span(out.data(), want))) {
                got = want;
            }
            if (got == 0) {
                std::this_thread::yield();
                continue;
            }
            for (std::size_t i = 0; i < got; ++i) {
                consumer_side.out_of_order += Elements::get(out[i]) != expected;
                ++expected;
            }
            consumer_side.received += got;
        }
        out.clear();
        consumer_side.alive_delta = counted::alive_delta;
    });
    producer.join();
    consumer.join();
    consumer_side.alive_delta += producer_side.alive_delta;
    return consumer_side;
}

}  // namespace spsc_ring_test

using namespace spsc_ring_test;
namespace tt = boost::test_tools;

BOOST_AUTO_TEST_SUITE(spsc_ring_single_thread)

BOOST_AUTO_TEST_CASE_TEMPLATE(rejects_capacity_that_is_not_a_power_of_two, Kind, ring_kinds) {
    using ring = typename Kind::ring;
    BOOST_CHECK_THROW(ring(100), std::invalid_argument);
    BOOST_CHECK_THROW(ring(1), std::invalid_argument);
    BOOST_CHECK_NO_THROW(ring(2));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(bulk_push_is_all_or_nothing, Kind, ring_kinds) {
    counted::alive_delta = 0;
    {
        typename Kind::ring ring(8);
        auto six = make_elements<Kind>(1, 6);
        BOOST_REQUIRE(ring.try_push_bulk(six));
        auto three = make_elements<Kind>(7, 3);
        BOOST_CHECK(!ring.try_push_bulk(three));  // only 2 slots left
        BOOST_CHECK_EQUAL(ring.size_for_consumer(), 6u);
        BOOST_CHECK_EQUAL(ring.push_burst(three), 2u);  // a burst takes what fits
        BOOST_CHECK_EQUAL(ring.size_for_consumer(), 8u);
        std::vector<typename Kind::element> out(8);
        BOOST_REQUIRE(ring.try_pop_bulk(out));
        BOOST_TEST(take_sequences<Kind>(out) == sequence_range(1, 8), tt::per_element());
        BOOST_TEST(take_sequences<Kind>(std::span(three).subspan(2)) == sequence_range(9, 1),
                   tt::per_element());  // still the caller's
    }
    BOOST_CHECK_EQUAL(counted::alive_delta, 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(bulk_pop_is_all_or_nothing, Kind, ring_kinds) {
    counted::alive_delta = 0;
    {
        typename Kind::ring ring(8);
        BOOST_REQUIRE(ring.try_push(Kind::make(1)));
        BOOST_REQUIRE(ring.try_push(Kind::make(2)));
        auto out = make_elements<Kind>(100, 3);
        BOOST_CHECK(!ring.try_pop_bulk(out));
        BOOST_CHECK_EQUAL(ring.size_for_consumer(), 2u);
        BOOST_TEST(take_sequences<Kind>(out) == sequence_range(100, 3), tt::per_element());  // untouched
        out.assign(3, typename Kind::element{});
        BOOST_REQUIRE_EQUAL(ring.pop_burst(out), 2u);
        BOOST_TEST(take_sequences<Kind>(std::span(out).first(2)) == sequence_range(1, 2), tt::per_element());
        BOOST_CHECK(ring.empty_for_consumer());
    }
    BOOST_CHECK_EQUAL(counted::alive_delta, 0);
}

// More than the ring can ever hold cannot all be pushed: the call fails at once, even on
// an empty ring, and the caller keeps every element.
BOOST_AUTO_TEST_CASE_TEMPLATE(push_bulk_larger_than_capacity_moves_nothing, Kind, ring_kinds) {
    counted::alive_delta = 0;
    {
        typename Kind::ring ring(8);
        auto nine = make_elements<Kind>(0, 9);
        BOOST_CHECK(!ring.try_push_bulk(nine));
        BOOST_CHECK(ring.empty_for_consumer());
        BOOST_TEST(drain<Kind>(ring).empty());
        BOOST_TEST(take_sequences<Kind>(nine) == sequence_range(0, 9), tt::per_element());
    }
    BOOST_CHECK_EQUAL(counted::alive_delta, 0);
}

// More than the ring can ever hold cannot all be popped: the call fails with the ring
// full, moves nothing into the caller's span, and every element stays queued.
BOOST_AUTO_TEST_CASE_TEMPLATE(pop_bulk_larger_than_capacity_moves_nothing, Kind, ring_kinds) {
    counted::alive_delta = 0;
    {
        typename Kind::ring ring(8);
        auto eight = make_elements<Kind>(0, 8);
        BOOST_REQUIRE(ring.try_push_bulk(eight));
        auto nine = make_elements<Kind>(100, 9);
        BOOST_CHECK(!ring.try_pop_bulk(nine));
        BOOST_CHECK_EQUAL(ring.size_for_consumer(), 8u);
        BOOST_TEST(take_sequences<Kind>(nine) == sequence_range(100, 9), tt::per_element());  // untouched
        BOOST_TEST(drain<Kind>(ring) == sequence_range(0, 8), tt::per_element());
    }
    BOOST_CHECK_EQUAL(counted::alive_delta, 0);
}

// Bursts larger than the ring take one lap's worth and leave the rest to the caller.
BOOST_AUTO_TEST_CASE_TEMPLATE(bursts_larger_than_capacity_move_what_fits, Kind, ring_kinds) {
    counted::alive_delta = 0;
    {
        typename Kind::ring ring(8);
        auto twelve = make_elements<Kind>(0, 12);
        BOOST_REQUIRE_EQUAL(ring.push_burst(twelve), 8u);
        std::vector<typename Kind::element> out(12);
        BOOST_REQUIRE_EQUAL(ring.pop_burst(out), 8u);
        BOOST_TEST(take_sequences<Kind>(std::span(out).first(8)) == sequence_range(0, 8), tt::per_element());
        BOOST_TEST(take_sequences<Kind>(std::span(twelve).subspan(8)) == sequence_range(8, 4), tt::per_element());
        BOOST_CHECK(ring.empty_for_consumer());
    }
    BOOST_CHECK_EQUAL(counted::alive_delta, 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(empty_bulk_calls_succeed_and_move_nothing, Kind, ring_kinds) {
    counted::alive_delta = 0;
    {
        typename Kind::ring ring(8);
        BOOST_REQUIRE(ring.try_push(Kind::make(0)));
        std::span<typename Kind::element> none;
        BOOST_CHECK(ring.try_push_bulk(none));
        BOOST_CHECK(ring.try_pop_bulk(none));
        BOOST_CHECK_EQUAL(ring.push_burst(none), 0u);
        BOOST_CHECK_EQUAL(ring.pop_burst(none), 0u);
        BOOST_TEST(drain<Kind>(ring) == sequence_range(0, 1), tt::per_element());
    }
    BOOST_CHECK_EQUAL(counted::alive_delta, 0);
}

// Only tail_index rings own their elements; a slot_value ring holds pointers whose
// pointees belong to whoever pushed them, so there is nothing for it to destroy.
BOOST_AUTO_TEST_CASE(destroys_elements_left_in_the_ring) {
    counted::alive_delta = 0;
    {
        spsc_ring<counted> ring(16);
        for (std::uint64_t i = 0; i < 10; ++i) BOOST_REQUIRE(ring.try_push(counted(i)));
        counted one;
        BOOST_REQUIRE(ring.try_pop(one));
        BOOST_CHECK_EQUAL(one.sequence, 0u);
    }
    BOOST_CHECK_EQUAL(counted::alive_delta, 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(indices_wrap_past_two_to_the_64, Kind, ring_kinds) {
    counted::alive_delta = 0;
    {
        typename Kind::ring ring(8, sluice::detail::ring_start_index{std::numeric_limits<std::uint64_t>::max() - 3});
        std::uint64_t next_in = 0, next_out = 0;
        for (int round = 0; round < 50; ++round) {  // ~250 elements through 8 slots: many wraps
            for (;;) {
                auto element = Kind::make(next_in);
                if (!ring.try_push(std::move(element))) {
                    Kind::release(element);  // a failed push leaves it with us
                    break;
                }
                ++next_in;
            }
            BOOST_CHECK_EQUAL(ring.size_for_consumer(), 8u);
            typename Kind::element out{};
            for (int i = 0; i < 5; ++i) {
                BOOST_REQUIRE(ring.try_pop(out));
                BOOST_REQUIRE_EQUAL(Kind::sequence_of(out), next_out++);
                Kind::release(out);
            }
        }
        BOOST_TEST(drain<Kind>(ring) == sequence_range(next_out, next_in - next_out), tt::per_element());
    }
    BOOST_CHECK_EQUAL(counted::alive_delta, 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(bulk_calls_stay_all_or_nothing_as_the_indices_wrap, Kind, ring_kinds) {
    counted::alive_delta = 0;
    {
        typename Kind::ring ring(8, sluice::detail::ring_start_index{std::numeric_limits<std::uint64_t>::max() - 2});
        std::uint64_t next_in = 0, next_out = 0;
        for (int round = 0; round < 50; ++round) {  // ~400 elements through 8 slots: many wraps
            auto six = make_elements<Kind>(next_in, 6);
            BOOST_REQUIRE(ring.try_push_bulk(six));
            next_in += 6;
            auto seven = make_elements<Kind>(1000, 7);
            BOOST_CHECK(!ring.try_pop_bulk(seven));  // only 6 queued
            BOOST_TEST(take_sequences<Kind>(seven) == sequence_range(1000, 7), tt::per_element());
            auto three = make_elements<Kind>(next_in, 3);
            BOOST_CHECK(!ring.try_push_bulk(three));          // 2 free slots
            BOOST_REQUIRE_EQUAL(ring.push_burst(three), 2u);  // a burst takes what fits
            next_in += 2;
            take_sequences<Kind>(std::span(three).subspan(2));
            std::vector<typename Kind::element> out(16);
            BOOST_REQUIRE_EQUAL(ring.pop_burst(out), 8u);
            BOOST_TEST(take_sequences<Kind>(std::span(out).first(8)) == sequence_range(next_out, 8), tt::per_element());
            next_out += 8;
            BOOST_CHECK(ring.empty_for_consumer());
        }
        BOOST_CHECK_EQUAL(next_out, next_in);
    }
    BOOST_CHECK_EQUAL(counted::alive_delta, 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(spsc_ring_two_cores)

BOOST_AUTO_TEST_CASE_TEMPLATE(ten_million_items_arrive_once_in_order_for_every_bulk_size, Elements, streamed_kinds) {
    constexpr std::uint64_t items = 10'000'000;
    for (std::size_t bulk = 1; bulk <= 64; ++bulk) {
        // Every eighth size starts just below 2^64, so the indices wrap mid-run.
        const std::uint64_t start = bulk % 8 == 0 ? near_wrap : 0;
        const transfer_outcome outcome = transfer_across_cores<Elements>(items, bulk, start);
        BOOST_TEST_CONTEXT("bulk " << bulk) {
            BOOST_CHECK_EQUAL(outcome.received, items);
            BOOST_CHECK_EQUAL(outcome.out_of_order, 0u);
            BOOST_CHECK_EQUAL(outcome.alive_delta, 0);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
