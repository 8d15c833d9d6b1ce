// The wire unit suite: lib/net/wire alone (addresses, checksum, Ethernet, ARP, IPv4 and its
// options, ICMP, UDP, drop reasons). It links sluice_wire and nothing else of Sluice's.
#define BOOST_TEST_MODULE wire
#include <boost/test/unit_test.hpp>
