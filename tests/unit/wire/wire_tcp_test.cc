// TCP's header and options (RFC 9293 3.1 and 3.2, RFC 7323, RFC 2018): a SYN as Linux
// sends it parses to its fields and options; headers and option sets emit back to what
// parses; unknown kinds are skipped by length; a zero or overlong option length stops the
// parse without reading past the bytes; every refusal has its drop reason; the checksum
// over the pseudo header matches an independent RFC 1071 sum, in pieces too, catches a
// flipped bit, and is what a NIC completes from the offload seed.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/tcp.hh"
#include "tests/unit/wire/wire_frames.hh"

using namespace sluice::net::wire;
using wire_frames::reference_checksum;

namespace {

const ipv4_address client = ipv4_address::from_octets(198, 18, 0, 2);
const ipv4_address server = ipv4_address::from_octets(198, 18, 0, 1);

// A SYN from 198.18.0.2:40000 to :80, laid out as Linux 6 sends one: MSS 1460,
// SACK-permitted, timestamps, NOP, window scale 7 (40 bytes of header).
constexpr std::array<std::uint8_t, 40> linux_syn{
    0x9c, 0x40, 0x00, 0x50,                          // ports 40000 -> 80
    0x12, 0x34, 0x56, 0x78,                          // sequence
    0x00, 0x00, 0x00, 0x00,                          // acknowledgment
    0xa0, 0x02, 0xfa, 0xf0,                          // data offset 10, SYN, window 64240
    0x00, 0x00, 0x00, 0x00,                          // checksum (set by the test), urgent
    0x02, 0x04, 0x05, 0xb4,                          // MSS 1460
    0x04, 0x02,                                      // SACK-permitted
    0x08, 0x0a, 0x00, 0x01, 0xe2, 0x40, 0x00, 0x00, 0x00, 0x00,  // TSval 123456, TSecr 0
    0x01,                                            // NOP
    0x03, 0x03, 0x07,                                // window scale 7
};

std::vector<std::byte> bytes(std::initializer_list<std::uint8_t> values) {
    std::vector<std::byte> out;
    for (std::uint8_t v : values) out.push_back(std::byte{v});
    return out;
}

// The pseudo header (RFC 9293 3.1) then the segment, summed by the reference.
std::uint16_t reference_tcp_checksum(ipv4_address source, ipv4_address destination,
                                     std::span<const std::byte> segment) {
    std::vector<std::byte> all;
    for (std::uint32_t address : {source.value, destination.value}) {
        for (int shift = 24; shift >= 0; shift -= 8) all.push_back(std::byte(address >> shift));
    }
    all.push_back(std::byte{0});
    all.push_back(std::byte{ip_protocol_tcp});
    all.push_back(std::byte(segment.size() >> 8));
    all.push_back(std::byte(segment.size()));
    all.insert(all.end(), segment.begin(), segment.end());
    return reference_checksum(all);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_tcp)

BOOST_AUTO_TEST_CASE(parses_a_linux_syn_and_its_options) {
    const auto segment = wire_frames::bytes_of(linux_syn);
    const auto header = tcp_header::parse(segment);
    BOOST_REQUIRE(header);
    BOOST_CHECK_EQUAL(header->source_port, 40000);
    BOOST_CHECK_EQUAL(header->destination_port, 80);
    BOOST_CHECK_EQUAL(header->sequence, 0x12345678u);
    BOOST_CHECK_EQUAL(header->header_length(), 40u);
    BOOST_CHECK(header->has(tcp_syn));
    BOOST_CHECK(!header->has(tcp_ack));
    BOOST_CHECK_EQUAL(header->window, 64240);
    const tcp_options options = tcp_options::parse(segment.subspan(20, header->header_length() - 20));
    BOOST_CHECK(!options.malformed);
    BOOST_CHECK_EQUAL(options.mss.value_or(0), 1460);
    BOOST_CHECK(options.sack_permitted);
    BOOST_REQUIRE(options.timestamps);
    BOOST_CHECK_EQUAL(options.timestamps->value, 123456u);
    BOOST_CHECK_EQUAL(options.timestamps->echo_reply, 0u);
    BOOST_CHECK_EQUAL(options.window_scale.value_or(0), 7);
    BOOST_CHECK_EQUAL(options.sack_count, 0);
}

BOOST_AUTO_TEST_CASE(syn_options_emit_in_linux_layout_and_parse_back) {
    tcp_options options;
    options.mss = 1460;
    options.sack_permitted = true;
    options.timestamps = tcp_timestamps{123456, 0};
    options.window_scale = 7;
    std::array<std::byte, tcp_options::max_length> out{};
    const std::size_t used = options.emit(out);
    BOOST_REQUIRE_EQUAL(used, 20u);
    const auto expected = wire_frames::bytes_of(linux_syn).subspan(20);
    BOOST_CHECK(std::equal(out.begin(), out.begin() + used, expected.begin(), expected.end()));
    BOOST_CHECK(tcp_options::parse(std::span(out).first(used)) == options);
}

BOOST_AUTO_TEST_CASE(sack_blocks_emit_and_parse_back_beside_timestamps) {
    tcp_options options;
    options.timestamps = tcp_timestamps{7, 9};
    options.sack = {{{1000, 2000}, {3000, 4000}, {5000, 6000}}};
    options.sack_count = 3;
    std::array<std::byte, tcp_options::max_length> out{};
    const std::size_t used = options.emit(out);
    BOOST_CHECK_EQUAL(used, 40u);  // 12 for timestamps, 28 for three blocks: the whole room
    const tcp_options parsed = tcp_options::parse(std::span(out).first(used));
    BOOST_CHECK(parsed == options);
    BOOST_CHECK_EQUAL(parsed.sack_blocks().size(), 3u);
    BOOST_CHECK(parsed.sack_blocks()[2] == (tcp_sack_block{5000, 6000}));
}

BOOST_AUTO_TEST_CASE(an_unknown_kind_is_skipped_by_its_length) {
    // Kind 30 (MPTCP) of 6 bytes, then MSS 536, then EOL and padding that must be ignored.
    const auto options = tcp_options::parse(bytes({30, 6, 1, 2, 3, 4, 2, 4, 0x02, 0x18, 0, 2, 4, 9}));
    BOOST_CHECK(!options.malformed);
    BOOST_CHECK_EQUAL(options.mss.value_or(0), 536);
}

BOOST_AUTO_TEST_CASE(a_known_kind_with_the_wrong_length_is_skipped_not_believed) {
    const auto options = tcp_options::parse(bytes({2, 3, 5, 3, 4, 7, 0, 0}));  // MSS of 3, window scale of 4
    BOOST_CHECK(!options.malformed);
    BOOST_CHECK(!options.mss);
    BOOST_CHECK(!options.window_scale);
}

BOOST_AUTO_TEST_CASE(a_zero_or_one_length_stops_parsing_and_keeps_what_came_before) {
    for (std::uint8_t bad : {0, 1}) {
        const auto options = tcp_options::parse(bytes({2, 4, 0x05, 0xb4, 8, bad, 1, 1, 3, 3, 7, 1}));
        BOOST_CHECK(options.malformed);
        BOOST_CHECK_EQUAL(options.mss.value_or(0), 1460);
        BOOST_CHECK(!options.window_scale);  // after the bad option: never read
    }
}

BOOST_AUTO_TEST_CASE(a_length_past_the_header_stops_without_reading_past_it) {
    // Timestamps claiming 10 bytes with 6 left: the parse must stay within these 8 bytes.
    const std::vector<std::byte> options_bytes = bytes({1, 1, 8, 10, 0, 0, 0, 1});
    const auto options = tcp_options::parse(std::span(options_bytes));
    BOOST_CHECK(options.malformed);
    BOOST_CHECK(!options.timestamps);
    const auto lone_kind = tcp_options::parse(bytes({1, 1, 1, 2}));  // a kind with no length byte
    BOOST_CHECK(lone_kind.malformed);
}

BOOST_AUTO_TEST_CASE(more_than_four_sack_blocks_keep_the_first_four) {
    std::vector<std::uint8_t> raw{5, 2 + 5 * 8};
    for (std::uint32_t b = 0; b < 5; ++b) {
        for (std::uint32_t edge : {b * 100, b * 100 + 50}) {
            for (int shift = 24; shift >= 0; shift -= 8) raw.push_back(std::uint8_t(edge >> shift));
        }
    }
    const auto options = tcp_options::parse(std::as_bytes(std::span(raw)));
    BOOST_CHECK(!options.malformed);
    BOOST_CHECK_EQUAL(options.sack_count, 4);
    BOOST_CHECK(options.sack_blocks()[3] == (tcp_sack_block{300, 350}));
}

BOOST_AUTO_TEST_CASE(header_emits_back_to_what_parses) {
    tcp_header header;
    header.source_port = 80;
    header.destination_port = 40000;
    header.sequence = 0xfffffff0u;
    header.acknowledgment = 0x12345679u;
    header.data_offset_words = 5;
    header.flags = tcp_syn | tcp_ack | tcp_ece;
    header.window = 65535;
    header.checksum = 0xbeef;
    header.urgent_pointer = 0;
    std::array<std::byte, tcp_header::min_length> out{};
    header.emit(out);
    const auto parsed = tcp_header::parse(out);
    BOOST_REQUIRE(parsed);
    BOOST_CHECK(*parsed == header);
}

BOOST_AUTO_TEST_CASE(every_refusal_has_its_drop_reason) {
    std::vector<std::byte> segment(wire_frames::bytes_of(linux_syn).begin(), wire_frames::bytes_of(linux_syn).end());
    BOOST_CHECK(tcp_header::parse(std::span(segment).first(19)).error() == drop_reason::tcp_truncated);
    BOOST_CHECK(tcp_header::parse(segment, 19).error() == drop_reason::tcp_truncated);
    // A 40-byte header in a 30-byte segment, or seen through a 30-byte window.
    BOOST_CHECK(tcp_header::parse(segment, 30).error() == drop_reason::tcp_truncated);
    BOOST_CHECK(tcp_header::parse(std::span(segment).first(30), 40).error() == drop_reason::tcp_truncated);
    segment[12] = std::byte{0x40};  // data offset 4 words
    BOOST_CHECK(tcp_header::parse(segment).error() == drop_reason::tcp_bad_data_offset);
    BOOST_CHECK_EQUAL(name(drop_reason::tcp_bad_option), "tcp_bad_option");
}

BOOST_AUTO_TEST_CASE(a_quoted_header_gives_ports_and_sequence_from_eight_bytes) {
    const auto quoted = tcp_header::parse_quoted(wire_frames::bytes_of(linux_syn).first(8));
    BOOST_REQUIRE(quoted);
    BOOST_CHECK_EQUAL(quoted->source_port, 40000);
    BOOST_CHECK_EQUAL(quoted->sequence, 0x12345678u);
    BOOST_CHECK(tcp_header::parse_quoted(wire_frames::bytes_of(linux_syn).first(7)).error() ==
                drop_reason::tcp_truncated);
}

BOOST_AUTO_TEST_CASE(checksum_matches_an_independent_sum_whole_and_in_pieces_and_catches_a_flip) {
    std::vector<std::byte> segment(wire_frames::bytes_of(linux_syn).begin(), wire_frames::bytes_of(linux_syn).end());
    for (std::uint8_t b : {'h', 'e', 'l', 'l', 'o'}) segment.push_back(std::byte{b});  // odd-length data
    const std::span<const std::byte> whole[] = {segment};
    const std::uint16_t sum = tcp_checksum(client, server, whole);
    BOOST_CHECK_EQUAL(sum, reference_tcp_checksum(client, server, segment));
    const std::span<const std::byte> all(segment);
    const std::span<const std::byte> pieces[] = {all.first(21), all.subspan(21, 10), all.subspan(31)};
    BOOST_CHECK_EQUAL(tcp_checksum(client, server, pieces), sum);

    segment[tcp_header::checksum_offset] = std::byte(sum >> 8);
    segment[tcp_header::checksum_offset + 1] = std::byte(sum & 0xff);
    BOOST_CHECK(tcp_checksum_valid(client, server, whole));
    BOOST_CHECK(!tcp_checksum_valid(client, ipv4_address::from_octets(198, 18, 0, 3), whole));  // another destination
    segment[42] ^= std::byte{0x10};
    BOOST_CHECK(!tcp_checksum_valid(client, server, whole));
}

// With the device's TCP checksum offload, the field holds the pseudo-header sum (DPDK's
// rule) and the NIC sums the segment over it: what it stores must be the software checksum.
BOOST_AUTO_TEST_CASE(offload_seed_completed_as_a_nic_does_gives_the_software_checksum) {
    std::vector<std::byte> segment(wire_frames::bytes_of(linux_syn).begin(), wire_frames::bytes_of(linux_syn).end());
    for (std::uint8_t b : {1, 2, 3}) segment.push_back(std::byte{b});
    const std::span<const std::byte> whole[] = {segment};
    const std::uint16_t software = tcp_checksum(client, server, whole);
    const std::uint16_t seed =
        l4_offload_seed(client, server, ip_protocol_tcp, static_cast<std::uint16_t>(segment.size()));
    segment[tcp_header::checksum_offset] = std::byte(seed >> 8);
    segment[tcp_header::checksum_offset + 1] = std::byte(seed & 0xff);
    BOOST_CHECK_EQUAL(reference_checksum(segment), software);  // the NIC: the segment's bytes alone
}

BOOST_AUTO_TEST_SUITE_END()
