// Byte order and the Internet checksum: big-endian loads and stores at any offset; the sum
// gives RFC 1071's worked example, equals a slow reference for any message split into any
// pieces (odd ones in the middle included), treats add16/add32 as their bytes, sums the
// pseudo header as if prepended, and verifies a message with its checksum to zero.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "tests/unit/wire/wire_frames.hh"

using sluice::net::wire::internet_checksum;
using sluice::net::wire::ipv4_address;
using sluice::net::wire::load_be16;
using sluice::net::wire::load_be32;
using sluice::net::wire::store_be16;
using sluice::net::wire::store_be32;
using wire_frames::reference_checksum;

namespace {

std::vector<std::byte> random_bytes(std::mt19937& random, std::size_t length) {
    std::vector<std::byte> bytes(length);
    for (auto& b : bytes) b = std::byte(random() & 0xff);
    return bytes;
}

std::uint16_t checksum_in_pieces(std::span<const std::byte> message, std::span<const std::size_t> cuts) {
    internet_checksum sum;
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
        sum.add(message.subspan(from, cut - from));
        from = cut;
    }
    sum.add(message.subspan(from));
    return sum.finish();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_byte_order)

BOOST_AUTO_TEST_CASE(loads_most_significant_byte_first_at_any_offset) {
    const std::array<std::uint8_t, 7> raw{0xaa, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
    const auto bytes = std::as_bytes(std::span(raw));
    BOOST_TEST(load_be16(bytes, 1) == 0x1234);
    BOOST_TEST(load_be16(bytes, 2) == 0x3456);  // an odd address: memcpy, no unaligned access
    BOOST_TEST(load_be32(bytes, 1) == 0x12345678u);
    BOOST_TEST(load_be32(bytes, 3) == 0x56789abcu);
}

BOOST_AUTO_TEST_CASE(stores_most_significant_byte_first_and_touches_nothing_else) {
    std::array<std::byte, 8> bytes{};
    store_be16(bytes, 1, 0xbeef);
    store_be32(bytes, 3, 0x01020304u);
    const std::array<std::uint8_t, 8> expected{0x00, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x00};
    for (std::size_t i = 0; i < bytes.size(); ++i) BOOST_TEST(std::to_integer<unsigned>(bytes[i]) == expected[i]);
    BOOST_TEST(load_be16(bytes, 1) == 0xbeef);
    BOOST_TEST(load_be32(bytes, 3) == 0x01020304u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(wire_checksum)

// RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is its
// complement, 220d.
BOOST_AUTO_TEST_CASE(gives_rfc1071_worked_example) {
    const std::array<std::uint8_t, 8> raw{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    const auto bytes = std::as_bytes(std::span(raw));
    BOOST_TEST(internet_checksum::of(bytes) == 0x220d);
    BOOST_TEST(reference_checksum(bytes) == 0x220d);

    // The same sum from words, and from bytes fed one at a time.
    internet_checksum words;
    words.add16(0x0001);
    words.add16(0xf203);
    words.add32(0xf4f5f6f7u);
    BOOST_TEST(words.finish() == 0x220d);
    internet_checksum single;
    for (std::size_t i = 0; i < bytes.size(); ++i) single.add(bytes.subspan(i, 1));
    BOOST_TEST(single.finish() == 0x220d);
}

BOOST_AUTO_TEST_CASE(empty_and_all_zero_messages_give_ffff) {
    BOOST_TEST(internet_checksum{}.finish() == 0xffff);
    const std::array<std::byte, 9> zeros{};
    BOOST_TEST(internet_checksum::of(zeros) == 0xffff);
}

BOOST_AUTO_TEST_CASE(pads_an_odd_message_with_a_zero_byte) {
    const std::array<std::uint8_t, 3> odd{0x12, 0x34, 0x56};
    const std::array<std::uint8_t, 4> padded{0x12, 0x34, 0x56, 0x00};
    BOOST_TEST(internet_checksum::of(std::as_bytes(std::span(odd))) ==
               internet_checksum::of(std::as_bytes(std::span(padded))));
    BOOST_TEST(internet_checksum::of(std::as_bytes(std::span(odd))) == static_cast<std::uint16_t>(~(0x1234 + 0x5600)));
}

// After an odd span the next byte is the low half of the word the span began: 12 | 34 56
// is the words 1234 5600, not 1200 3456.
BOOST_AUTO_TEST_CASE(pairs_the_byte_after_an_odd_span_with_the_last_byte_of_that_span) {
    const std::array<std::uint8_t, 1> first{0x12};
    const std::array<std::uint8_t, 2> second{0x34, 0x56};
    internet_checksum sum;
    sum.add(std::as_bytes(std::span(first)));
    sum.add(std::as_bytes(std::span(second)));
    BOOST_TEST(sum.finish() == static_cast<std::uint16_t>(~(0x1234 + 0x5600)));

    // Empty spans in between change nothing.
    internet_checksum with_empty;
    with_empty.add(std::as_bytes(std::span(first)));
    with_empty.add({});
    with_empty.add(std::as_bytes(std::span(second)));
    with_empty.add({});
    BOOST_TEST(with_empty.finish() == sum.finish());
}

BOOST_AUTO_TEST_CASE(equals_reference_for_every_length_and_every_split_in_two) {
    std::mt19937 random(1071);
    for (std::size_t length = 0; length <= 70; ++length) {
        const auto message = random_bytes(random, length);
        const std::uint16_t expected = reference_checksum(message);
        BOOST_TEST_REQUIRE(internet_checksum::of(message) == expected, "length " << length);
        for (std::size_t cut = 0; cut <= length; ++cut) {
            const std::size_t cuts[] = {cut};
            BOOST_TEST_REQUIRE(checksum_in_pieces(message, cuts) == expected, "length " << length << " cut " << cut);
        }
    }
}

BOOST_AUTO_TEST_CASE(equals_reference_for_random_messages_in_random_pieces) {
    std::mt19937 random(791);
    for (int round = 0; round < 20000; ++round) {
        const auto message = random_bytes(random, random() % 200);
        std::vector<std::size_t> cuts(random() % 6);
        for (auto& cut : cuts) cut = message.empty() ? 0 : random() % (message.size() + 1);
        std::sort(cuts.begin(), cuts.end());
        BOOST_TEST_REQUIRE(checksum_in_pieces(message, cuts) == reference_checksum(message), "round " << round);
    }
}

// A jumbo-sized message of 0xff bytes drives the accumulator as high as data can.
BOOST_AUTO_TEST_CASE(equals_reference_on_a_long_message_of_ones) {
    const std::vector<std::byte> message(1 << 20 | 1, std::byte{0xff});
    BOOST_TEST(internet_checksum::of(message) == reference_checksum(message));
    internet_checksum twice;
    twice.add(message);
    twice.add(message);
    std::vector<std::byte> doubled(message);
    doubled.insert(doubled.end(), message.begin(), message.end());
    BOOST_TEST(twice.finish() == reference_checksum(doubled));
}

BOOST_AUTO_TEST_CASE(add16_and_add32_equal_their_big_endian_bytes_at_even_and_odd_positions) {
    std::mt19937 random(16);
    for (int round = 0; round < 1000; ++round) {
        const auto lead = random_bytes(random, random() % 4);  // 0..3 bytes: both parities
        const std::uint16_t half = static_cast<std::uint16_t>(random());
        const std::uint32_t word = static_cast<std::uint32_t>(random());
        internet_checksum by_value;
        by_value.add(lead);
        by_value.add16(half);
        by_value.add32(word);
        std::array<std::byte, 6> raw{};
        store_be16(raw, 0, half);
        store_be32(raw, 2, word);
        internet_checksum by_bytes;
        by_bytes.add(lead);
        by_bytes.add(raw);
        BOOST_TEST_REQUIRE(by_value.finish() == by_bytes.finish(), "round " << round);
    }
}

// The pseudo header's 12 bytes, written out, give the same sum wherever the helper is
// called: it counts as prepended.
BOOST_AUTO_TEST_CASE(sums_the_ipv4_pseudo_header_as_if_prepended) {
    const ipv4_address source = ipv4_address::from_octets(198, 18, 0, 1);
    const ipv4_address destination = ipv4_address::from_octets(198, 18, 0, 2);
    const std::array<std::uint8_t, 12> pseudo{0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x00, 17, 0x00, 0x0d};
    const std::array<std::uint8_t, 5> body{'h', 'e', 'l', 'l', 'o'};

    std::vector<std::byte> whole;
    for (auto b : pseudo) whole.push_back(std::byte{b});
    for (auto b : body) whole.push_back(std::byte{b});

    internet_checksum first;
    first.add_ipv4_pseudo_header(source, destination, 17, 13);
    first.add(std::as_bytes(std::span(body)));
    internet_checksum last;  // after an odd number of bytes
    last.add(std::as_bytes(std::span(body)));
    last.add_ipv4_pseudo_header(source, destination, 17, 13);
    BOOST_TEST(first.finish() == reference_checksum(whole));
    BOOST_TEST(last.finish() == reference_checksum(whole));
}

BOOST_AUTO_TEST_CASE(a_message_summed_with_its_checksum_gives_zero) {
    std::mt19937 random(3);
    for (int round = 0; round < 1000; ++round) {
        auto message = random_bytes(random, 4 + random() % 100);
        store_be16(message, 2, 0);
        store_be16(message, 2, internet_checksum::of(message));
        BOOST_TEST_REQUIRE(internet_checksum::of(message) == 0, "round " << round);
    }
    // The IPv4 header of the echo request, as received.
    const auto frame = wire_frames::bytes_of(wire_frames::echo_request);
    BOOST_TEST(internet_checksum::of(frame.subspan(wire_frames::echo_ipv4_offset, 20)) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
