// Checks parse_cpu_list / format_cpu_list / choose_cpus: the forms --cores accepts, the
// one-line messages for each malformed list, and how shards get their cores. Pure
// functions, so the allowed sets here are made up rather than read from the machine.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "sluice/core/cpu_list.hh"

namespace {

using cpus = std::vector<unsigned>;

// A user-facing error: one line that contains each of `fragments`.
template <typename T>
void expect_error(const sluice::result<T>& outcome, std::initializer_list<std::string> fragments) {
    BOOST_REQUIRE_MESSAGE(!outcome.ok(), "expected an error");
    const std::string& message = outcome.message();
    BOOST_TEST(message.find('\n') == std::string::npos, "not one line: " << message);
    for (const std::string& fragment : fragments) {
        BOOST_TEST(message.find(fragment) != std::string::npos, "\"" << message << "\" lacks \"" << fragment << "\"");
    }
}

cpus parsed(std::string_view text) {
    auto outcome = sluice::parse_cpu_list(text);
    BOOST_REQUIRE_MESSAGE(outcome.ok(), (outcome.ok() ? std::string() : outcome.message()));
    return outcome.value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cpu_list)

BOOST_AUTO_TEST_CASE(parses_a_single_cpu) { BOOST_TEST(parsed("3") == cpus({3}), boost::test_tools::per_element()); }

BOOST_AUTO_TEST_CASE(parses_a_range) { BOOST_TEST(parsed("0-3") == cpus({0, 1, 2, 3}), boost::test_tools::per_element()); }

BOOST_AUTO_TEST_CASE(parses_a_list) { BOOST_TEST(parsed("0,2") == cpus({0, 2}), boost::test_tools::per_element()); }

BOOST_AUTO_TEST_CASE(parses_ranges_and_singles_mixed) {
    BOOST_TEST(parsed("0-1,4,6-7") == cpus({0, 1, 4, 6, 7}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_one_cpu_range_is_that_cpu) { BOOST_TEST(parsed("5-5") == cpus({5}), boost::test_tools::per_element()); }

BOOST_AUTO_TEST_CASE(returns_cpus_sorted) {
    BOOST_TEST(parsed("6,0-1,3") == cpus({0, 1, 3, 6}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rejects_empty_text_showing_the_form) { expect_error(sluice::parse_cpu_list(""), {"empty", "0-3"}); }

BOOST_AUTO_TEST_CASE(rejects_reversed_range_naming_the_fix) {
    expect_error(sluice::parse_cpu_list("3-1"), {"3-1", "backwards", "1-3"});
}

BOOST_AUTO_TEST_CASE(rejects_trailing_comma) { expect_error(sluice::parse_cpu_list("0,1,"), {"ends with a comma", "0-3"}); }

BOOST_AUTO_TEST_CASE(rejects_empty_items) {
    expect_error(sluice::parse_cpu_list("0,,1"), {"empty item", "0-3"});
    expect_error(sluice::parse_cpu_list(",1"), {"empty item", "0-3"});
}

BOOST_AUTO_TEST_CASE(rejects_half_ranges) {
    expect_error(sluice::parse_cpu_list("-3"), {"missing", "0-3"});
    expect_error(sluice::parse_cpu_list("3-"), {"missing", "0-3"});
}

BOOST_AUTO_TEST_CASE(rejects_non_digits) {
    for (const char* text : {"a", "0-x", "1 ,2", " 1", "+1", "1-2-3", "0x1", "1.5"}) {
        BOOST_TEST_CONTEXT(text) { expect_error(sluice::parse_cpu_list(text), {"not a core number", "0-3"}); }
    }
}

BOOST_AUTO_TEST_CASE(rejects_overflow_and_huge_numbers) {
    expect_error(sluice::parse_cpu_list("99999999999999999999"), {"too large", "65535"});
    expect_error(sluice::parse_cpu_list("0-4000000000"), {"too large", "65535"});
    BOOST_TEST(parsed("65535") == cpus({65535}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rejects_duplicates_naming_the_core) {
    expect_error(sluice::parse_cpu_list("0-2,1"), {"core 1", "more than once", "once"});
    expect_error(sluice::parse_cpu_list("4,4"), {"core 4", "more than once"});
}

BOOST_AUTO_TEST_CASE(keeps_a_newline_in_bad_text_out_of_the_message) {
    expect_error(sluice::parse_cpu_list("1\n2"), {"not a core number"});
}

BOOST_AUTO_TEST_CASE(formats_runs_as_ranges) {
    BOOST_TEST(sluice::format_cpu_list({0, 1, 2, 3, 6}) == "0-3,6");
    BOOST_TEST(sluice::format_cpu_list({5}) == "5");
    BOOST_TEST(sluice::format_cpu_list({0, 2}) == "0,2");
    BOOST_TEST(sluice::format_cpu_list({}) == "");
}

BOOST_AUTO_TEST_CASE(formats_unsorted_input_sorted_without_repeats) {
    BOOST_TEST(sluice::format_cpu_list({7, 1, 0, 6, 1}) == "0-1,6-7");
}

BOOST_AUTO_TEST_CASE(format_then_parse_round_trips) {
    const cpus set = {0, 1, 4, 6, 7, 9, 10, 11};
    BOOST_TEST(parsed(sluice::format_cpu_list(set)) == set, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(choose_cpus)

const cpus two = {0, 1};

BOOST_AUTO_TEST_CASE(neither_option_takes_every_allowed_cpu) {
    auto chosen = sluice::choose_cpus(std::nullopt, std::nullopt, {0, 1, 2, 3});
    BOOST_REQUIRE(chosen.ok());
    BOOST_TEST(*chosen == cpus({0, 1, 2, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(cores_picks_exactly_those) {
    auto chosen = sluice::choose_cpus(cpus{2, 0}, std::nullopt, {0, 1, 2, 3});
    BOOST_REQUIRE(chosen.ok());
    BOOST_TEST(*chosen == cpus({0, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(core_outside_allowed_set_names_allowed_set) {
    expect_error(sluice::choose_cpus(cpus{0, 5}, std::nullopt, two),
                 {"core 5 is not in the allowed set 0-1", "cgroup cpuset / taskset", "choose cores from 0-1"});
}

BOOST_AUTO_TEST_CASE(shards_picks_the_first_allowed_cpus) {
    auto chosen = sluice::choose_cpus(std::nullopt, 2u, {1, 3, 5});
    BOOST_REQUIRE(chosen.ok());
    BOOST_TEST(*chosen == cpus({1, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(zero_shards_is_rejected) {
    expect_error(sluice::choose_cpus(std::nullopt, 0u, two), {"zero shards", "--shards 1"});
    expect_error(sluice::choose_cpus(cpus{0}, 0u, two), {"zero shards"});
}

BOOST_AUTO_TEST_CASE(more_shards_than_allowed_cpus_names_how_many_are_allowed) {
    expect_error(sluice::choose_cpus(std::nullopt, 3u, two), {"--shards 3", "only 2 are allowed", "0-1", "--shards 2"});
}

BOOST_AUTO_TEST_CASE(cores_and_shards_that_agree_are_accepted) {
    auto chosen = sluice::choose_cpus(cpus{1}, 1u, two);
    BOOST_REQUIRE(chosen.ok());
    BOOST_TEST(*chosen == cpus({1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(cores_and_shards_that_disagree_are_rejected) {
    expect_error(sluice::choose_cpus(cpus{0, 1}, 1u, two), {"--cores 0-1", "2 cores", "--shards is 1", "one core per shard"});
}

BOOST_AUTO_TEST_CASE(an_empty_request_is_rejected) {
    expect_error(sluice::choose_cpus(cpus{}, std::nullopt, two), {"no cores requested", "--cores 0"});
}

BOOST_AUTO_TEST_CASE(a_repeated_core_is_rejected) {
    expect_error(sluice::choose_cpus(cpus{1, 1}, std::nullopt, two), {"twice", "once"});
}

BOOST_AUTO_TEST_CASE(no_allowed_cpu_at_all_names_the_fix) {
    expect_error(sluice::choose_cpus(std::nullopt, std::nullopt, {}), {"no core", "taskset", "cpuset"});
}

BOOST_AUTO_TEST_SUITE_END()
