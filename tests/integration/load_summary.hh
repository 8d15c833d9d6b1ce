// Reading figures out of a sluice-load summary.json in the integration tests (the suites
// against sluice-echo and against real servers): a regex, not a JSON library, since the
// format is ours and flat enough.
#pragma once

#include <boost/test/unit_test.hpp>

#include <regex>
#include <string>

namespace sluice::testing {

// A number from the summary: "key": value, the first match after the key `after`.
inline double summary_figure(const std::string& json, const std::string& key, const std::string& after = "") {
    const std::size_t from = after.empty() ? 0 : json.find("\"" + after + "\"");
    std::smatch match;
    const std::string rest = json.substr(from == std::string::npos ? 0 : from);
    const std::regex pattern("\"" + std::regex_replace(key, std::regex(R"([.])"), R"(\.)") + "\": (-?[0-9.e+]+)");
    BOOST_REQUIRE_MESSAGE(std::regex_search(rest, match, pattern), "no " << key << " in " << json);
    return std::stod(match[1]);
}

inline bool summary_says_valid(const std::string& json) { return json.find("\"valid\": true") != std::string::npos; }

}  // namespace sluice::testing
