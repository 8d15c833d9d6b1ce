// The keyed hash and RFC 6528 ISNs: SipHash-2-4 matches the paper's test vector and reacts to
// every key and message byte; an ISN for one tuple advances by one every 4 microseconds, and
// differs between tuples and between keys by the hash, not by the time.
#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "sluice/core/clock.hh"
#include "sluice/net/tcp/four_tuple.hh"
#include "sluice/net/tcp/isn.hh"
#include "sluice/net/tcp/keyed_hash.hh"
#include "sluice/net/tcp/seq.hh"

using sluice::clock;
using sluice::net::tcp::four_tuple;
using sluice::net::tcp::hash_input;
using sluice::net::tcp::hash_key;
using sluice::net::tcp::isn_generator;
using sluice::net::tcp::keyed_hash;
using sluice::net::tcp::seq;
using sluice::net::wire::ipv4_address;
using namespace std::chrono_literals;

namespace {

// The SipHash paper's key: bytes 00 01 .. 0f.
constexpr hash_key paper_key{0x0706050403020100u, 0x0f0e0d0c0b0a0908u};

// Bytes 00 01 .. count-1, the paper's messages.
std::array<std::byte, 64> counting_bytes() {
    std::array<std::byte, 64> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = std::byte(i);
    return bytes;
}

clock::time_point at(std::chrono::nanoseconds since_zero) { return clock::time_point(since_zero); }

const four_tuple client{ipv4_address::from_octets(198, 18, 0, 1), 80, ipv4_address::from_octets(198, 18, 0, 2), 40000};

}  // namespace

BOOST_AUTO_TEST_SUITE(keyed_hash_tests)

BOOST_AUTO_TEST_CASE(matches_the_siphash_paper_test_vector) {
    // SipHash paper, appendix A: key 00..0f, the 15-byte message 00..0e.
    const auto bytes = counting_bytes();
    BOOST_CHECK_EQUAL(keyed_hash(paper_key, std::span(bytes).first(15)), 0xa129ca6149be45e5u);
    // The reference implementation's table (same key, messages 00..len-1): the empty message
    // (only the length word) and one whole word (a full word, then an empty last one).
    BOOST_CHECK_EQUAL(keyed_hash(paper_key, std::span(bytes).first(0)), 0x726fdb47dd0e0e31u);
    BOOST_CHECK_EQUAL(keyed_hash(paper_key, std::span(bytes).first(8)), 0x93f5f5799a932462u);
}

BOOST_AUTO_TEST_CASE(every_length_and_every_key_bit_changes_the_hash) {
    const auto bytes = counting_bytes();
    std::set<std::uint64_t> seen;
    // Lengths 0..64 cover empty, partial and whole last words; each must differ.
    for (std::size_t length = 0; length <= bytes.size(); ++length) seen.insert(keyed_hash(paper_key, std::span(bytes).first(length)));
    BOOST_CHECK_EQUAL(seen.size(), bytes.size() + 1);
    const auto message = std::span(bytes).first(15);
    const std::uint64_t reference = keyed_hash(paper_key, message);
    for (unsigned bit = 0; bit < 64; ++bit) {
        BOOST_CHECK_NE(keyed_hash({paper_key.k0 ^ (1ull << bit), paper_key.k1}, message), reference);
        BOOST_CHECK_NE(keyed_hash({paper_key.k0, paper_key.k1 ^ (1ull << bit)}, message), reference);
    }
}

BOOST_AUTO_TEST_CASE(random_keys_differ) {
    BOOST_CHECK(hash_key::random() != hash_key::random());
}

BOOST_AUTO_TEST_CASE(hash_input_lays_fields_out_big_endian) {
    const hash_input input = hash_input{}.add(client).add(0x0102u, 2);
    const std::array<std::uint8_t, 14> expected{198, 18, 0, 1, 0, 80, 198, 18, 0, 2, 0x9c, 0x40, 1, 2};
    BOOST_REQUIRE_EQUAL(input.bytes().size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) BOOST_CHECK_EQUAL(std::uint8_t(input.bytes()[i]), expected[i]);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(isn)

BOOST_AUTO_TEST_CASE(is_the_4_microsecond_timer_plus_the_tuple_hash) {
    const isn_generator generator(paper_key);
    const auto offset = std::uint32_t(keyed_hash(paper_key, hash_input{}.add(client).bytes()));
    BOOST_CHECK_EQUAL(generator.next(client, at(0s)).value, offset);
    BOOST_CHECK_EQUAL(generator.next(client, at(1s)).value, offset + 250'000u);
}

BOOST_AUTO_TEST_CASE(advances_by_one_every_4_microseconds_for_one_tuple) {
    const isn_generator generator(paper_key);
    const seq start = generator.next(client, at(10s));
    BOOST_CHECK_EQUAL(generator.next(client, at(10s + 3999ns)).value, start.value);
    BOOST_CHECK_EQUAL(generator.next(client, at(10s + 4us)).value, start.value + 1);
    BOOST_CHECK_EQUAL(generator.next(client, at(10s + 1ms)).value, start.value + 250);
    BOOST_CHECK(generator.next(client, at(10s + 1ms)) > start);
}

BOOST_AUTO_TEST_CASE(wraps_modulo_2_to_the_32_after_about_4_hours_46_minutes) {
    const isn_generator generator(paper_key);
    const seq start = generator.next(client, at(1s));
    // 2^32 ticks of 4 us later the number comes round to where it was.
    BOOST_CHECK_EQUAL(generator.next(client, at(1s + 4us * (std::int64_t(1) << 32))).value, start.value);
}

BOOST_AUTO_TEST_CASE(differs_between_tuples_at_the_same_time) {
    const isn_generator generator(paper_key);
    four_tuple other_port = client;
    other_port.remote_port = 40001;
    four_tuple other_address = client;
    other_address.remote = ipv4_address::from_octets(198, 18, 0, 3);
    four_tuple swapped{client.remote, client.remote_port, client.local, client.local_port};
    const seq reference = generator.next(client, at(5s));
    BOOST_CHECK_NE(generator.next(other_port, at(5s)).value, reference.value);
    BOOST_CHECK_NE(generator.next(other_address, at(5s)).value, reference.value);
    BOOST_CHECK_NE(generator.next(swapped, at(5s)).value, reference.value);
    // Neighbouring ports are not neighbouring numbers: the offset is not a simple function.
    BOOST_CHECK_GT(std::uint32_t(std::abs(generator.next(other_port, at(5s)) - reference)), 1000u);
}

BOOST_AUTO_TEST_CASE(differs_between_keys_for_the_same_tuple_and_time) {
    const isn_generator first(paper_key);
    const isn_generator second(hash_key{paper_key.k0, paper_key.k1 + 1});
    BOOST_CHECK_NE(first.next(client, at(5s)).value, second.next(client, at(5s)).value);
    const isn_generator drawn_a;
    const isn_generator drawn_b;
    BOOST_CHECK_NE(drawn_a.next(client, at(5s)).value, drawn_b.next(client, at(5s)).value);
}

BOOST_AUTO_TEST_SUITE_END()
