#include "sluice/core/cli.hh"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstddef>
#include <utility>

#include "sluice/core/cpu_list.hh"
#include "sluice/core/topology.hh"

namespace sluice {
namespace {

std::string strip_dashes(std::string name) {
    if (name.starts_with("--")) name.erase(0, 2);
    return name;
}

// A user's text, made safe to show inside a one-line message.
std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
    return out;
}

std::string quoted(std::string_view text) { return "\"" + one_line(text) + "\""; }

// A whole number in [minimum, maximum], digits only.
result<unsigned> parse_count(std::string_view option, std::string_view text, unsigned minimum, unsigned maximum,
                             std::string_view example) {
    const std::string fix = "; e.g. --" + std::string(option) + " " + std::string(example);
    unsigned value = 0;
    const bool digits_only =
        !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!digits_only || (ec != std::errc{} && ec != std::errc::result_out_of_range) ||
        end != text.data() + text.size()) {
        return error{"--" + std::string(option) + " needs a whole number, got " + quoted(text) + fix};
    }
    if (ec == std::errc::result_out_of_range || value > maximum) {
        return error{"--" + std::string(option) + " " + std::string(text) + " is too large (at most " +
                     std::to_string(maximum) + ")" + fix};
    }
    if (value < minimum) {
        return error{"--" + std::string(option) + " must be at least " + std::to_string(minimum) + ", got " +
                     std::string(text) + fix};
    }
    return value;
}

}  // namespace

cli::cli(std::string program, std::string summary) : program_(std::move(program)), summary_(std::move(summary)) {}

void cli::add_flag(std::string name, std::string help, bool& target) {
    name = strip_dashes(std::move(name));
    assert(find(name) == nullptr && "option registered twice");
    entries_.push_back(entry{std::move(name), {}, std::move(help), {}, &target, {}});
}

void cli::add_option(std::string name, std::string value_name, std::string help,
                     std::function<result<void>(std::string_view)> on_value, std::string example) {
    name = strip_dashes(std::move(name));
    assert(find(name) == nullptr && "option registered twice");
    assert(!value_name.empty() && on_value);
    if (example.empty()) example = value_name;
    entries_.push_back(
        entry{std::move(name), std::move(value_name), std::move(help), std::move(example), nullptr, std::move(on_value)});
}

const cli::entry* cli::find(std::string_view name) const {
    for (const entry& e : entries_) {
        if (e.name == name) return &e;
    }
    return nullptr;
}

void cli::add_count(std::string name, std::string help, unsigned& target, unsigned minimum, unsigned maximum,
                    std::string example) {
    const std::string option = name;
    add_option(
        std::move(name), "N", std::move(help),
        [option, &target, minimum, maximum, example](std::string_view text) -> result<void> {
            auto value = parse_count(option, text, minimum, maximum, example);
            if (!value) return value.failure();
            target = *value;
            return {};
        },
        example);
}

result<void> cli::parse(int argc, char** argv) {
    help_requested_ = false;
    rest_.clear();
    const std::string help_hint = "; run " + program_ + " --help for the options";
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i] != nullptr ? argv[i] : "";
        if (arg == "--") {
            rest_.assign(argv + i + 1, argv + argc);
            return {};
        }
        if (arg == "--help" || arg == "-h") {
            help_requested_ = true;
            return {};
        }
        if (!arg.starts_with("--") || arg.size() == 2) {
            if (arg.starts_with("-")) return error{"unknown option " + one_line(arg) + help_hint};
            return error{"unexpected argument " + quoted(arg) + " (options start with --)" + help_hint};
        }
        const std::size_t equals = arg.find('=');
        const std::string_view name = arg.substr(2, equals == std::string_view::npos ? std::string_view::npos : equals - 2);
        const entry* option = find(name);
        if (option == nullptr) {
            return error{"unknown option --" + one_line(name) + help_hint};
        }
        if (option->flag != nullptr) {
            if (equals != std::string_view::npos) {
                return error{"--" + option->name + " takes no value; write --" + option->name + " alone"};
            }
            *option->flag = true;
            continue;
        }
        std::string_view value;
        if (equals != std::string_view::npos) {
            value = arg.substr(equals + 1);
        } else if (i + 1 < argc && argv[i + 1] != nullptr && !std::string_view(argv[i + 1]).starts_with("--")) {
            value = argv[++i];
        } else {
            return error{"--" + option->name + " needs a value, e.g. --" + option->name + " " + option->example};
        }
        if (value.empty()) {
            return error{"--" + option->name + " needs a value, e.g. --" + option->name + " " + option->example};
        }
        auto handled = option->on_value(value);
        if (!handled) return handled;
    }
    return {};
}

std::string cli::usage() const {
    std::string text = "usage: " + program_ + " [options] [-- more arguments]\n";
    if (!summary_.empty()) text += summary_ + "\n";
    text += "\noptions:\n";
    std::vector<std::pair<std::string, std::string>> rows;
    for (const entry& e : entries_) {
        rows.emplace_back("--" + e.name + (e.value_name.empty() ? "" : " " + e.value_name), e.help);
    }
    rows.emplace_back("--help, -h", "show this help and exit");
    std::size_t width = 0;
    for (const auto& row : rows) width = std::max(width, row.first.size());
    for (const auto& [left, help] : rows) {
        text += "  " + left + std::string(width - left.size() + 2, ' ') + help + "\n";
    }
    return text;
}

void add_runtime_options(cli& parser, runtime_options& options) {
    parser.add_option(
        "cores", "LIST", "run one shard on each of these cores, e.g. 0-3 or 0,2 (default: every allowed core)",
        [&options](std::string_view text) -> result<void> {
            auto cpus = parse_cpu_list(text);
            if (!cpus) return error{"--cores: " + cpus.message()};
            options.cores = std::move(cpus).value();
            return {};
        },
        "0-3");
    parser.add_option(
        "shards", "N", "run N shards on the first N allowed cores",
        [&options](std::string_view text) -> result<void> {
            // 0 parses here so that choose_cpus gives the one "zero shards" message.
            auto count = parse_count("shards", text, 0, max_cpu_index + 1, "2");
            if (!count) return count.failure();
            options.shards = *count;
            return {};
        },
        "2");
    parser.add_option(
        "idle", "spin|adaptive", "what an idle shard does: spin (rigs) or adaptive (spin, then sleep; default)",
        [&options](std::string_view text) -> result<void> {
            if (text == "spin") {
                options.idle = idle_policy::spin;
            } else if (text == "adaptive") {
                options.idle = idle_policy::adaptive;
            } else {
                return error{"--idle must be spin or adaptive, got " + quoted(text) + "; e.g. --idle adaptive"};
            }
            return {};
        },
        "adaptive");
    parser.add_count("task-budget",
                     "ready tasks run per loop turn before polling again (default " +
                         std::to_string(runtime_config{}.task_budget) + ")",
                     options.task_budget, 1, 1u << 20, "256");
}

result<runtime_config> finish_runtime_config(const runtime_options& options, const std::vector<unsigned>& allowed) {
    auto cpus = choose_cpus(options.cores, options.shards, allowed);
    if (!cpus) return cpus.failure();
    runtime_config config;
    config.cpus = std::move(cpus).value();
    config.idle = options.idle;
    config.task_budget = options.task_budget;
    return config;
}

result<runtime_config> finish_runtime_config(const runtime_options& options, const topology& topo) {
    return finish_runtime_config(options, topo.allowed_cpus());
}

}  // namespace sluice
