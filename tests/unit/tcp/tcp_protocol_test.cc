// tcp_protocol's input checks on hostile and malformed segments: each refusal is counted
// by its drop reason and nothing is created or sent — truncated headers, data offsets
// below 5 words or past the segment, bad checksums, option lengths that overrun, SYN with
// FIN or RST, no control bit at all, a "land" segment, broadcast addresses; a XMAS
// segment to a listener is dropped as RFC 9293 3.10.7.2 says; an ICMP error about no
// connection is counted; a good SYN is answered.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "sluice/core/source_location.hh"
#include "sluice/net/ipv4_output.hh"
#include "sluice/net/tcp/tcp_protocol.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/icmp.hh"
#include "tests/unit/tcp/tcp_test_support.hh"

using namespace sluice::net::tcp::testing;
using sluice::clock;
namespace net = sluice::net;
namespace wire = sluice::net::wire;

namespace {

const wire::ipv4_address ours{0xc6120001u};    // 198.18.0.1
const wire::ipv4_address theirs{0xc6130001u};  // 198.19.0.1

struct recording_output final : net::ipv4_output {
    std::vector<net::packet> sent;
    net::send_status send(wire::ipv4_address, std::uint8_t, net::packet&& segment, net::l4_checksum_offload,
                          clock::time_point) override {
        sent.push_back(std::move(segment));
        return net::send_status::sent;
    }
    net::send_status send_with(const net::datagram_options&, wire::ipv4_address, std::uint8_t, net::packet&&,
                               clock::time_point) override {
        return net::send_status::sent;
    }
    wire::ipv4_address source_address() const noexcept override { return ours; }
    std::size_t max_unfragmented_payload() const noexcept override { return 1480; }
    net::offload_flags offloads() const noexcept override { return {}; }
};

struct protocol_fixture {
    test_pool pool{255};
    recording_output output;
    wire::drop_counters dropped;
    net::tcp::tcp_protocol tcp{output, dropped};
    clock::time_point now = clock::time_point(std::chrono::seconds(100));

    protocol_fixture() { BOOST_REQUIRE(tcp.table().listen(80, 8, tcp.options_for_interface()) != nullptr); }

