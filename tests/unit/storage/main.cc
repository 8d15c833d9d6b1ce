// The storage unit suite: the io_uring engine, the file API, cancellation, back-pressure,
// cross-core use, the buffer pool, set-up failures, CRC32C and the durable log.
#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>
