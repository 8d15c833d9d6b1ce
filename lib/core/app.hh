// sluice::app: the main() of a Sluice program in three lines — declare options, parse
// the command line, start the runtime, run the app's main task on shard 0. Start-up
// problems end with one line "PROGRAM: problem; fix" and a non-zero exit.
#pragma once

#include <functional>
#include <string>

#include "sluice/core/cli.hh"
#include "sluice/core/task.hh"

namespace sluice {

class app {
public:
    app(std::string program, std::string summary);

    // Add the app's own options here before run().
    cli& options() noexcept { return parser_; }

    // Runs after the command line is parsed and the shards' cpus are chosen, before any
    // shard starts: start drivers (DPDK's EAL, ports), add shard hooks. Its error ends
    // the program with that one line and exit code 1.
    void on_prepare(std::function<result<void>(runtime_config&)> prepare) { prepare_ = std::move(prepare); }

    // Exit codes: main's value; 2 for a bad command line; 1 for a start-up failure.
    int run(int argc, char** argv, std::function<task<int>()> main);

private:
    std::string program_;
    cli parser_;
    runtime_options runtime_options_;
    std::function<result<void>(runtime_config&)> prepare_;
};

}  // namespace sluice
