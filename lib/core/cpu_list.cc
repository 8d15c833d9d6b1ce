#include "sluice/core/cpu_list.hh"

#include <algorithm>
#include <charconv>
#include <cstddef>

namespace sluice {
namespace {

constexpr std::string_view expected_form = "write cores like 0-3, 0,2 or 0-1,4,6-7";

error list_error(std::string_view text, std::string_view problem) {
    std::string message = "bad core list \"";
    message += text;
    message += "\": ";
    message += problem;
    message += "; ";
    message += expected_form;
    std::replace(message.begin(), message.end(), '\n', ' ');  // the user's text stays on one line
    std::replace(message.begin(), message.end(), '\r', ' ');
    return error{std::move(message)};
}

// One number of a list: digits only, no sign, no spaces, at most max_cpu_index.
result<unsigned> parse_cpu_number(std::string_view list, std::string_view digits) {
    if (digits.empty()) {
        return list_error(list, "a core number is missing");
    }
    for (char c : digits) {
        if (c < '0' || c > '9') {
            return list_error(list, "\"" + std::string(digits) + "\" is not a core number (digits only)");
        }
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc::result_out_of_range || (ec == std::errc{} && value > max_cpu_index)) {
        return list_error(list, "core " + std::string(digits) + " is too large (the largest is " +
                                    std::to_string(max_cpu_index) + ")");
    }
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
        return list_error(list, "\"" + std::string(digits) + "\" is not a core number (digits only)");
    }
    return value;
}

std::string allowed_text(const std::vector<unsigned>& allowed) {
    return allowed.empty() ? std::string("(none)") : format_cpu_list(allowed);
}

}  // namespace

result<std::vector<unsigned>> parse_cpu_list(std::string_view text) {
    if (text.empty()) {
        return error{"the core list is empty; " + std::string(expected_form)};
    }
    std::vector<unsigned> cpus;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        const std::string_view item =
            text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (item.empty()) {
            return list_error(text, comma == std::string_view::npos ? "it ends with a comma" : "it has an empty item");
        }
        const std::size_t dash = item.find('-');
        if (dash == std::string_view::npos) {
            auto cpu = parse_cpu_number(text, item);
            if (!cpu) return cpu.failure();
            cpus.push_back(*cpu);
        } else {
            auto low = parse_cpu_number(text, item.substr(0, dash));
            if (!low) return low.failure();
            auto high = parse_cpu_number(text, item.substr(dash + 1));
            if (!high) return high.failure();
            if (*high < *low) {
                return list_error(text, "range " + std::string(item) + " runs backwards (write it low-high: " +
                                            std::to_string(*high) + "-" + std::to_string(*low) + ")");
            }
            for (unsigned cpu = *low; cpu <= *high; ++cpu) cpus.push_back(cpu);
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    std::sort(cpus.begin(), cpus.end());
    const auto repeat = std::adjacent_find(cpus.begin(), cpus.end());
    if (repeat != cpus.end()) {
        return list_error(text, "core " + std::to_string(*repeat) + " appears more than once; name each core once");
    }
    return cpus;
}

std::string format_cpu_list(const std::vector<unsigned>& cpus) {
    std::vector<unsigned> sorted = cpus;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string text;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
        if (!text.empty()) text += ',';
        text += std::to_string(sorted[i]);
        if (j > i) text += '-' + std::to_string(sorted[j]);
        i = j + 1;
    }
    return text;
}

result<std::vector<unsigned>> choose_cpus(const std::optional<std::vector<unsigned>>& requested_cpus,
                                          std::optional<unsigned> shard_count,
                                          const std::vector<unsigned>& allowed_cpus) {
    std::vector<unsigned> allowed = allowed_cpus;
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    if (allowed.empty()) {
        return error{"this process may run on no core at all; widen its taskset or cgroup cpuset"};
    }
    const std::string allowed_list = allowed_text(allowed);
    if (shard_count && *shard_count == 0) {
        return error{"zero shards: --shards must be at least 1; use --shards 1 to --shards " +
                     std::to_string(allowed.size()) + " (allowed cores " + allowed_list + ")"};
    }
    if (requested_cpus) {
        std::vector<unsigned> chosen = *requested_cpus;
        std::sort(chosen.begin(), chosen.end());
        if (chosen.empty()) {
            return error{"no cores requested; name at least one, e.g. --cores " + std::to_string(allowed.front())};
        }
        if (std::adjacent_find(chosen.begin(), chosen.end()) != chosen.end()) {
            return error{"a core is requested twice in --cores " + format_cpu_list(chosen) + "; name each core once"};
        }
        for (unsigned cpu : chosen) {
            if (!std::binary_search(allowed.begin(), allowed.end(), cpu)) {
                return error{"core " + std::to_string(cpu) + " is not in the allowed set " + allowed_list +
                             " (cgroup cpuset / taskset); choose cores from " + allowed_list};
            }
        }
        if (shard_count && *shard_count != chosen.size()) {
            return error{"--cores " + format_cpu_list(chosen) + " names " + std::to_string(chosen.size()) +
                         " cores but --shards is " + std::to_string(*shard_count) +
                         "; give one core per shard, or drop one of the two options"};
        }
        return chosen;
    }
    if (shard_count) {
        if (*shard_count > allowed.size()) {
            return error{"--shards " + std::to_string(*shard_count) + " needs " + std::to_string(*shard_count) +
                         " cores but only " + std::to_string(allowed.size()) + " are allowed (" + allowed_list +
                         ", cgroup cpuset / taskset); use --shards " + std::to_string(allowed.size()) +
                         " or fewer, or widen the allowed set"};
        }
        return std::vector<unsigned>(allowed.begin(), allowed.begin() + *shard_count);
    }
    return allowed;
}

}  // namespace sluice
