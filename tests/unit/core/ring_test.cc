// spsc_ring, both signals: every element pushed arrives once, in order, and (tail_index,
// any T) is destroyed exactly once — on one thread, and across two threads pinned to two
// cores, for every bulk size 1..64, with the indices wrapping past 2^64.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <span>
#include <thread>
#include <vector>

#include "lib/core/spsc_ring.hh"
#include "lib/core/topology.hh"

using sluice::spsc_ring;

namespace {

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

// How each ring's element carries a sequence number.
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

template <typename Elements>
void check_every_bulk_size() {
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

}  // namespace

BOOST_AUTO_TEST_SUITE(spsc_ring_single_thread)

BOOST_AUTO_TEST_CASE(rejects_capacity_that_is_not_a_power_of_two) {
    BOOST_CHECK_THROW(spsc_ring<int>(100), std::invalid_argument);
    BOOST_CHECK_THROW(spsc_ring<int>(1), std::invalid_argument);
    BOOST_CHECK_NO_THROW(spsc_ring<int>(2));
}

BOOST_AUTO_TEST_CASE(bulk_push_is_all_or_nothing) {
    spsc_ring<int> ring(8);
    std::vector<int> six{1, 2, 3, 4, 5, 6};
    BOOST_REQUIRE(ring.try_push_bulk(six));
    std::vector<int> three{7, 8, 9};
    BOOST_CHECK(!ring.try_push_bulk(three));  // only 2 slots left
    BOOST_CHECK_EQUAL(ring.size_for_consumer(), 6u);
    BOOST_CHECK_EQUAL(ring.push_burst(three), 2u);  // a burst takes what fits
    BOOST_CHECK_EQUAL(ring.size_for_consumer(), 8u);
    std::vector<int> out(8);
    BOOST_REQUIRE(ring.try_pop_bulk(out));
    const std::vector<int> expected{1, 2, 3, 4, 5, 6, 7, 8};
    BOOST_CHECK_EQUAL_COLLECTIONS(out.begin(), out.end(), expected.begin(), expected.end());
}

BOOST_AUTO_TEST_CASE(bulk_pop_is_all_or_nothing) {
    spsc_ring<int> ring(8);
    BOOST_REQUIRE(ring.try_push(1));
    BOOST_REQUIRE(ring.try_push(2));
    std::vector<int> out(3, 0);
    BOOST_CHECK(!ring.try_pop_bulk(out));
    BOOST_CHECK_EQUAL(out[0], 0);  // untouched
    BOOST_CHECK_EQUAL(ring.pop_burst(out), 2u);
    BOOST_CHECK(ring.empty_for_consumer());
}

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

BOOST_AUTO_TEST_CASE(indices_wrap_past_two_to_the_64) {
    counted::alive_delta = 0;
    {
        spsc_ring<counted> ring(8, sluice::detail::ring_start_index{std::numeric_limits<std::uint64_t>::max() - 3});
        std::uint64_t next_in = 0, next_out = 0;
        for (int round = 0; round < 50; ++round) {
            while (ring.try_push(counted(next_in))) ++next_in;
            BOOST_CHECK_EQUAL(ring.size_for_consumer(), 8u);
            counted out;
            for (int i = 0; i < 5; ++i) {
                BOOST_REQUIRE(ring.try_pop(out));
                BOOST_REQUIRE_EQUAL(out.sequence, next_out++);
            }
        }
    }
    BOOST_CHECK_EQUAL(counted::alive_delta, 0);
}

BOOST_AUTO_TEST_CASE(slot_signalled_ring_is_all_or_nothing_and_wraps) {
    using ring_type = spsc_ring<int*, sluice::ring_signal::slot_value>;
    std::vector<int> values(1000);
    ring_type ring(8, sluice::detail::ring_start_index{std::numeric_limits<std::uint64_t>::max() - 2});
    std::size_t next_in = 0, next_out = 0;
    for (int round = 0; round < 50; ++round) {  // ~400 elements through 8 slots: many wraps
        std::vector<int*> six, three;
        for (int i = 0; i < 6; ++i) six.push_back(&values[next_in + i]);
        BOOST_REQUIRE(ring.try_push_bulk(six));
        next_in += 6;
        std::vector<int*> seven(7);
        BOOST_CHECK(!ring.try_pop_bulk(seven));  // only 6 queued
        for (int i = 0; i < 3; ++i) three.push_back(&values[next_in + i]);
        BOOST_CHECK(!ring.try_push_bulk(three));      // 2 free slots
        BOOST_REQUIRE_EQUAL(ring.push_burst(three), 2u);  // a burst takes what fits
        next_in += 2;
        std::vector<int*> out(16);
        BOOST_REQUIRE_EQUAL(ring.pop_burst(out), 8u);
        for (std::size_t i = 0; i < 8; ++i) BOOST_REQUIRE_EQUAL(out[i], &values[next_out++]);
        BOOST_CHECK(ring.empty_for_consumer());
    }
    BOOST_CHECK_EQUAL(next_out, next_in);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(spsc_ring_two_cores)

BOOST_AUTO_TEST_CASE(ten_million_items_arrive_once_in_order_for_every_bulk_size) {
    check_every_bulk_size<counted_elements>();
}

BOOST_AUTO_TEST_CASE(ten_million_pointers_arrive_once_in_order_for_every_bulk_size_when_signalled_by_slot) {
    check_every_bulk_size<pointer_elements>();
}

BOOST_AUTO_TEST_SUITE_END()
