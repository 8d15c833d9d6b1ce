// Checks sluice::cli and the runtime options: both option spellings, flags, --help, "--"
// and the bad command lines (unknown option, missing value, malformed core list, zero
// shards, a core outside the allowed set), each of which must give one line naming the fix.
#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <string>
#include <vector>

#include "sluice/core/cli.hh"
#include "sluice/core/topology.hh"

namespace {

// argv for a parse: owns the strings, argv()[0] is the program name.
class args {
public:
    args(std::initializer_list<std::string> words) : words_{"prog"} {
        words_.insert(words_.end(), words);
        for (std::string& word : words_) pointers_.push_back(word.data());
        pointers_.push_back(nullptr);
    }
    int argc() const { return static_cast<int>(words_.size()); }
    char** argv() { return pointers_.data(); }

private:
    std::vector<std::string> words_;
    std::vector<char*> pointers_;
};

template <typename T>
void expect_error(const sluice::result<T>& outcome, std::initializer_list<std::string> fragments) {
    BOOST_REQUIRE_MESSAGE(!outcome.ok(), "expected an error");
    const std::string& message = outcome.message();
    BOOST_TEST(message.find('\n') == std::string::npos, "not one line: " << message);
    for (const std::string& fragment : fragments) {
        BOOST_TEST(message.find(fragment) != std::string::npos, "\"" << message << "\" lacks \"" << fragment << "\"");
    }
}

// A parser with one flag, one option and the runtime options.
struct fixture {
    sluice::cli parser{"prog", "does a thing"};
    bool verbose = false;
    std::string name;
    sluice::runtime_options runtime;

    fixture() {
        parser.add_flag("verbose", "say more", verbose);
        parser.add_option("name", "NAME", "what to call it", [this](std::string_view value) -> sluice::result<void> {
            if (value == "bad") return sluice::error{"--name bad is refused; pick another name"};
            name = value;
            return {};
        });
        sluice::add_runtime_options(parser, runtime);
    }

