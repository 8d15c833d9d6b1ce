// The sim suite: the simulated wire and the pcap writer, deterministic in virtual time.
// One EAL per process (mbufs need it), started once by the dpdk suite's fixture.
#define BOOST_TEST_MODULE sim
#include <boost/test/unit_test.hpp>

#include "tests/support/eal_fixture.hh"

using sluice::testing::eal_fixture;
BOOST_TEST_GLOBAL_FIXTURE(eal_fixture);
