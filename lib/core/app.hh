// sluice::app: the main() of a Sluice program in three lines — declare options, parse
// the command line, start the runtime, run the app's main task on shard 0. Start-up
// problems end with one line "PROGRAM: problem; fix" and a non-zero exit.
#pragma once

#include <functional>
#include <string>

#include "lib/core/cli.hh"
#include "lib/core/task.hh"

namespace sluice {

class app {
public:
    app(std::string program, std::string summary);

    // Add the app's own options here before run().
    cli& options() noexcept { return parser_; }

    // Exit codes: main's value; 2 for a bad command line; 1 for a start-up failure.
    int run(int argc, char** argv, std::function<task<int>()> main);

private:
    std::string program_;
    cli parser_;
    runtime_options runtime_options_;
};

}  // namespace sluice
