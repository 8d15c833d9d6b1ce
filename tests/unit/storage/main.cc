// The storage unit suite: the io_uring engine, the file API, cancellation, back-pressure,
// cross-core use, the buffer pool, and set-up failures.
#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>
