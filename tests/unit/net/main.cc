// The net unit suite: RSS hashing, redirection and local-port choice.
#define BOOST_TEST_MODULE net
#include <boost/test/unit_test.hpp>
