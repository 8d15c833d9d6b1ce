// Integration-test helpers: run one of Sluice's programs (from SLUICE_APPS_DIR, set by
// meson test) through the shell, bounded in time, and capture its exit code and output.
#pragma once

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice::testing {

struct program_run {
    int exit_code = -1;  // 128 + signal number when a signal ended it
    std::string out;
    std::string err;
};

inline std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A folder meson test names in the environment (tests/meson.build); the case stops when unset.
inline std::string required_folder(const char* variable) {
    const char* folder = std::getenv(variable);
    BOOST_REQUIRE_MESSAGE(folder, variable << " is not set; run this suite with meson test");
    return folder;
}
inline std::string apps_dir() { return required_folder("SLUICE_APPS_DIR"); }
inline std::string source_dir() { return required_folder("SLUICE_SOURCE_ROOT"); }
inline std::string build_dir() { return required_folder("SLUICE_BUILD_ROOT"); }

// Runs `prefix` + APPS/`program` + ` ` + `args` (shell words, already quoted), killed after
// `limit_seconds`.
inline program_run run_program(const std::string& program, const std::string& args, const std::string& prefix = "",
                               int limit_seconds = 60) {
    const std::string base = "/tmp/sluice-" + program + "-test-" + std::to_string(getpid());
    const std::string command = "timeout " + std::to_string(limit_seconds) + " " + prefix + apps_dir() + "/" +
                                program + " " + args + " >" + base + ".out 2>" + base + ".err";
    const int status = std::system(command.c_str());
    program_run run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = read_file(base + ".out");
    run.err = read_file(base + ".err");
    std::remove((base + ".out").c_str());
    std::remove((base + ".err").c_str());
    return run;
}

// stderr without the runtime's own start-up report lines ("sluice: clock: ..."): what a
// program said about a problem.
inline std::string problem_lines(const std::string& err) {
    std::string kept;
    std::istringstream lines(err);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("sluice: ", 0) != 0) kept += line + "\n";
    }
    return kept;
}

// A shell command (a rig script), its stdout and stderr together.
struct command_run {
    int exit_code = -1;  // 128 + signal number when a signal ended it
    std::string output;
};

inline command_run run_command(const std::string& command) {
    command_run run;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return run;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) run.output.append(buffer, n);
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run;
}

}  // namespace sluice::testing
