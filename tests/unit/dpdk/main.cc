// The DPDK driver's unit suite. One EAL per process: a global fixture starts it once,
// with vdevs only (--no-pci) and no hugepages, as every test here needs.
#define BOOST_TEST_MODULE dpdk
#include <boost/test/unit_test.hpp>

#include "tests/support/eal_fixture.hh"

using sluice::testing::eal_fixture;
BOOST_TEST_GLOBAL_FIXTURE(eal_fixture);
