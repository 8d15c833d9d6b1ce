// The TCP benchmarks of sluice-bench-net (perf/tcp_benchmarks.cc): registered with
// Google Benchmark by the program's main, after EAL and a current packet pool exist.
#pragma once

namespace sluice::bench {

void register_tcp_benchmarks();

}  // namespace sluice::bench