    // A segment to our port 80: header fields, raw option bytes, payload size; the
    // checksum right unless `break_checksum`.
    static std::vector<std::byte> segment_bytes(std::uint8_t flags, std::vector<std::byte> options = {},
                                                std::size_t payload = 0, std::uint16_t source_port = 40000) {
        while (options.size() % 4 != 0) options.push_back(std::byte{wire::tcp_option_end});
        std::vector<std::byte> bytes(20 + options.size() + payload, std::byte{0x61});
        wire::tcp_header header;
        header.source_port = source_port;
        header.destination_port = 80;
        header.sequence = 1000;
        header.data_offset_words = std::uint8_t((20 + options.size()) / 4);
        header.flags = flags;
        header.window = 65535;
        header.emit(bytes);
        std::copy(options.begin(), options.end(), bytes.begin() + 20);
        return bytes;
    }
    static void fill_checksum(std::vector<std::byte>& bytes, wire::ipv4_address source = theirs,
                              wire::ipv4_address destination = ours) {
        wire::store_be16(bytes, 16, 0);
        const std::span<const std::byte> whole(bytes);
        const std::span<const std::byte> pieces[] = {whole};
        wire::store_be16(bytes, 16, wire::tcp_checksum(source, destination, pieces));
    }
    void deliver(std::vector<std::byte> bytes, bool checksum = true, wire::ipv4_address source = theirs,
                 wire::ipv4_address destination = ours) {
        if (checksum) fill_checksum(bytes, source, destination);
        auto made = net::packet::copy_of(bytes);
        BOOST_REQUIRE(made.ok());
        wire::ipv4_header ip;
        ip.source = source;
        ip.destination = destination;
        ip.protocol = wire::ip_protocol_tcp;
        ip.total_length = std::uint16_t(20 + bytes.size());
        tcp.receive(ip, std::move(*made), now);
    }
    void expect_dropped(wire::drop_reason reason, sluice::source_location where = sluice::source_location::current()) {
        BOOST_CHECK_MESSAGE(dropped[reason] == 1, "expected one " << wire::name(reason) << " (test line "
                                                                  << where.line() << "), got " << dropped[reason]);
        BOOST_CHECK_MESSAGE(dropped.total() == 1, "other drops too (test line " << where.line() << ")");
        BOOST_CHECK_MESSAGE(output.sent.empty(), "something was sent (test line " << where.line() << ")");
        BOOST_CHECK_EQUAL(tcp.table().size(), 0u);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tcp_input_checks, protocol_fixture)

BOOST_AUTO_TEST_CASE(a_good_syn_is_answered_with_syn_ack) {
    deliver(segment_bytes(wire::tcp_syn));
    BOOST_CHECK_EQUAL(output.sent.size(), 1u);
    BOOST_CHECK_EQUAL(dropped.total(), 0u);
    BOOST_CHECK_EQUAL(tcp.counters().segments_received, 1u);
}

BOOST_AUTO_TEST_CASE(a_segment_shorter_than_a_header_is_truncated) {
    auto bytes = segment_bytes(wire::tcp_syn);
    bytes.resize(19);
    deliver(bytes, false);
    expect_dropped(wire::drop_reason::tcp_truncated);
}

BOOST_AUTO_TEST_CASE(a_data_offset_below_five_words_is_refused) {
    auto bytes = segment_bytes(wire::tcp_syn);
    bytes[12] = std::byte{4 << 4};
    deliver(bytes);
    expect_dropped(wire::drop_reason::tcp_bad_data_offset);
}

BOOST_AUTO_TEST_CASE(a_data_offset_past_the_segment_is_truncated) {
    auto bytes = segment_bytes(wire::tcp_syn);
    bytes[12] = std::byte{15 << 4};  // 60 bytes of header in a 20-byte segment
    deliver(bytes);
    expect_dropped(wire::drop_reason::tcp_truncated);
}

BOOST_AUTO_TEST_CASE(a_bad_checksum_is_refused) {
    auto bytes = segment_bytes(wire::tcp_syn);
    fill_checksum(bytes);
    bytes[16] ^= std::byte{0x01};
    deliver(bytes, false);
    expect_dropped(wire::drop_reason::tcp_bad_checksum);
}

BOOST_AUTO_TEST_CASE(an_option_whose_length_overruns_the_header_is_refused) {
    // MSS with length 40: past the 4 option bytes the header has.
    deliver(segment_bytes(wire::tcp_syn, {std::byte{2}, std::byte{40}, std::byte{5}, std::byte{0xb4}}));
    expect_dropped(wire::drop_reason::tcp_bad_option);
}

BOOST_AUTO_TEST_CASE(an_option_of_length_zero_is_refused) {
    deliver(segment_bytes(wire::tcp_syn, {std::byte{99}, std::byte{0}, std::byte{1}, std::byte{1}}));
    expect_dropped(wire::drop_reason::tcp_bad_option);
}

BOOST_AUTO_TEST_CASE(syn_with_fin_is_dropped_as_bad_flags) {
    deliver(segment_bytes(wire::tcp_syn | wire::tcp_fin));
    expect_dropped(wire::drop_reason::tcp_bad_flags);
}

BOOST_AUTO_TEST_CASE(syn_with_rst_is_dropped_as_bad_flags) {
    deliver(segment_bytes(wire::tcp_syn | wire::tcp_rst));
    expect_dropped(wire::drop_reason::tcp_bad_flags);
}

BOOST_AUTO_TEST_CASE(a_null_segment_with_no_control_bit_is_dropped) {
    deliver(segment_bytes(0));
    expect_dropped(wire::drop_reason::tcp_bad_flags);
}

BOOST_AUTO_TEST_CASE(a_xmas_segment_to_a_listener_is_dropped_without_an_answer) {
    deliver(segment_bytes(wire::tcp_fin | wire::tcp_psh | wire::tcp_urg));
    // RFC 9293 3.10.7.2: neither RST, ACK nor SYN in LISTEN: dropped, nothing kept.
    BOOST_CHECK(output.sent.empty());
    BOOST_CHECK_EQUAL(tcp.table().size(), 0u);
}

BOOST_AUTO_TEST_CASE(a_land_segment_from_our_own_address_and_port_is_dropped) {
    deliver(segment_bytes(wire::tcp_syn, {}, 0, 80), true, ours, ours);
    expect_dropped(wire::drop_reason::tcp_land);
}

BOOST_AUTO_TEST_CASE(a_segment_from_a_broadcast_address_is_dropped) {
    deliver(segment_bytes(wire::tcp_syn), true, wire::ipv4_address{0xffffffffu}, ours);
    expect_dropped(wire::drop_reason::tcp_not_unicast);
}

BOOST_AUTO_TEST_CASE(an_icmp_error_about_no_connection_is_counted) {
    std::vector<std::byte> quoted(8);
    wire::store_be16(quoted, 0, 80);
    wire::store_be16(quoted, 2, 40000);
    net::icmp_error error;
    error.type = wire::icmp_type_destination_unreachable;
    error.code = wire::icmp_code_fragmentation_needed;
    error.rest = 576;
    error.quoted_header.source = ours;
    error.quoted_header.destination = theirs;
    error.quoted_payload = quoted;
    tcp.receive_icmp_error(error, now);
    BOOST_CHECK_EQUAL(dropped[wire::drop_reason::icmp_error_unmatched], 1u);
    BOOST_CHECK_EQUAL(tcp.counters().icmp_unmatched, 1u);
}

BOOST_AUTO_TEST_SUITE_END()
