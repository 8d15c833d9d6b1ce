// The net unit suite: packet buffers and their pool, the ARP cache, IPv4 reassembly, RSS
// hashing and redirection, software RSS across shards, interface configuration and the
// sockets. One EAL per process (the packet tests need mbufs): a global fixture starts it.
#define BOOST_TEST_MODULE net
#include <boost/test/unit_test.hpp>

#include "tests/support/eal_fixture.hh"

using sluice::testing::eal_fixture;
BOOST_TEST_GLOBAL_FIXTURE(eal_fixture);