    sluice::result<void> parse(std::initializer_list<std::string> words) {
        args line(words);
        return parser.parse(line.argc(), line.argv());
    }
};

std::string first_allowed() {
    auto topo = sluice::topology::discover();
    BOOST_REQUIRE_MESSAGE(topo.ok(), (topo.ok() ? std::string() : topo.message()));
    return std::to_string(topo->allowed_cpus().front());
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cli, fixture)

BOOST_AUTO_TEST_CASE(reads_option_with_space_or_equals) {
    BOOST_REQUIRE(parse({"--name", "a"}).ok());
    BOOST_TEST(name == "a");
    BOOST_REQUIRE(parse({"--name=b"}).ok());
    BOOST_TEST(name == "b");
}

BOOST_AUTO_TEST_CASE(sets_a_flag_only_when_given) {
    BOOST_REQUIRE(parse({"--name", "a"}).ok());
    BOOST_TEST(!verbose);
    BOOST_REQUIRE(parse({"--verbose"}).ok());
    BOOST_TEST(verbose);
}

BOOST_AUTO_TEST_CASE(an_empty_command_line_is_fine) {
    BOOST_REQUIRE(parse({}).ok());
    BOOST_TEST(!parser.help_requested());
    BOOST_TEST(parser.rest().empty());
}

BOOST_AUTO_TEST_CASE(unknown_option_names_help) {
    expect_error(parse({"--foo"}), {"unknown option --foo", "run prog --help for the options"});
    expect_error(parse({"--foo=1"}), {"unknown option --foo;", "prog --help"});
    expect_error(parse({"-x"}), {"unknown option -x", "prog --help"});
}

BOOST_AUTO_TEST_CASE(a_bare_argument_names_help) {
    expect_error(parse({"stray"}), {"unexpected argument \"stray\"", "prog --help"});
}

BOOST_AUTO_TEST_CASE(missing_value_shows_an_example) {
    expect_error(parse({"--cores"}), {"--cores needs a value, e.g. --cores 0-3"});
    expect_error(parse({"--cores", "--verbose"}), {"--cores needs a value, e.g. --cores 0-3"});
    expect_error(parse({"--cores="}), {"--cores needs a value"});
    expect_error(parse({"--name"}), {"--name needs a value, e.g. --name NAME"});
}

BOOST_AUTO_TEST_CASE(a_flag_given_a_value_is_rejected) {
    expect_error(parse({"--verbose=yes"}), {"--verbose takes no value", "--verbose alone"});
}

BOOST_AUTO_TEST_CASE(a_refused_value_shows_the_handlers_message) {
    expect_error(parse({"--name", "bad"}), {"--name bad is refused; pick another name"});
}

BOOST_AUTO_TEST_CASE(help_sets_the_flag_and_usage_lists_every_option) {
    BOOST_REQUIRE(parse({"--help"}).ok());
    BOOST_TEST(parser.help_requested());
    BOOST_REQUIRE(parse({"--verbose", "-h", "--nonsense"}).ok());
    BOOST_TEST(parser.help_requested());
    const std::string usage = parser.usage();
    for (const char* text : {"usage: prog", "does a thing", "--verbose", "--name NAME", "--cores LIST", "--shards N",
                             "--idle spin|adaptive", "--task-budget N", "--help"}) {
        BOOST_TEST(usage.find(text) != std::string::npos, "usage lacks " << text);
    }
}

BOOST_AUTO_TEST_CASE(double_dash_stops_parsing_and_keeps_the_rest) {
    BOOST_REQUIRE(parse({"--verbose", "--", "--no-pci", "-l", "0", "--foo"}).ok());
    BOOST_TEST(verbose);
    BOOST_TEST(parser.rest() == std::vector<std::string>({"--no-pci", "-l", "0", "--foo"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(reads_runtime_options) {
    BOOST_REQUIRE(parse({"--cores", "0-1,3", "--shards=3", "--idle", "spin", "--task-budget", "64"}).ok());
    BOOST_REQUIRE(runtime.cores.has_value());
    BOOST_TEST(*runtime.cores == std::vector<unsigned>({0, 1, 3}), boost::test_tools::per_element());
    BOOST_TEST(runtime.shards.value_or(0) == 3u);
    BOOST_TEST((runtime.idle == sluice::idle_policy::spin));
    BOOST_TEST(runtime.task_budget == 64u);
}

BOOST_AUTO_TEST_CASE(runtime_defaults_are_every_allowed_cpu_and_adaptive) {
    BOOST_REQUIRE(parse({}).ok());
    auto config = sluice::finish_runtime_config(runtime, std::vector<unsigned>{0, 1});
    BOOST_REQUIRE(config.ok());
    BOOST_TEST(config->cpus == std::vector<unsigned>({0, 1}), boost::test_tools::per_element());
    BOOST_TEST((config->idle == sluice::idle_policy::adaptive));
    BOOST_TEST(config->task_budget == sluice::runtime_config{}.task_budget);
}

BOOST_AUTO_TEST_CASE(malformed_core_list_names_the_option_and_the_form) {
    expect_error(parse({"--cores", "3-1"}), {"--cores", "backwards", "1-3"});
    expect_error(parse({"--cores=0,"}), {"--cores", "comma", "0-3"});
}

BOOST_AUTO_TEST_CASE(zero_shards_from_the_command_line_is_rejected) {
    BOOST_REQUIRE(parse({"--shards", "0"}).ok());
    expect_error(sluice::finish_runtime_config(runtime, std::vector<unsigned>{0, 1}), {"zero shards", "--shards 1"});
}

BOOST_AUTO_TEST_CASE(bad_numbers_are_rejected) {
    expect_error(parse({"--shards", "two"}), {"--shards needs a whole number", "\"two\"", "e.g. --shards 2"});
    expect_error(parse({"--shards", "-1"}), {"--shards needs a whole number", "e.g. --shards 2"});
    expect_error(parse({"--shards", "99999999999999"}), {"--shards", "too large", "e.g. --shards 2"});
    expect_error(parse({"--task-budget", "0"}), {"--task-budget must be at least 1", "e.g. --task-budget 256"});
    expect_error(parse({"--task-budget", "1x"}), {"--task-budget needs a whole number"});
}

BOOST_AUTO_TEST_CASE(bad_idle_policy_names_the_choices) {
    expect_error(parse({"--idle", "sleepy"}), {"--idle must be spin or adaptive", "\"sleepy\"", "e.g. --idle adaptive"});
}

BOOST_AUTO_TEST_CASE(core_on_this_machine_is_accepted) {
    auto topo = sluice::topology::discover();
    BOOST_REQUIRE(topo.ok());
    const unsigned cpu = topo->allowed_cpus().back();
    BOOST_REQUIRE(parse({"--cores", std::to_string(cpu)}).ok());
    auto config = sluice::finish_runtime_config(runtime, *topo);
    BOOST_REQUIRE_MESSAGE(config.ok(), (config.ok() ? std::string() : config.message()));
    BOOST_TEST(config->cpus == std::vector<unsigned>({cpu}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(core_outside_this_machines_allowed_set_is_rejected) {
    auto topo = sluice::topology::discover();
    BOOST_REQUIRE(topo.ok());
    const std::string allowed = sluice::format_cpu_list(topo->allowed_cpus());
    const unsigned outside = topo->allowed_cpus().back() + 1;
    BOOST_REQUIRE(parse({"--cores", first_allowed() + "," + std::to_string(outside)}).ok());
    expect_error(sluice::finish_runtime_config(runtime, *topo),
                 {"core " + std::to_string(outside) + " is not in the allowed set " + allowed,
                  "choose cores from " + allowed});
}

BOOST_AUTO_TEST_CASE(more_shards_than_this_machine_allows_is_rejected) {
    auto topo = sluice::topology::discover();
    BOOST_REQUIRE(topo.ok());
    const auto count = topo->allowed_cpus().size();
    BOOST_REQUIRE(parse({"--shards", std::to_string(count + 1)}).ok());
    expect_error(sluice::finish_runtime_config(runtime, *topo),
                 {"only " + std::to_string(count) + " are allowed", "--shards " + std::to_string(count)});
}

BOOST_AUTO_TEST_SUITE_END()
