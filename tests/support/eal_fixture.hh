// Starts EAL once per test process (the dpdk, net and sim suites): --no-huge --no-pci, two
// net_ring ports and a net_null port. Tests reach it through eal_fixture::instance().
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "sluice/dpdk/eal.hh"

namespace sluice::testing {

struct eal_fixture {
    eal_fixture() {
        auto started = dpdk::eal::start("sluice_tests", {"--no-huge", "--no-pci", "-m", "256", "--vdev=net_ring0",
                                                            "--vdev=net_ring1", "--vdev=net_null0"});
        if (!started) {
            BOOST_TEST_MESSAGE("EAL did not start: " << started.message());
            std::fprintf(stderr, "test suite: EAL did not start: %s\n", started.message().c_str());
            std::exit(1);
        }
        instance() = std::move(*started);
    }
    ~eal_fixture() { instance().reset(); }
    static std::unique_ptr<dpdk::eal>& instance() {
        static std::unique_ptr<dpdk::eal> running;
        return running;
    }
};

}  // namespace sluice::testing
