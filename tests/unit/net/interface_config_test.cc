// Interface configuration from the command line and in code: --address, --gateway, --mtu
// and --mac take good values; bad ones fail with one line that names the option, quotes
// the text and shows a correct value. validate() refuses a non-unicast address, the
// network or broadcast address of the prefix (but both addresses of a /31, RFC 3021), a
// gateway outside the prefix or equal to our address, an MTU out of range and a multicast
// MAC, each with one line naming the field.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/net/interface_config.hh"

using namespace sluice;
using namespace sluice::net;
using sluice::net::wire::ipv4_address;
using sluice::net::wire::ipv4_prefix;

namespace {

constexpr ethernet_address unicast_mac{{0x02, 0, 0, 0, 0, 0x01}};

ipv4_prefix prefix(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, unsigned length) {
    return {ipv4_address::from_octets(a, b, c, d), length};
}

// 198.18.0.1/30 (RFC 2544's range) with 198.18.0.2 as the gateway: valid as it stands.
interface_config good_config() {
    interface_config config;
    config.address = prefix(198, 18, 0, 1, 30);
    config.gateway = ipv4_address::from_octets(198, 18, 0, 2);
    config.mtu = 1500;
    config.mac = unicast_mac;
    return config;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// A failure message for users: one line that contains every one of `parts`.
template <typename T>
void check_refused(const result<T>& outcome, std::initializer_list<std::string_view> parts) {
    BOOST_REQUIRE(!outcome.ok());
    const std::string& message = outcome.message();
    BOOST_TEST_INFO("message: " << message);
    BOOST_CHECK(!message.empty());
    BOOST_CHECK(!contains(message, "\n"));
    for (std::string_view part : parts) {
        BOOST_TEST_INFO("expected to contain: " << part);
        BOOST_CHECK(contains(message, part));
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(interface_options)

BOOST_AUTO_TEST_CASE(address_option_takes_an_address_with_a_prefix_length) {
    const auto parsed = parse_address_option("198.18.0.1/30");
    BOOST_REQUIRE(parsed.ok());
    BOOST_CHECK(*parsed == prefix(198, 18, 0, 1, 30));
    const auto host = parse_address_option("198.19.0.7/32");
    BOOST_REQUIRE(host.ok());
    BOOST_CHECK(*host == prefix(198, 19, 0, 7, 32));
}

BOOST_AUTO_TEST_CASE(address_option_refuses_anything_else_naming_the_option_and_an_example) {
    for (std::string_view bad : {"198.18.0.1", "198.18.0.1/", "198.18.0.1/33", "198.18.0.256/24", "198.18.0/24",
                                 "198.18.0.1/024", " 198.18.0.1/30", "host/24", ""}) {
        BOOST_TEST_CONTEXT("--address '" << bad << "'") {
            check_refused(parse_address_option(bad),
                          {"--address", "'" + std::string(bad) + "'", "--address 198.18.0.1/30"});
        }
    }
}

BOOST_AUTO_TEST_CASE(gateway_option_takes_a_plain_address) {
    const auto parsed = parse_gateway_option("198.18.0.2");
    BOOST_REQUIRE(parsed.ok());
    BOOST_CHECK(*parsed == ipv4_address::from_octets(198, 18, 0, 2));
}

BOOST_AUTO_TEST_CASE(gateway_option_refuses_anything_else_naming_the_option_and_an_example) {
    for (std::string_view bad : {"198.18.0.2/30", "198.18.0", "198.18.0.02", "198.18.0.2 ", "gateway", ""}) {
        BOOST_TEST_CONTEXT("--gateway '" << bad << "'") {
            check_refused(parse_gateway_option(bad),
                          {"--gateway", "'" + std::string(bad) + "'", "--gateway 198.18.0.2"});
        }
    }
}

BOOST_AUTO_TEST_CASE(mtu_option_takes_whole_numbers_from_68_to_9000) {
    for (auto [text, value] : {std::pair<std::string_view, std::uint16_t>{"68", 68},
                               {"576", 576},
                               {"1500", 1500},
                               {"9000", 9000}}) {
        BOOST_TEST_CONTEXT("--mtu " << text) {
            const auto parsed = parse_mtu_option(text);
            BOOST_REQUIRE(parsed.ok());
            BOOST_CHECK_EQUAL(*parsed, value);
        }
    }
}

BOOST_AUTO_TEST_CASE(mtu_option_refuses_anything_else_naming_the_option_the_range_and_an_example) {
    for (std::string_view bad : {"67", "0", "9001", "65536", "99999999999999999999", "-1500", "+1500", "1500 ",
                                 " 1500", "15o0", "1500.0", "0x5dc", ""}) {
        BOOST_TEST_CONTEXT("--mtu '" << bad << "'") {
            check_refused(parse_mtu_option(bad), {"--mtu", "'" + std::string(bad) + "'", "68", "9000", "--mtu 1500"});
        }
    }
}

BOOST_AUTO_TEST_CASE(mac_option_takes_a_unicast_mac_in_either_case) {
    const auto lower = parse_mac_option("02:00:00:00:00:01");
    BOOST_REQUIRE(lower.ok());
    BOOST_CHECK(*lower == unicast_mac);
    const auto upper = parse_mac_option("AA:BB:cc:0D:0e:Ff");
    BOOST_REQUIRE(upper.ok());
    BOOST_CHECK(*upper == (ethernet_address{{0xaa, 0xbb, 0xcc, 0x0d, 0x0e, 0xff}}));
}

BOOST_AUTO_TEST_CASE(mac_option_refuses_malformed_text_naming_the_option_and_an_example) {
    for (std::string_view bad :
         {"02:00:00:00:00", "02:00:00:00:00:01:02", "02-00-00-00-00-01", "2:0:0:0:0:1", "02:00:00:00:00:0g", ""}) {
        BOOST_TEST_CONTEXT("--mac '" << bad << "'") {
            check_refused(parse_mac_option(bad), {"--mac", "'" + std::string(bad) + "'", "--mac 02:00:00:00:00:01"});
        }
    }
}

BOOST_AUTO_TEST_CASE(mac_option_refuses_multicast_and_broadcast_suggesting_a_unicast_mac) {
    for (std::string_view group : {"01:00:5e:00:00:01", "03:00:00:00:00:01", "ff:ff:ff:ff:ff:ff"}) {
        BOOST_TEST_CONTEXT("--mac " << group) {
            check_refused(parse_mac_option(group), {"--mac", "multicast", "02:00:00:00:00:01"});
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(interface_config_validate)

BOOST_AUTO_TEST_CASE(accepts_a_consistent_configuration) {
    BOOST_CHECK(good_config().validate().ok());
    interface_config minimal;  // no gateway, the device's MAC
    minimal.address = prefix(198, 18, 0, 1, 24);
    BOOST_CHECK(minimal.validate().ok());
}

BOOST_AUTO_TEST_CASE(refuses_an_address_that_is_not_unicast) {
    for (ipv4_prefix bad : {prefix(0, 0, 0, 0, 24), prefix(224, 0, 0, 1, 24), prefix(239, 1, 2, 3, 8),
                            prefix(255, 255, 255, 255, 32)}) {
        BOOST_TEST_CONTEXT(bad.to_string()) {
            interface_config config = good_config();
            config.address = bad;
            config.gateway.reset();
            check_refused(config.validate(), {"interface address", "unicast", "--address 198.18.0.1/30"});
        }
    }
}

BOOST_AUTO_TEST_CASE(refuses_the_network_and_broadcast_addresses_of_the_prefix) {
    for (ipv4_prefix bad : {prefix(198, 18, 0, 0, 30), prefix(198, 18, 0, 3, 30), prefix(198, 18, 0, 0, 24),
                            prefix(198, 18, 0, 255, 24), prefix(10, 0, 0, 0, 8), prefix(10, 255, 255, 255, 8)}) {
        BOOST_TEST_CONTEXT(bad.to_string()) {
            interface_config config = good_config();
            config.address = bad;
            config.gateway.reset();
            check_refused(config.validate(),
                          {"interface address", bad.address.to_string(), "network or broadcast", "host address"});
        }
    }
}

BOOST_AUTO_TEST_CASE(accepts_both_addresses_of_a_31_bit_prefix) {
    // RFC 3021: a point-to-point /31 has no network or broadcast address; the other end is
    // the gateway.
    interface_config low = good_config();
    low.address = prefix(198, 18, 0, 0, 31);
    low.gateway = ipv4_address::from_octets(198, 18, 0, 1);
    BOOST_CHECK(low.validate().ok());
    interface_config high = good_config();
    high.address = prefix(198, 18, 0, 1, 31);
    high.gateway = ipv4_address::from_octets(198, 18, 0, 0);
    BOOST_CHECK(high.validate().ok());
}

BOOST_AUTO_TEST_CASE(refuses_a_gateway_outside_the_prefix) {
    for (ipv4_address bad : {ipv4_address::from_octets(198, 18, 0, 5), ipv4_address::from_octets(198, 18, 1, 2),
                             ipv4_address::from_octets(10, 0, 0, 1)}) {
        BOOST_TEST_CONTEXT(bad.to_string()) {
            interface_config config = good_config();
            config.gateway = bad;
            check_refused(config.validate(), {"gateway", bad.to_string(), "198.18.0.0/30", "inside"});
        }
    }
}

BOOST_AUTO_TEST_CASE(refuses_a_gateway_equal_to_our_own_address) {
    interface_config config = good_config();
    config.gateway = config.address.address;
    check_refused(config.validate(), {"gateway", "198.18.0.1", "another host"});
}

BOOST_AUTO_TEST_CASE(refuses_a_gateway_that_is_the_network_or_broadcast_address) {
    for (const char* not_a_host : {"198.18.0.0", "198.18.0.3"}) {
        interface_config config = good_config();
        config.address = *sluice::net::wire::ipv4_prefix::parse("198.18.0.1/30");
        config.gateway = *sluice::net::wire::ipv4_address::parse(not_a_host);
        BOOST_TEST_CONTEXT("gateway " << not_a_host) { check_refused(config.validate(), {"gateway", not_a_host}); }
    }
}

BOOST_AUTO_TEST_CASE(accepts_mtus_from_68_to_9000_and_refuses_the_rest) {
    for (std::uint16_t ok : {std::uint16_t{68}, std::uint16_t{1500}, std::uint16_t{9000}}) {
        interface_config config = good_config();
        config.mtu = ok;
        BOOST_TEST_CONTEXT("MTU " << ok) { BOOST_CHECK(config.validate().ok()); }
    }
    for (std::uint16_t bad : {std::uint16_t{0}, std::uint16_t{67}, std::uint16_t{9001}, std::uint16_t{65535}}) {
        interface_config config = good_config();
        config.mtu = bad;
        BOOST_TEST_CONTEXT("MTU " << bad) {
            check_refused(config.validate(), {"MTU", std::to_string(bad), "68", "9000"});
        }
    }
}

BOOST_AUTO_TEST_CASE(refuses_a_multicast_or_broadcast_mac) {
    for (ethernet_address bad : {ethernet_address{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
                                 ethernet_address{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}}) {
        BOOST_TEST_CONTEXT(bad.to_string()) {
            interface_config config = good_config();
            config.mac = bad;
            check_refused(config.validate(), {"MAC", bad.to_string(), "multicast", "02:00:00:00:00:01"});
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
