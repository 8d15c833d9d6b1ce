// sluice::fifo: first in, first out across growth and wrap-around; front_run hands out
// the oldest contiguous elements and drop_front forgets exactly those; moved-only element
// types work and nothing is leaked or destroyed twice.
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <memory>
#include <vector>

#include "sluice/core/fifo.hh"

using sluice::fifo;

BOOST_AUTO_TEST_SUITE(fifo_queue)

BOOST_AUTO_TEST_CASE(keeps_order_across_growth_and_wrap_around) {
    fifo<int> queue(4);
    int next_in = 0, next_out = 0;
    // Interleave pushes and pops so the head walks round the buffer while it doubles.
    for (int round = 0; round < 50; ++round) {
        for (int i = 0; i < round % 7 + 1; ++i) queue.push_back(next_in++);
        for (int i = 0; i < round % 5 && !queue.empty(); ++i) BOOST_REQUIRE_EQUAL(queue.pop_front(), next_out++);
    }
    while (!queue.empty()) BOOST_REQUIRE_EQUAL(queue.pop_front(), next_out++);
    BOOST_CHECK_EQUAL(next_in, next_out);
    BOOST_CHECK_EQUAL(queue.capacity() & (queue.capacity() - 1), 0u);  // a power of two
}

BOOST_AUTO_TEST_CASE(front_run_stops_at_the_wrap_and_drop_front_takes_exactly_those) {
    fifo<int> queue(8);
    for (int i = 0; i < 6; ++i) queue.push_back(i);
    for (int i = 0; i < 5; ++i) (void)queue.pop_front();  // head at slot 5
    for (int i = 6; i < 12; ++i) queue.push_back(i);      // 6..12 occupy slots 5,6,7,0,1,2,3
    BOOST_REQUIRE_EQUAL(queue.size(), 7u);
    auto run = queue.front_run();
    BOOST_REQUIRE_EQUAL(run.size(), 3u);  // slots 5..7, up to the wrap
    BOOST_CHECK_EQUAL(run[0], 5);
    BOOST_CHECK_EQUAL(run[2], 7);
    queue.drop_front(2);
    BOOST_CHECK_EQUAL(queue.front(), 7);
    queue.drop_front(1);
    run = queue.front_run();
    BOOST_REQUIRE_EQUAL(run.size(), 4u);
    BOOST_CHECK_EQUAL(run[0], 8);
    BOOST_CHECK_EQUAL(run[3], 11);
}

BOOST_AUTO_TEST_CASE(move_only_elements_are_neither_leaked_nor_destroyed_twice) {
    auto alive = std::make_shared<int>(0);
    struct counted {
        std::shared_ptr<int> count;
        std::unique_ptr<int> value;
        counted() = default;
        counted(std::shared_ptr<int> c, int v) : count(std::move(c)), value(std::make_unique<int>(v)) { ++*count; }
        counted(counted&&) noexcept = default;
        counted& operator=(counted&& other) noexcept {
            if (count && value) --*count;
            count = std::move(other.count);
            value = std::move(other.value);
            return *this;
        }
        ~counted() {
            if (count && value) --*count;
        }
    };
    {
        fifo<counted> queue(2);
        for (int i = 0; i < 20; ++i) queue.push_back(counted(alive, i));
        BOOST_CHECK_EQUAL(*alive, 20);
        for (int i = 0; i < 5; ++i) BOOST_CHECK_EQUAL(*queue.pop_front().value, i);
        BOOST_CHECK_EQUAL(*alive, 15);
        queue.drop_front(5);
        BOOST_CHECK_EQUAL(*alive, 10);
        BOOST_CHECK_EQUAL(*queue.front().value, 10);
    }
    BOOST_CHECK_EQUAL(*alive, 0);
}

BOOST_AUTO_TEST_SUITE_END()
