// sluice-load's --workload names and their settings, turned into a workload object.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "apps/load/http_workload.hh"
#include "apps/load/redis_workload.hh"
#include "apps/load/workload.hh"
#include "sluice/core/result.hh"

namespace sluice::load {

struct workload_settings {
    std::string name = "sockperf-udp";
    std::size_t message_size = 64;  // echo and sockperf workloads
    http_settings http;
    redis_settings redis;
};

// The names --workload accepts, for help text and errors.
inline constexpr std::string_view workload_names = "sockperf-udp, sockperf-tcp, echo-udp, echo-tcp, http, redis";

// An unknown name is an error that lists the known ones.
result<std::unique_ptr<workload>> make_workload(const workload_settings& settings);

}  // namespace sluice::load
