// sluice::cli: the command-line parser that the runtime and every app share, plus the
// runtime's own options (--cores, --shards, --idle, --task-budget). Main-thread, start-up
// only. The cli owns its option table; flags and callbacks write into caller-owned state.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/config.hh"
#include "sluice/core/result.hh"

namespace sluice {

class topology;

class cli {
public:
    cli(std::string program, std::string summary);

    // Names are given without dashes ("cores"); a leading "--" is accepted and dropped.
    // `target` must outlive parse(); it is set true when the flag appears.
    void add_flag(std::string name, std::string help, bool& target);
    // `on_value` gets the option's text and returns an error whose message is shown as
    // is (one line, naming the option and the fix). `example` (e.g. "0-3") is shown in
    // the "needs a value" message; it defaults to value_name.
    void add_option(std::string name, std::string value_name, std::string help,
                    std::function<result<void>(std::string_view)> on_value, std::string example = {});

    // A whole-number option in [minimum, maximum]; anything else is a one-line error
    // naming the range, with `example` as the fix. `target` must outlive parse().
    void add_count(std::string name, std::string help, unsigned& target, unsigned minimum, unsigned maximum,
                   std::string example);

    // Reads argv[1..argc): "--name value", "--name=value", flags, "--help"/"-h" (which stops
    // parsing and sets help_requested()), and "--" after which every argument goes to rest().
    // Stops at the first problem with a one-line error.
    result<void> parse(int argc, char** argv);

    bool help_requested() const noexcept { return help_requested_; }
    std::string usage() const;
    // Arguments after "--", e.g. DPDK EAL arguments.
    const std::vector<std::string>& rest() const noexcept { return rest_; }

private:
    struct entry {
        std::string name;
        std::string value_name;  // empty for a flag
        std::string help;
        std::string example;
        bool* flag = nullptr;
        std::function<result<void>(std::string_view)> on_value;
    };
    const entry* find(std::string_view name) const;

    std::string program_;
    std::string summary_;
    std::vector<entry> entries_;
    std::vector<std::string> rest_;
    bool help_requested_ = false;
};

// What the runtime's options collect; finish_runtime_config turns it into a config.
struct runtime_options {
    std::optional<std::vector<unsigned>> cores;  // --cores LIST
    std::optional<unsigned> shards;              // --shards N
    idle_policy idle = idle_policy::adaptive;    // --idle spin|adaptive
    unsigned task_budget = runtime_config{}.task_budget;  // --task-budget N
};

// Registers --cores, --shards, --idle and --task-budget; `options` must outlive parse().
void add_runtime_options(cli& parser, runtime_options& options);

// Chooses the shards' cores (choose_cpus) against the topology's allowed set and fills
// in the rest of the config. The second form takes the allowed set directly.
result<runtime_config> finish_runtime_config(const runtime_options& options, const topology& topo);
result<runtime_config> finish_runtime_config(const runtime_options& options, const std::vector<unsigned>& allowed);

}  // namespace sluice
