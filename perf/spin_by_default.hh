// The macro benchmarks' command line: they measure a spinning shard (docs/benchmarks.md,
// "Pinning"), so "--idle spin" goes in front unless the user names an idle policy. Called once,
// from main.
#pragma once

#include <algorithm>
#include <string_view>
#include <vector>

namespace sluice::bench {

// argv's pointers, with "--idle spin" after the program name when --idle is absent.
inline std::vector<char*> arguments_with_spin_by_default(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    const bool idle_given = std::any_of(args.begin(), args.end(), [](const char* a) {
        return std::string_view(a) == "--idle" || std::string_view(a).starts_with("--idle=");
    });
    static char idle_flag[] = "--idle", idle_spin[] = "spin";
    if (!idle_given && argc >= 1) args.insert(args.begin() + 1, {idle_flag, idle_spin});
    return args;
}

}  // namespace sluice::bench
