// The core unit suite: ring, timers, tasks, cross-core calls, topology, command line.
#define BOOST_TEST_MODULE core
#include <boost/test/unit_test.hpp>
