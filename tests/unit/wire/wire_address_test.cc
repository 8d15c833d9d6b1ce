// Addresses in text and by class: ipv4_address parses strict dotted quads only (no leading
// zeros, signs, spaces or missing parts) and prints them back; ipv4_prefix parses
// "a.b.c.d/n" and gives mask, network, broadcast and membership, /0 and /32 included;
// ethernet_address::parse takes exactly six two-digit hex groups; broadcast and multicast
// are told apart for both kinds.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/net/wire/ethernet_address.hh"
#include "sluice/net/wire/ipv4_address.hh"

using sluice::net::wire::ethernet_broadcast;
using sluice::net::wire::ipv4_address;
using sluice::net::wire::ipv4_prefix;
using sluice::net::wire::is_broadcast;
using sluice::net::wire::is_multicast;
using sluice::net::wire::ethernet_address;

BOOST_AUTO_TEST_SUITE(wire_address)

BOOST_AUTO_TEST_CASE(parses_dotted_quads_and_prints_them_back) {
    struct example {
        std::string_view text;
        std::uint32_t value;
    };
    const example examples[] = {
        {"198.18.0.1", 0xc6120001u}, {"0.0.0.0", 0},         {"255.255.255.255", 0xffffffffu},
        {"198.19.0.255", 0xc61300ffu}, {"1.2.3.4", 0x01020304u}, {"224.0.0.251", 0xe00000fbu},
    };
    for (const auto& e : examples) {
        const auto parsed = ipv4_address::parse(e.text);
        BOOST_TEST_REQUIRE(parsed.has_value(), e.text);
        BOOST_TEST(parsed->value == e.value);
        BOOST_TEST(parsed->to_string() == e.text);
    }
    BOOST_TEST(ipv4_address::from_octets(198, 18, 0, 1).value == 0xc6120001u);
}

BOOST_AUTO_TEST_CASE(rejects_anything_but_a_strict_dotted_quad) {
    const std::string_view bad[] = {
        "",          "1.2.3",      "1.2.3.4.5",   "1.2.3.",       ".1.2.3",     "1..2.3",    "256.0.0.1",
        "1.2.3.256", "1.2.3.1000", "01.2.3.4",    "1.2.3.04",     "1.2.3.00",   "+1.2.3.4",  "-1.2.3.4",
        " 1.2.3.4",  "1.2.3.4 ",   "1.2. 3.4",    "0x1.2.3.4",    "1.2.3.4/24", "a.b.c.d",   "1,2,3,4",
        "16909060",  "1.2.3.4\n",  "999.999.999.999",
    };
    for (std::string_view text : bad) BOOST_TEST(!ipv4_address::parse(text).has_value(), "\"" << text << "\"");
}

BOOST_AUTO_TEST_CASE(classifies_broadcast_multicast_and_unspecified) {
    BOOST_TEST(ipv4_address{0xffffffffu}.is_broadcast());
    BOOST_TEST(!ipv4_address::from_octets(198, 18, 0, 255).is_broadcast());  // directed: needs the prefix
    BOOST_TEST(ipv4_address::from_octets(224, 0, 0, 1).is_multicast());
    BOOST_TEST(ipv4_address::from_octets(239, 255, 255, 255).is_multicast());
    BOOST_TEST(!ipv4_address::from_octets(223, 255, 255, 255).is_multicast());
    BOOST_TEST(!ipv4_address::from_octets(240, 0, 0, 0).is_multicast());
    BOOST_TEST(ipv4_address{}.is_unspecified());
    BOOST_TEST(!ipv4_address::from_octets(0, 0, 0, 1).is_unspecified());
}

BOOST_AUTO_TEST_CASE(orders_and_hashes_by_value) {
    const ipv4_address low = ipv4_address::from_octets(10, 0, 0, 1);
    const ipv4_address high = ipv4_address::from_octets(198, 18, 0, 1);
    BOOST_TEST((low < high));
    BOOST_TEST((low == ipv4_address{0x0a000001u}));
    BOOST_TEST((low != high));
    BOOST_TEST(std::hash<ipv4_address>{}(low) == std::hash<ipv4_address>{}(ipv4_address{0x0a000001u}));
}

BOOST_AUTO_TEST_CASE(parses_a_prefix_and_derives_mask_network_and_broadcast) {
    const auto prefix = ipv4_prefix::parse("198.18.0.1/24");
    BOOST_TEST_REQUIRE(prefix.has_value());
    BOOST_TEST(prefix->address.value == 0xc6120001u);  // the host bits stay
    BOOST_TEST(prefix->length == 24u);
    BOOST_TEST(prefix->mask() == 0xffffff00u);
    BOOST_TEST(prefix->network().value == 0xc6120000u);
    BOOST_TEST(prefix->broadcast().value == 0xc61200ffu);
    BOOST_TEST(prefix->contains(ipv4_address::from_octets(198, 18, 0, 200)));
    BOOST_TEST(!prefix->contains(ipv4_address::from_octets(198, 18, 1, 1)));
    BOOST_TEST(prefix->to_string() == "198.18.0.1/24");

    const auto odd = ipv4_prefix::parse("198.18.0.5/30");
    BOOST_TEST_REQUIRE(odd.has_value());
    BOOST_TEST(odd->network().value == 0xc6120004u);
    BOOST_TEST(odd->broadcast().value == 0xc6120007u);
}

