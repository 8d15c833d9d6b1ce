// Core lists: parse "0-3,6" style text, format a set of cores the same way, and choose
// the shards' cores from what the user asked for and what the process may use.
// Pure functions on values; any thread may call them; callers own every vector.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/result.hh"

namespace sluice {

// The largest core number a list may name (Linux builds with at most 8192 CPUs).
inline constexpr unsigned max_cpu_index = 65535;

// Parses "0-3", "0,2", "0-1,4,6-7" or "3" into logical CPU numbers (OS index, as taskset
// numbers them), sorted ascending. Rejects empty text or items, trailing commas, reversed
// ranges, anything but digits, '-' and ',', numbers above max_cpu_index, and duplicates,
// each with a one-line message that names the problem and the expected form.
result<std::vector<unsigned>> parse_cpu_list(std::string_view text);

// The inverse of parse_cpu_list: {0,1,2,3,6} -> "0-3,6". Sorts and drops repeats first;
// an empty set gives "".
std::string format_cpu_list(const std::vector<unsigned>& cpus);

// Picks one core per shard from `allowed` (the cores this process may use, any order):
//   requested_cpus only   -> exactly those; each must be allowed;
//   shard_count only      -> the first N allowed cores (N >= 1, N <= allowed.size());
//   both                  -> the list, which must have exactly N entries;
//   neither               -> every allowed core.
// The result is sorted ascending; shard i runs on result[i].
result<std::vector<unsigned>> choose_cpus(const std::optional<std::vector<unsigned>>& requested_cpus,
                                          std::optional<unsigned> shard_count,
                                          const std::vector<unsigned>& allowed);

}  // namespace sluice
