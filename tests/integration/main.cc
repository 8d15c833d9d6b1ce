// Integration suite: Sluice's programs run as a user runs them, checked from outside.
#define BOOST_TEST_MODULE integration
#include <boost/test/unit_test.hpp>
