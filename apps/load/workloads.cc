#include "apps/load/workloads.hh"

#include <stdexcept>

#include "apps/load/echo_workloads.hh"

namespace sluice::load {

result<std::unique_ptr<workload>> make_workload(const workload_settings& settings) {
    const std::string& name = settings.name;
    using made = std::unique_ptr<workload>;
    if (name == "sockperf-udp") return made(std::make_unique<sockperf_workload>(transport::udp, settings.message_size));
    if (name == "sockperf-tcp") return made(std::make_unique<sockperf_workload>(transport::tcp, settings.message_size));
    if (name == "echo-udp") return made(std::make_unique<echo_workload>(transport::udp, settings.message_size));
    if (name == "echo-tcp") return made(std::make_unique<echo_workload>(transport::tcp, settings.message_size));
    try {  // their constructors refuse settings they cannot honour
        if (name == "http") return made(std::make_unique<http_workload>(settings.http));
        if (name == "redis") return made(std::make_unique<redis_workload>(settings.redis));
    } catch (const std::invalid_argument& refused) {
        return error{"--workload " + name + ": " + refused.what()};
    }
    return error{"--workload " + name + ": unknown; choose one of " + std::string(workload_names)};
}

}  // namespace sluice::load
