// The TCP core's suites: the per-state specification of the connection (RFC 9293 3.10),
// the per-topic behaviour (retransmission, congestion, SACK, windows, timers, RFC 5961),
// and the core's parts (sequence numbers, RTO, congestion control, buffers, scoreboard,
// ISNs, SYN cookies). Payloads are mbufs: a global fixture starts EAL once.
#define BOOST_TEST_MODULE tcp
#include <boost/test/unit_test.hpp>

#include "tests/support/eal_fixture.hh"

using sluice::testing::eal_fixture;
BOOST_TEST_GLOBAL_FIXTURE(eal_fixture);
