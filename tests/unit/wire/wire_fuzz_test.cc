// Hostile input: 100,000 random buffers and 100,000 random mutations of each known-good
// frame go through every parser, alone and chained as the stack chains them (Ethernet,
// then ARP or IPv4, then ICMP, UDP or TCP with its options). Nothing may crash or read outside its buffer (each
// buffer is its own exact-size allocation, so ASan catches one byte too far), every value
// that parses stays inside the bytes it came from, and it emits back to a value that parses
// equal. Fixed seeds: a failure replays.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <type_traits>
#include <vector>

#include "sluice/net/wire/arp.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/ethernet.hh"
#include "sluice/net/wire/icmp.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/tcp.hh"
#include "sluice/net/wire/udp.hh"
#include "tests/unit/wire/wire_frames.hh"

namespace wire = sluice::net::wire;

namespace {

// A buffer of exactly `size` bytes on the heap: reading one past its end is an ASan report.
class exact_buffer {
public:
    explicit exact_buffer(std::size_t size) : bytes_(new std::byte[size == 0 ? 1 : size]), size_(size) {}
    std::span<std::byte> span() { return {bytes_.get(), size_}; }

private:
    std::unique_ptr<std::byte[]> bytes_;
    std::size_t size_;
};

struct outcome {
    wire::drop_counters drops;
    std::uint64_t ethernet = 0, arp = 0, ipv4 = 0, icmp = 0, udp = 0;
};

template <typename Header>
bool emits_back_equal(const Header& header) {
    std::array<std::byte, 64> out{};
    header.emit(out);
    if constexpr (std::is_same_v<Header, wire::udp_header>) {
        const auto again = Header::parse(std::span<const std::byte>(out).first(8), header.length);
        return again.ok() && *again == header;
    } else if constexpr (std::is_same_v<Header, wire::icmp_header>) {
        const auto again = Header::parse(std::span<const std::byte>(out).first(8), false);
        return again.ok() && *again == header;
    } else {
        const auto again = Header::parse(out);
        return again.ok() && *again == header;
    }
}

// Runs the chain the stack runs and checks what every successful parse promises.
void parse_all(std::span<const std::byte> frame, outcome& seen) {
    // Each parser straight on the bytes, whatever they are.
    (void)wire::arp_packet::parse(frame);
    (void)wire::ipv4_header::parse(frame);
    (void)wire::ipv4_header::parse(frame, false);
    (void)wire::icmp_header::parse(frame);
    (void)wire::udp_header::parse(frame);
    (void)wire::tcp_header::parse(frame);
    (void)wire::tcp_options::parse(frame);

    const auto ethernet = wire::ethernet_header::parse(frame);
    if (!ethernet) return seen.drops.count(ethernet.error());
    ++seen.ethernet;
    BOOST_TEST_REQUIRE(ethernet->length() <= frame.size());
    BOOST_TEST_REQUIRE(emits_back_equal(*ethernet));
    const auto payload = frame.subspan(ethernet->length());

    if (ethernet->ethertype == wire::ethertype_arp) {
        const auto arp = wire::arp_packet::parse(payload);
        if (!arp) return seen.drops.count(arp.error());
        ++seen.arp;
        BOOST_TEST_REQUIRE(emits_back_equal(*arp));
        return;
    }
    if (ethernet->ethertype != wire::ethertype_ipv4) return seen.drops.count(wire::drop_reason::ethertype_unknown);

    const auto ip = wire::ipv4_header::parse(payload);
    if (!ip) return seen.drops.count(ip.error());
    ++seen.ipv4;
    BOOST_TEST_REQUIRE(ip->header_length >= wire::ipv4_header::min_length);
    BOOST_TEST_REQUIRE(ip->header_length <= ip->total_length);
    BOOST_TEST_REQUIRE(ip->total_length <= payload.size());
    BOOST_TEST_REQUIRE(ip->fragment_offset + ip->payload_length() <= 65535u);
    {
        std::array<std::byte, 20> out{};
        ip->emit(out);
        BOOST_TEST_REQUIRE(wire_frames::reference_checksum(out) == 0);
    }
    const auto l4 = payload.subspan(ip->header_length, ip->payload_length());
    if (ip->fragment_offset != 0) return;  // not the first piece: no L4 header here

    if (ip->protocol == wire::ip_protocol_icmp) {
        const auto icmp = wire::icmp_header::parse(l4);
        if (!icmp) return seen.drops.count(icmp.error());
        ++seen.icmp;
        BOOST_TEST_REQUIRE(emits_back_equal(*icmp));
    } else if (ip->protocol == wire::ip_protocol_udp) {
        const auto udp = wire::udp_header::parse(l4.first(std::min<std::size_t>(l4.size(), 8)), l4.size());
        if (!udp) return seen.drops.count(udp.error());
        BOOST_TEST_REQUIRE(udp->length <= l4.size());
        BOOST_TEST_REQUIRE(emits_back_equal(*udp));
        const auto data = l4.subspan(wire::udp_header::length_bytes, udp->payload_length());
        if (!ip->is_fragment() && !wire::udp_checksum_valid(ip->source, ip->destination, *udp, data))
            return seen.drops.count(wire::drop_reason::udp_bad_checksum);
        ++seen.udp;
    } else if (ip->protocol == wire::ip_protocol_tcp) {
        const auto tcp = wire::tcp_header::parse(l4);
        if (!tcp) return seen.drops.count(tcp.error());
        BOOST_TEST_REQUIRE(tcp->header_length() <= l4.size());
        BOOST_TEST_REQUIRE(emits_back_equal(*tcp));
        // The options region is the exact end of its own allocation when the header fills
        // the datagram: a read past it is ASan's to catch.
        const auto options = wire::tcp_options::parse(l4.subspan(20, tcp->header_length() - 20));
        BOOST_TEST_REQUIRE(options.sack_count <= wire::tcp_options::max_sack_blocks);
        if (options.malformed) return seen.drops.count(wire::drop_reason::tcp_bad_option);
    }
}

// An ARP EtherType and, half the time, a valid format and operation (request or reply).
void make_plausible_arp(std::span<std::byte> frame, std::mt19937_64& random) {
    wire::store_be16(frame, 12, wire::ethertype_arp);
    if (random() % 2 == 0) return;
    wire::store_be16(frame, 14, 1);       // Ethernet
    wire::store_be16(frame, 16, 0x0800);  // IPv4
    frame[18] = std::byte{6};
    frame[19] = std::byte{4};
    wire::store_be16(frame, 20, static_cast<std::uint16_t>(1 + random() % 2));
}

// An IPv4 EtherType, version, IHL (20..28 bytes), usually a total length that fits, ICMP or
// UDP, often no fragmentation; then checksums that hold (ICMP), or none (UDP, often with a
// length that fits), and the header checksum. The rest stays random.
void make_plausible_ipv4(std::span<std::byte> frame, std::mt19937_64& random) {
    wire::store_be16(frame, 12, wire::ethertype_ipv4);
    const auto packet = frame.subspan(14);
    const std::size_t header_length = 4 * (5 + random() % 3);
    packet[0] = std::byte(0x40 | header_length / 4);
    if (random() % 4 != 0) wire::store_be16(packet, 2, static_cast<std::uint16_t>(random() % (packet.size() + 1)));
    if (random() % 2) wire::store_be16(packet, 6, 0);  // no flags, no offset
    const bool udp = random() % 2 == 0;
    packet[9] = std::byte{udp ? wire::ip_protocol_udp : wire::ip_protocol_icmp};
    const std::size_t total = wire::load_be16(packet, 2);
    if (header_length <= total && total <= packet.size() && total - header_length >= 8) {
        const auto l4 = packet.subspan(header_length, total - header_length);
        if (udp) {
            if (random() % 2) wire::store_be16(l4, 4, static_cast<std::uint16_t>(l4.size()));
            wire::store_be16(l4, 6, 0);  // no checksum: the datagram gets through
        } else {
            wire::store_be16(l4, 2, 0);
            wire::store_be16(l4, 2, wire_frames::reference_checksum(l4));
        }
    }
    if (header_length <= packet.size()) {
        wire::store_be16(packet, 10, 0);
        wire::store_be16(packet, 10, wire_frames::reference_checksum(packet.first(header_length)));
    }
}

void parse_copy(std::span<const std::byte> bytes, outcome& seen) {
    exact_buffer buffer(bytes.size());
    std::copy(bytes.begin(), bytes.end(), buffer.span().begin());
    parse_all(buffer.span(), seen);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_fuzz)

BOOST_AUTO_TEST_CASE(random_buffers_never_crash_any_parser) {
    std::mt19937_64 random(0x5eed);
    outcome seen;
    for (int round = 0; round < 100000; ++round) {
        exact_buffer buffer(random() % 130);
        auto bytes = buffer.span();
        for (auto& b : bytes) b = std::byte(random() & 0xff);
        // Half the time, plausible headers over the random bytes so the chain gets past its
        // first checks and reaches the deeper ones.
        if (random() % 2 == 0 && bytes.size() >= 34) {
            if (random() % 4 == 0)
                make_plausible_arp(bytes, random);
            else
                make_plausible_ipv4(bytes, random);
        }
        parse_all(bytes, seen);
    }
    BOOST_TEST(seen.ethernet > 0u);
    BOOST_TEST(seen.arp > 0u);
    BOOST_TEST(seen.ipv4 > 0u);
    BOOST_TEST(seen.icmp > 0u);
    BOOST_TEST(seen.udp > 0u);
    BOOST_TEST(seen.drops.total() > 0u);
    BOOST_TEST_MESSAGE("random: " << seen.ethernet << " ethernet, " << seen.arp << " arp, " << seen.ipv4 << " ipv4, "
                                  << seen.icmp << " icmp, " << seen.udp << " udp, " << seen.drops.total()
                                  << " dropped");
}

BOOST_AUTO_TEST_CASE(mutations_of_good_frames_never_crash_and_reach_every_layer) {
    const std::vector<std::span<const std::byte>> frames{
        wire_frames::bytes_of(wire_frames::arp_request),      wire_frames::bytes_of(wire_frames::echo_request),
        wire_frames::bytes_of(wire_frames::udp_hello),        wire_frames::bytes_of(wire_frames::udp_hello_tagged),
        wire_frames::bytes_of(wire_frames::first_fragment),   wire_frames::bytes_of(wire_frames::last_fragment),
        wire_frames::bytes_of(wire_frames::udp_hello_with_options),
    };
    std::mt19937_64 random(0xf0a1);
    outcome seen;
    for (const auto good : frames) {
        parse_copy(good, seen);  // unmutated, each reaches its top layer
        for (int round = 0; round < 100000 / static_cast<int>(frames.size()); ++round) {
            std::vector<std::byte> frame(good.begin(), good.end());
            switch (random() % 4) {
                case 0:  // a few bytes changed
                    for (int n = 1 + random() % 4; n > 0; --n) frame[random() % frame.size()] = std::byte(random() & 0xff);
                    break;
                case 1:  // one bit flipped
                    frame[random() % frame.size()] ^= std::byte(1u << (random() % 8));
                    break;
                case 2:  // cut short
                    frame.resize(random() % frame.size());
                    break;
                default:  // a byte past the MAC addresses (types, lengths, ...) set to an extreme
                    const std::size_t at = 12 + random() % (frame.size() - 12);
                    frame[at] = random() % 2 ? std::byte{0xff} : std::byte{0x00};
                    break;
            }
            parse_copy(frame, seen);
        }
    }
    BOOST_TEST(seen.arp > 0u);
    BOOST_TEST(seen.icmp > 0u);
    BOOST_TEST(seen.udp > 0u);
    // The mutations reach the deep checks too, not only the first length test.
    for (wire::drop_reason reason : {wire::drop_reason::ethernet_truncated, wire::drop_reason::arp_unsupported_format,
                                     wire::drop_reason::ipv4_bad_checksum, wire::drop_reason::ipv4_truncated,
                                     wire::drop_reason::icmp_bad_checksum, wire::drop_reason::udp_bad_checksum})
        BOOST_TEST(seen.drops[reason] > 0u, wire::name(reason));
    BOOST_TEST_MESSAGE("mutations: " << seen.arp << " arp, " << seen.icmp << " icmp, " << seen.udp << " udp, "
                                     << seen.drops.total() << " dropped");
}

BOOST_AUTO_TEST_SUITE_END()
