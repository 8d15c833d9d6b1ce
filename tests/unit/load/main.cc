// sluice-load's unit-test executable: Boost.Test supplies main(); the cases live in the
// *_test.cc files next to this one (workloads, the arrival schedule, the in-flight ring).
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency already defines it
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE load
#include <boost/test/unit_test.hpp>
