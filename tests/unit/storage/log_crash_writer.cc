// The writer half of the kill -9 test (log_test.cc, log_crash): opens the log at argv[1]
// (O_DIRECT when argv[2] is "direct") on a one-shard storage runtime and has 64 appenders
// append as fast as they can until the process is killed. After each acknowledgement it
// prints "sequence appender count" and flushes stdout (a pipe to the test), so every line
// the test reads names a record the log had already called durable.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "sluice/core/config.hh"
#include "sluice/core/runtime.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/topology.hh"
#include "sluice/storage/engine.hh"
#include "sluice/storage/log.hh"
#include "tests/unit/storage/log_crash_payload.hh"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t appenders = 64;

// Blocking stdio on the shard is acceptable here: a test helper, and the test reads the
// pipe continuously.
task<void> append_forever(storage::log& log, std::uint32_t appender) {
    for (std::uint64_t count = 0;; ++count) {
        const auto payload = testing::crash_test_payload(appender, count);
        const storage::append_result acked = co_await log.append(payload);
        if (!acked.status.ok()) {
            std::fprintf(stderr, "log_crash_writer: %s\n", acked.status.message().c_str());
            request_stop();
            co_return;
        }
        std::printf("%" PRIu64 " %" PRIu32 " %" PRIu64 "\n", acked.sequence, appender, count);
        std::fflush(stdout);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: log_crash_writer PATH [direct|buffered]\n");
        return 2;
    }
    const std::string path = argv[1];
    const bool direct = argc > 2 && std::strcmp(argv[2], "direct") == 0;
    auto topo = topology::discover();
    if (!topo.ok()) {
        std::fprintf(stderr, "log_crash_writer: %s\n", topo.message().c_str());
        return 1;
    }
    runtime_config config;
    config.cpus.push_back(topo->allowed_cpus().front());
    config.idle = idle_policy::adaptive;
    config.report_placement = false;
    storage::engine_options engine_options;
    engine_options.report = false;
    config.shard_hooks.push_back(storage::engine::hook(engine_options));
    runtime writer(config);
    auto outcome = writer.run([&]() -> task<int> {
        auto opened = co_await storage::log::open(path, {.direct = direct});
        if (!opened.status.ok()) {
            std::fprintf(stderr, "log_crash_writer: %s\n", opened.status.message().c_str());
            co_return 1;
        }
        storage::log& log = *opened.opened;
        for (std::uint32_t appender = 0; appender < appenders; ++appender) spawn(append_forever(log, appender));
        for (;;) co_await sleep_for(1s);  // until SIGKILL
    });
    if (!outcome.ok()) {
        std::fprintf(stderr, "log_crash_writer: %s\n", outcome.message().c_str());
        return 1;
    }
    return *outcome;
}
