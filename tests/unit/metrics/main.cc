// The metrics unit-test executable: Boost.Test supplies main(); the cases live in the
// *_test.cc files next to this one.
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency already defines it
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>
