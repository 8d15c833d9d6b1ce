// Test helper: run a test body as the main task of a runtime with `shards` shards,
// pinned round-robin over the allowed CPUs (more shards than CPUs share them), with
// the adaptive idle policy CI needs. Returns the body's value.
#pragma once

#include <boost/test/unit_test.hpp>

#include <functional>

#include "sluice/core/config.hh"
#include "sluice/core/runtime.hh"
#include "sluice/core/task.hh"
#include "sluice/core/topology.hh"

namespace sluice::testing {

inline int run_on_shards(unsigned shards, std::function<task<int>()> body,
                         idle_policy idle = idle_policy::adaptive) {
    auto topo = topology::discover();
    BOOST_REQUIRE_MESSAGE(topo.ok(), (topo.ok() ? std::string() : topo.message()));
    runtime_config config;
    for (unsigned i = 0; i < shards; ++i) {
        config.cpus.push_back(topo->allowed_cpus()[i % topo->allowed_cpus().size()]);
    }
    config.idle = idle;
    config.report_placement = false;
    runtime engine(config);
    auto outcome = engine.run(std::move(body));
    BOOST_REQUIRE_MESSAGE(outcome.ok(), (outcome.ok() ? std::string() : outcome.message()));
    return *outcome;
}

}  // namespace sluice::testing
