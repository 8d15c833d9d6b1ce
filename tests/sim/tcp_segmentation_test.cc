// TCP segmentation offload (TSO) and the transmit checksum offloads, over the sim wire:
// host A's port sits behind sim::offload_device, which does what a NIC does with DPDK's
// offload requests, and the wire drops any frame above its 1500-byte MTU. What A's stack
// asks of the device must come out as the frames it would have sent itself.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/tcp.hh"
#include "tests/sim/tcp_support.hh"

using namespace sluice;
using namespace sluice::testing;
using namespace std::chrono_literals;

namespace {

sim::link_profile mtu_limited(double loss = 0) {
    sim::link_profile profile;
    profile.mtu = 1500;  // a frame the device failed to cut is dropped and counted
    profile.delay = 20us;
    profile.loss = loss;
    profile.rate_bps = 10'000'000'000ull;
    return profile;
}

std::uint64_t wire_counter(two_hosts& hosts, const char* name) {
    for (const auto& [key, value] : hosts.port_b->extended_stats()) {
        if (key == name) return value;
    }
    for (const auto& [key, value] : hosts.port_a->extended_stats()) {
        if (key == name) return value;
    }
    return 0;
}

// A transfer A to B with TSO on A; every byte once and in order, and nothing the device
// made was malformed, too long for the wire or badly summed.
void check_whole_transfer(two_hosts& hosts, tcp_pair& pair, std::uint64_t total) {
    const auto result = pair.transfer(total, 60s);
    BOOST_CHECK_EQUAL(result.received, total);
    BOOST_CHECK_EQUAL(result.mismatches, 0u);
    const sim::offload_device_counters device = hosts.offload_a->total();
    BOOST_CHECK_EQUAL(device.malformed, 0u);
    BOOST_CHECK_EQUAL(device.no_mbufs, 0u);
    BOOST_CHECK_EQUAL(wire_counter(hosts, "sim_dropped_mtu"), 0u);
    BOOST_CHECK_EQUAL(hosts.b->dropped()[net::wire::drop_reason::tcp_bad_checksum], 0u);
    BOOST_CHECK_EQUAL(hosts.b->dropped()[net::wire::drop_reason::ipv4_bad_checksum], 0u);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp_segmentation_offload)

BOOST_AUTO_TEST_CASE(connections_on_a_device_with_tso_may_send_sixty_four_kibibytes_a_segment) {
    two_hosts hosts(mtu_limited(), 1, {}, sim::offload_device_config{});
    const auto options = hosts.a->tcp_layer().options_for_interface();
    BOOST_CHECK_EQUAL(options.segmentation_bytes, 65535u - 20 - 60);
    two_hosts plain(mtu_limited());
    BOOST_CHECK_EQUAL(plain.a->tcp_layer().options_for_interface().segmentation_bytes, 0u);
}

BOOST_AUTO_TEST_CASE(a_tso_segment_leaves_as_mss_frames_with_psh_on_the_last_and_valid_checksums) {
    two_hosts hosts(mtu_limited(), 1, {}, sim::offload_device_config{});
    tcp_pair pair(hosts);
    BOOST_REQUIRE(pair.open());
    const std::uint32_t mss = pair.client->conn.send_mss();
    // Three MSS fit the initial window (RFC 5681 3.1); they go as one segment.
    std::vector<std::byte> data(3 * mss);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = transfer_byte(i);
    hosts.wire->advance_to(hosts.wire->now() + 10ms);  // the handshake's last ACK is long gone
    (void)frames_at(*hosts.port_b);
    auto written = pair.client->conn.write(data, hosts.now());
    BOOST_REQUIRE(written.ok());
    BOOST_REQUIRE_EQUAL(*written, data.size());
    pair.table_a().updated(*pair.client, hosts.now());
    (void)net::transmit_burst(*hosts.a, *hosts.device_a, 0);
    hosts.wire->advance_to(hosts.wire->now() + 1ms);
    const auto frames = frames_at(*hosts.port_b);

    BOOST_CHECK_EQUAL(hosts.a->tcp_layer().counters().segmentation_offloaded, 1u);
    BOOST_CHECK_EQUAL(hosts.offload_a->total().segments_made, 3u);
    BOOST_REQUIRE_EQUAL(frames.size(), 3u);
    namespace wire = net::wire;
    std::uint32_t first_sequence = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const std::span<const std::byte> frame(frames[i]);
        BOOST_TEST_CONTEXT("frame " << i) {
            BOOST_CHECK_LE(frame.size(), 14u + 1500u);
            const auto ip = frame.subspan(14, 20);
            const auto tcp = frame.subspan(34);
            const std::size_t header = std::size_t(std::uint8_t(tcp[12]) >> 4) * 4;
            BOOST_CHECK_EQUAL(tcp.size() - header, mss);
            BOOST_CHECK_EQUAL(wire::load_be16(ip, 2), 20 + tcp.size());
            BOOST_CHECK_EQUAL(wire::internet_checksum::of(ip), 0u);
            wire::internet_checksum sum = wire::internet_checksum::for_l4(
                address("198.18.0.1"), address("198.18.0.2"), wire::ip_protocol_tcp, std::uint16_t(tcp.size()));
            sum.add(tcp);
            BOOST_CHECK_EQUAL(sum.finish(), 0u);
            const std::uint32_t sequence = wire::load_be32(tcp, 4);
            if (i == 0) first_sequence = sequence;
            BOOST_CHECK_EQUAL(sequence - first_sequence, i * mss);
            const bool psh = (std::uint8_t(tcp[13]) & wire::tcp_psh) != 0;
            BOOST_CHECK_EQUAL(psh, i + 1 == frames.size());
            if (i > 0) BOOST_CHECK_EQUAL(wire::load_be16(ip, 4), std::uint16_t(wire::load_be16(frames[0], 14 + 4) + i));
            for (std::size_t k = 0; k < mss; ++k) {
                if (tcp[header + k] != transfer_byte(i * mss + k)) {
                    BOOST_ERROR("byte " << k << " of frame " << i << " is not the one written");
                    break;
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(sixteen_mebibytes_cross_in_tso_segments_every_byte_once_and_in_order) {
    two_hosts hosts(mtu_limited(), 1, {}, sim::offload_device_config{});
    tcp_pair pair(hosts);
    BOOST_REQUIRE(pair.open());
    const std::uint64_t total = 16u << 20;
    check_whole_transfer(hosts, pair, total);
    const auto& tcp = hosts.a->tcp_layer().counters();
    const sim::offload_device_counters device = hosts.offload_a->total();
    const std::uint64_t mss = pair.client->conn.send_mss();
    // Whenever the window opened by more than one MSS at once (slow start, recovery), one
    // segment went down for several frames; an ACK clock of one MSS an ACK sends single
    // MSS segments, TSO or not.
    BOOST_CHECK_GT(tcp.segmentation_offloaded, 0u);
    BOOST_CHECK_EQUAL(device.segmented, tcp.segmentation_offloaded);
    BOOST_CHECK_GE(device.segments_made, 2 * device.segmented);
    const std::uint64_t frames_with_data_at_least = (device.frames - device.segmented) + device.segments_made;
    BOOST_CHECK_GE(frames_with_data_at_least, total / mss);
    BOOST_CHECK_LT(pair.client->conn.counters().segments_sent, total / mss);
    BOOST_CHECK_EQUAL(tcp.segmented_in_software, 0u);
}

BOOST_AUTO_TEST_CASE(tso_segments_recover_from_two_percent_loss_with_every_byte_delivered) {
    two_hosts hosts(mtu_limited(0.02), 7, {}, sim::offload_device_config{});
    tcp_pair pair(hosts);
    BOOST_REQUIRE(pair.open());
    check_whole_transfer(hosts, pair, 4u << 20);
    BOOST_CHECK_GT(pair.client->conn.counters().retransmitted_segments, 0u);
    BOOST_CHECK_GT(hosts.a->tcp_layer().counters().segmentation_offloaded, 0u);
}

BOOST_AUTO_TEST_CASE(a_segment_chained_beyond_the_device_limit_is_cut_in_software) {
    sim::offload_device_config config;
    config.max_chain = 4;  // fewer mbufs than a 64 KiB segment of the send buffer spans
    two_hosts hosts(mtu_limited(), 1, {}, config);
    tcp_pair pair(hosts);
    BOOST_REQUIRE(pair.open());
    check_whole_transfer(hosts, pair, 4u << 20);
    const auto& tcp = hosts.a->tcp_layer().counters();
    BOOST_CHECK_GT(tcp.segmented_in_software, 0u);
    BOOST_CHECK_EQUAL(hosts.offload_a->total().over_chain, 0u);
}

BOOST_AUTO_TEST_CASE(checksum_offload_alone_keeps_one_mss_a_segment_and_sums_right) {
    sim::offload_device_config config;
    config.tcp_segmentation = false;
    two_hosts hosts(mtu_limited(), 1, {}, config);
    tcp_pair pair(hosts);
    BOOST_REQUIRE(pair.open());
    check_whole_transfer(hosts, pair, 4u << 20);
    const auto& tcp = hosts.a->tcp_layer().counters();
    BOOST_CHECK_EQUAL(tcp.segmentation_offloaded, 0u);
    BOOST_CHECK_GT(tcp.checksum_offloaded, 0u);
    BOOST_CHECK_EQUAL(hosts.offload_a->total().segmented, 0u);
    BOOST_CHECK_GT(hosts.offload_a->total().checksums_filled, 0u);
}

BOOST_AUTO_TEST_CASE(an_application_may_turn_tso_off_for_its_connection) {
    two_hosts hosts(mtu_limited(), 1, {}, sim::offload_device_config{});
    tcp_pair pair(hosts);
    net::tcp::connection_options options;
    options.segmentation_bytes = 1;  // one MSS a segment
    BOOST_REQUIRE(pair.open(options));
    check_whole_transfer(hosts, pair, 1u << 20);
    BOOST_CHECK_EQUAL(hosts.a->tcp_layer().counters().segmentation_offloaded, 0u);
    BOOST_CHECK_EQUAL(hosts.offload_a->total().segmented, 0u);
}

BOOST_AUTO_TEST_SUITE_END()
