// The report's verdicts from synthetic tallies: a run is valid when the generator kept its
// schedule, INVALID (generator-bound) when its lag or its never-sent requests say it did
// not, and INVALID (no answers) when nothing came back; the JSON carries every figure.
#include <boost/test/unit_test.hpp>

#include <random>

#include "apps/load/run_report.hh"

using namespace sluice;

namespace {

load::load_settings open_loop_settings() {
    load::load_settings settings;
    settings.rate = 10000;
    settings.duration = std::chrono::seconds(1);
    settings.max_lag = std::chrono::microseconds(50);
    return settings;
}

// 10,000 answered requests with latencies near 20 µs and the given schedule lag.
load::shard_tally tally_with_lag(std::int64_t lag_ns) {
    load::shard_tally tally;
    std::mt19937_64 random(3);
    std::exponential_distribution<double> gaps(1.0 / 100'000.0);
    clock::time_point sent = clock::time_point{} + std::chrono::seconds(1);
    for (int i = 0; i < 10'000; ++i) {
        sent += clock::duration(std::int64_t(gaps(random)));
        tally.record_send(sent, clock::duration(lag_ns), true);
        tally.record_latency(clock::duration(20'000 + std::int64_t(random() % 2000)));
    }
    tally.counts.scheduled = tally.counts.sent = tally.counts.completed = 10'000;
    return tally;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(run_report)

BOOST_AUTO_TEST_CASE(a_generator_on_schedule_gives_a_valid_run_with_every_figure) {
    const auto settings = open_loop_settings();
    const load::shard_tally tally = tally_with_lag(500);
    const load::run_report report(settings, 1, {&tally});
    BOOST_TEST(report.valid());
    const std::string json = report.json();
    for (const char* key : {"\"valid\": true", "\"p99.9\":", "\"latency_ci_us\"", "\"schedule_lag_us\"",
                            "\"arrivals\": {\"test\": \"chi-square", "\"independence\"", "\"stationarity\""}) {
        BOOST_TEST(json.find(key) != std::string::npos, key);
    }
    BOOST_TEST(report.text().find("sluice-load: VALID") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(schedule_lag_past_the_limit_is_generator_bound) {
    const auto settings = open_loop_settings();
    const load::shard_tally tally = tally_with_lag(80'000);
    const load::run_report report(settings, 1, {&tally});
    BOOST_TEST(!report.valid());
    BOOST_TEST(report.invalid_reason().find("generator-bound") != std::string::npos);
    BOOST_TEST(report.text().find("INVALID: generator-bound") != std::string::npos);
    BOOST_TEST(report.json().find("\"valid\": false") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(requests_never_sent_past_one_percent_are_generator_bound) {
    const auto settings = open_loop_settings();
    load::shard_tally tally = tally_with_lag(500);
    tally.counts.scheduled = 10'200;
    tally.counts.unsent = 200;
    const load::run_report report(settings, 1, {&tally});
    BOOST_TEST(!report.valid());
    BOOST_TEST(report.invalid_reason().find("1.96 % of the due requests never sent") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_closed_loop_run_is_not_judged_by_a_schedule_it_does_not_have) {
    auto settings = open_loop_settings();
    settings.closed_loop = true;
    const load::shard_tally tally = tally_with_lag(80'000);
    BOOST_TEST(load::run_report(settings, 1, {&tally}).valid());
}

BOOST_AUTO_TEST_CASE(no_answers_is_invalid_whatever_the_lag) {
    const auto settings = open_loop_settings();
    load::shard_tally tally;
    tally.counts.sent = tally.counts.scheduled = tally.counts.timeouts = 100;
    const load::run_report report(settings, 1, {&tally});
    BOOST_TEST(!report.valid());
    BOOST_TEST(report.invalid_reason().find("no answers") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(shards_merge_into_one_result) {
    const auto settings = open_loop_settings();
    const load::shard_tally first = tally_with_lag(500), second = tally_with_lag(700);
    const load::run_report report(settings, 2, {&first, &second});
    BOOST_TEST(report.counts().completed == 20'000u);
    BOOST_TEST(report.latency().count() == 20'000u);
}

BOOST_AUTO_TEST_SUITE_END()
