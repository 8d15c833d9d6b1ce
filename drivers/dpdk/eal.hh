// sluice::dpdk::eal: DPDK's environment (EAL) for this process, started once from the
// arguments a user gives after `--`, and cleaned up (runtime folder included) when it
// is destroyed. Main thread, before the runtime starts; shard threads register as DPDK
// lcores through lcore_hook().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/core/config.hh"
#include "lib/core/result.hh"

namespace sluice::dpdk {

class eal {
public:
    // Starts EAL with `args` (as after `--`; the program name is added). Sluice adds
    // what a single-process framework needs unless the user chose otherwise:
    // --lcores 0@(ALLOWED) so EAL does not pin the main thread, --no-telemetry, and a
    // per-process --file-prefix. Every failure is one line naming the likely fix; EAL's
    // own log lines are kept out of the terminal (SLUICE_EAL_LOG=1 shows them).
    static result<std::unique_ptr<eal>> start(const std::string& program, std::vector<std::string> args);

    eal(const eal&) = delete;
    eal& operator=(const eal&) = delete;
    ~eal();

    // Registers each shard thread as a DPDK lcore (mempool caches need one) and
    // releases it at stop. Add it to runtime_config::shard_hooks before the runtime runs.
    static sluice::shard_hook lcore_hook();

    // EAL's log lines from start-up.
    const std::string& startup_log() const noexcept { return startup_log_; }

private:
    eal(std::string runtime_dir, std::string startup_log);

    std::string runtime_dir_;
    std::string startup_log_;
};

// What start() will pass to rte_eal_init after its additions (exposed for tests).
std::vector<std::string> eal_arguments(const std::string& program, std::vector<std::string> args,
                                       const std::vector<unsigned>& allowed_cpus);

}  // namespace sluice::dpdk
