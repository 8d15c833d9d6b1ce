// The net unit suite: RSS hashing, redirection and local-port choice; the wire formats
// (lib/net/wire: addresses, checksum, Ethernet, ARP, IPv4, ICMP, UDP, drop reasons).
#define BOOST_TEST_MODULE net
#include <boost/test/unit_test.hpp>
