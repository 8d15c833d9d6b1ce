// --sweep: the rates it steps through, its refusals, and where it puts the knee.
#include <boost/test/unit_test.hpp>

#include "apps/load/sweep.hh"

using namespace sluice;
using load::sweep_step;

namespace {
sweep_step step(double offered, double answered, double p99, bool valid = true) {
    sweep_step s;
    s.offered = offered;
    s.answered = answered;
    s.p50_us = p99 / 2;
    s.p99_us = p99;
    s.p999_us = p99 * 2;
    s.valid = valid;
    return s;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(sweep)

BOOST_AUTO_TEST_CASE(steps_from_the_first_rate_to_the_last_inclusive) {
    const auto rates = load::parse_sweep("10000:50000:10000");
    BOOST_REQUIRE(rates);
    BOOST_TEST(*rates == (std::vector<double>{10000, 20000, 30000, 40000, 50000}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_from_to_step_with_one_line_naming_the_form) {
    for (const char* bad : {"10000", "10000:20000", "a:b:c", "20000:10000:1000", "1:1000:1", "0:10:1", "10:20:-1"}) {
        const auto rates = load::parse_sweep(bad);
        BOOST_REQUIRE_MESSAGE(!rates, bad);
        BOOST_TEST(rates.failure().message.find("FROM:TO:STEP") != std::string::npos, bad);
        BOOST_TEST(rates.failure().message.find('\n') == std::string::npos, bad);
    }
}

BOOST_AUTO_TEST_CASE(the_knee_is_where_p99_leaves_twice_the_low_load_level) {
    // The low-load level is the median of the first three p99s (11): one noisy run at the
    // bottom (40) moves it not at all.
    const std::vector<sweep_step> steps{step(1000, 1000, 40), step(2000, 2000, 11), step(3000, 3000, 10),
                                        step(4000, 4000, 21), step(5000, 5000, 25), step(6000, 4000, 500)};
    const auto found = load::find_knee(steps);
    BOOST_REQUIRE(found);
    BOOST_TEST(found->step == 4u);
    BOOST_TEST(found->reason.find("p99 2.3x the low-load level") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_knee_is_where_answers_fall_short_of_the_offered_rate) {
    const std::vector<sweep_step> steps{step(1000, 1000, 10), step(2000, 1890, 11)};
    const auto found = load::find_knee(steps);
    BOOST_REQUIRE(found);
    BOOST_TEST(found->step == 1u);
    BOOST_TEST(found->reason.find("94.5 %") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_invalid_run_is_a_knee_and_a_steady_sweep_has_none) {
    BOOST_TEST(load::find_knee({step(1000, 1000, 10), step(2000, 2000, 11, false)})->step == 1u);
    BOOST_TEST(!load::find_knee({step(1000, 1000, 10), step(2000, 2000, 11), step(3000, 2990, 15)}).has_value());
    BOOST_TEST(load::sweep_table({step(1000, 1000, 10)}, std::nullopt).find("no knee") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_sweep_json_names_the_knee_and_each_step_summary) {
    std::vector<sweep_step> steps{step(1000, 1000, 10), step(2000, 1000, 10)};
    steps[0].folder = "rate-1000";
    steps[1].folder = "rate-2000";
    const std::string json = load::sweep_json(steps, load::find_knee(steps));
    BOOST_TEST(json.find("\"knee\": {\"offered_rate\": 2000") != std::string::npos);
    BOOST_TEST(json.find("\"summary\": \"rate-1000/summary.json\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