BOOST_AUTO_TEST_CASE(handles_prefix_lengths_zero_and_thirty_two) {
    const auto everything = ipv4_prefix::parse("198.18.0.1/0");
    BOOST_TEST_REQUIRE(everything.has_value());
    BOOST_TEST(everything->mask() == 0u);
    BOOST_TEST(everything->network().value == 0u);
    BOOST_TEST(everything->broadcast().value == 0xffffffffu);
    BOOST_TEST(everything->contains(ipv4_address{0xffffffffu}));
    BOOST_TEST(everything->contains(ipv4_address{0}));

    const auto host = ipv4_prefix::parse("198.18.0.1/32");
    BOOST_TEST_REQUIRE(host.has_value());
    BOOST_TEST(host->mask() == 0xffffffffu);
    BOOST_TEST(host->network().value == 0xc6120001u);
    BOOST_TEST(host->broadcast().value == 0xc6120001u);
    BOOST_TEST(host->contains(ipv4_address{0xc6120001u}));
    BOOST_TEST(!host->contains(ipv4_address{0xc6120002u}));

    for (unsigned length = 0; length <= 32; ++length) {
        const ipv4_prefix p{ipv4_address{0xffffffffu}, length};
        std::uint32_t expected = 0;
        for (unsigned bit = 0; bit < length; ++bit) expected |= 0x80000000u >> bit;
        BOOST_TEST_REQUIRE(p.mask() == expected, "length " << length);
    }
}

BOOST_AUTO_TEST_CASE(rejects_malformed_prefixes) {
    const std::string_view bad[] = {
        "198.18.0.1",    "198.18.0.1/",   "198.18.0.1/33", "198.18.0.1/024", "198.18.0.1/-1",
        "198.18.0.1/ 8", "198.18.0.1/8 ", "/24",           "198.18.0/24",    "198.18.0.1/24/8",
        "198.18.0.1/1x", "198.18.0.1/100",
    };
    for (std::string_view text : bad) BOOST_TEST(!ipv4_prefix::parse(text).has_value(), "\"" << text << "\"");
}

BOOST_AUTO_TEST_CASE(parses_ethernet_addresses_in_either_case) {
    const auto lower = ethernet_address::parse("02:00:00:00:00:01");
    BOOST_TEST_REQUIRE(lower.has_value());
    BOOST_TEST((lower->bytes == std::array<std::uint8_t, 6>{0x02, 0, 0, 0, 0, 0x01}));
    BOOST_TEST(lower->to_string() == "02:00:00:00:00:01");

    const auto upper = ethernet_address::parse("AA:bb:Cc:0F:f0:9e");
    BOOST_TEST_REQUIRE(upper.has_value());
    BOOST_TEST((upper->bytes == std::array<std::uint8_t, 6>{0xaa, 0xbb, 0xcc, 0x0f, 0xf0, 0x9e}));
    BOOST_TEST(upper->to_string() == "aa:bb:cc:0f:f0:9e");
}

BOOST_AUTO_TEST_CASE(rejects_malformed_ethernet_addresses) {
    const std::string_view bad[] = {
        "",
        "02:00:00:00:00",
        "02:00:00:00:00:01:02",
        "2:0:0:0:0:1",
        "02-00-00-00-00-01",
        "0200.0000.0001",
        "02:00:00:00:00:0g",
        "02:00:00:00:00:1",
        "02:00:00:00:00:001",
        " 02:00:00:00:00:01",
        "02:00:00:00:00:01 ",
        "02::00:00:00:00:01",
        "020:00:00:00:00:1",
    };
    for (std::string_view text : bad) BOOST_TEST(!ethernet_address::parse(text).has_value(), "\"" << text << "\"");
}

BOOST_AUTO_TEST_CASE(tells_ethernet_broadcast_and_multicast_from_unicast) {
    BOOST_TEST(is_broadcast(ethernet_broadcast));
    BOOST_TEST(is_multicast(ethernet_broadcast));  // broadcast is a group address too
    const ethernet_address ipv4_multicast{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}};  // RFC 1112 6.4
    BOOST_TEST(is_multicast(ipv4_multicast));
    BOOST_TEST(!is_broadcast(ipv4_multicast));
    const ethernet_address unicast{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
    BOOST_TEST(!is_multicast(unicast));
    BOOST_TEST(!is_broadcast(unicast));
    const ethernet_address almost{{0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}};
    BOOST_TEST(!is_broadcast(almost));
}

BOOST_AUTO_TEST_SUITE_END()
