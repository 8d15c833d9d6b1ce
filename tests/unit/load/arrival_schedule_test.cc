// The arrival schedule: constant gaps that never drift, phases that interleave, and
// Poisson gaps whose mean and spread are those of an exponential distribution.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "apps/load/arrival_schedule.hh"
#include "sluice/metrics/sample_checks.hh"

using namespace sluice;
using load::arrival_process;
using load::arrival_schedule;

namespace {
const clock::time_point start = clock::time_point{} + std::chrono::seconds(100);
}

BOOST_AUTO_TEST_SUITE(arrival_schedule_suite)

BOOST_AUTO_TEST_CASE(constant_rate_puts_the_kth_request_at_k_over_rate_without_drift) {
    arrival_schedule schedule(arrival_process::constant, 3.0, start, 1);  // a gap of 333,333,333.3 ns
    clock::time_point last{};
    for (int k = 0; k < 3'000'000; ++k) last = schedule.next();
    // Summing a rounded gap would be 0.3 ns off per request, 1 ms after 3 million.
    BOOST_TEST((last - start).count() == std::llround(2'999'999 * 1e9 / 3.0));
}

BOOST_AUTO_TEST_CASE(peek_shows_what_next_returns) {
    arrival_schedule schedule(arrival_process::poisson, 1000, start, 7);
    for (int i = 0; i < 100; ++i) {
        const auto seen = schedule.peek();
        BOOST_TEST((schedule.next() == seen));
    }
}

BOOST_AUTO_TEST_CASE(phases_interleave_constant_connections_evenly) {
    // Four connections at 250/s each, phases 0, 1/4, 2/4, 3/4: together one request a ms.
    std::vector<clock::time_point> all;
    for (int connection = 0; connection < 4; ++connection) {
        arrival_schedule schedule(arrival_process::constant, 250, start, 1, connection / 4.0);
        for (int i = 0; i < 10; ++i) all.push_back(schedule.next());
    }
    std::sort(all.begin(), all.end());
    for (std::size_t i = 1; i < all.size(); ++i) BOOST_TEST((all[i] - all[i - 1]).count() == 1'000'000);
}

BOOST_AUTO_TEST_CASE(poisson_gaps_have_the_mean_and_the_spread_of_an_exponential) {
    arrival_schedule schedule(arrival_process::poisson, 100'000, start, 42);  // mean gap 10 µs
    std::vector<double> gaps;
    clock::time_point last = schedule.next();
    for (int i = 0; i < 50'000; ++i) {
        const clock::time_point now = schedule.next();
        gaps.push_back(double((now - last).count()));
        last = now;
    }
    double sum = 0, squares = 0;
    for (const double gap : gaps) sum += gap, squares += gap * gap;
    const double mean = sum / double(gaps.size());
    const double deviation = std::sqrt(squares / double(gaps.size()) - mean * mean);
    BOOST_TEST(mean == 10'000.0, boost::test_tools::tolerance(0.02));
    BOOST_TEST(deviation / mean == 1.0, boost::test_tools::tolerance(0.03));  // exponential: CV 1
    BOOST_TEST(metrics::fits_exponential(gaps, 10'000.0).passed());
}

BOOST_AUTO_TEST_CASE(the_same_seed_repeats_and_another_differs) {
    arrival_schedule a(arrival_process::poisson, 1000, start, 5), b(arrival_process::poisson, 1000, start, 5),
        c(arrival_process::poisson, 1000, start, 6);
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
        const auto from_a = a.next();
        BOOST_TEST((from_a == b.next()));
        differs = differs || from_a != c.next();
    }
    BOOST_TEST(differs);
}

BOOST_AUTO_TEST_CASE(constant_arrivals_fail_the_poisson_check_and_pass_the_constant_one) {
    arrival_schedule schedule(arrival_process::constant, 100'000, start, 1);
    std::vector<double> gaps;
    clock::time_point last = schedule.next();
    for (int i = 0; i < 10'000; ++i) {
        const clock::time_point now = schedule.next();
        gaps.push_back(double((now - last).count()));
        last = now;
    }
    BOOST_TEST(!metrics::fits_exponential(gaps, 10'000.0).passed());
    BOOST_TEST(metrics::fits_constant(gaps, 10'000.0, 2.0).passed());
}

BOOST_AUTO_TEST_SUITE_END()
