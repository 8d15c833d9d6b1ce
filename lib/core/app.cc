#include "sluice/core/app.hh"

#include <cstdio>

#include "sluice/core/runtime.hh"
#include "sluice/core/topology.hh"

namespace sluice {

app::app(std::string program, std::string summary) : program_(program), parser_(std::move(program), std::move(summary)) {
    add_runtime_options(parser_, runtime_options_);
}

int app::run(int argc, char** argv, std::function<task<int>()> main) {
    install_stop_signal_handlers();
    if (auto parsed = parser_.parse(argc, argv); !parsed) {
        std::fprintf(stderr, "%s: %s\n", program_.c_str(), parsed.message().c_str());
        return 2;
    }
    if (parser_.help_requested()) {
        std::fputs(parser_.usage().c_str(), stdout);
        return 0;
    }
    auto topo = topology::discover();
    if (!topo) {
        std::fprintf(stderr, "%s: %s\n", program_.c_str(), topo.message().c_str());
        return 1;
    }
    auto config = finish_runtime_config(runtime_options_, *topo);
    if (!config) {
        std::fprintf(stderr, "%s: %s\n", program_.c_str(), config.message().c_str());
        return 2;
    }
    if (prepare_) {
        if (auto prepared = prepare_(*config); !prepared) {
            std::fprintf(stderr, "%s: %s\n", program_.c_str(), prepared.message().c_str());
            return 1;
        }
        install_stop_signal_handlers();  // again: a driver's start-up (DPDK's EAL) may replace them
    }
    runtime engine(std::move(*config));
    auto outcome = engine.run(std::move(main));
    if (!outcome) {
        std::fprintf(stderr, "%s: %s\n", program_.c_str(), outcome.message().c_str());
        return 1;
    }
    return *outcome;
}

}  // namespace sluice
