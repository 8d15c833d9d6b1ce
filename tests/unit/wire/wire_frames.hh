// Known-good frames for the wire tests, written out field by field, and a slow reference
// Internet checksum to hold the fast one to. Every checksum below was computed by hand with
// the reference and confirmed by tshark 4.0 (ip/udp/icmp checksum checking on) on a pcap
// of these exact bytes. Test-only; nothing here is shared with lib/net/wire.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace wire_frames {

// RFC 1071 section 1 read literally: pair adjacent bytes into 16-bit big-endian words (the
// last byte of an odd message with a zero), add them, fold the carries back in, complement.
inline std::uint16_t reference_checksum(std::span<const std::byte> bytes) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < bytes.size(); i += 2) {
        const unsigned high = std::to_integer<unsigned>(bytes[i]);
        const unsigned low = i + 1 < bytes.size() ? std::to_integer<unsigned>(bytes[i + 1]) : 0;
        sum += high << 8 | low;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

template <std::size_t N>
std::span<const std::byte> bytes_of(const std::array<std::uint8_t, N>& frame) {
    return std::as_bytes(std::span(frame));
}

template <std::size_t N>
std::vector<std::byte> copy_of(const std::array<std::uint8_t, N>& frame) {
    const auto bytes = bytes_of(frame);
    return {bytes.begin(), bytes.end()};
}

// Addresses used throughout: 02:00:00:00:00:01 is 198.18.0.1, 02:00:00:00:00:02 is
// 198.18.0.2 (RFC 2544's benchmarking range).

// Who has 198.18.0.2? Tell 198.18.0.1. A broadcast ARP request padded to 60 bytes.
inline constexpr std::array<std::uint8_t, 60> arp_request{
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // destination: broadcast
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source
    0x08, 0x06,                          // EtherType ARP
    0x00, 0x01,                          // htype Ethernet
    0x08, 0x00,                          // ptype IPv4
    0x06, 0x04,                          // hlen 6, plen 4
    0x00, 0x01,                          // operation: request
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // sender MAC
    0xc6, 0x12, 0x00, 0x01,              // sender IP 198.18.0.1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC: unknown
    0xc6, 0x12, 0x00, 0x02,              // target IP 198.18.0.2
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // padding to 60 bytes
};
inline constexpr std::size_t arp_offset = 14;

// ping 198.18.0.2 from 198.18.0.1: echo request id 0x0b0e sequence 1, 56 bytes of data
// 0x00..0x37, DF set, TTL 64. IPv4 checksum 0x6157, ICMP checksum 0xf5dd.
inline constexpr std::array<std::uint8_t, 98> echo_request{
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // destination
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source
    0x08, 0x00,                          // EtherType IPv4
    // IPv4 @14
    0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x54,                          // total length 84
    0x4d, 0x2a,                          // identification
    0x40, 0x00,                          // DF, offset 0
    0x40, 0x01,                          // TTL 64, protocol ICMP
    0x61, 0x57,                          // header checksum
    0xc6, 0x12, 0x00, 0x01,              // source 198.18.0.1
    0xc6, 0x12, 0x00, 0x02,              // destination 198.18.0.2
    // ICMP @34
    0x08, 0x00,                          // echo request, code 0
    0xf5, 0xdd,                          // checksum
    0x0b, 0x0e, 0x00, 0x01,              // identifier, sequence
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
    0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
    0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};
inline constexpr std::size_t echo_ipv4_offset = 14;
inline constexpr std::size_t echo_icmp_offset = 34;

// "hello" from 198.18.0.1:49152 to 198.18.0.2:7, an odd-length payload in a frame padded
// to 60 bytes (13 bytes of Ethernet padding after IPv4's 33). IPv4 checksum 0xeea3, UDP
// checksum 0x6fd2.
inline constexpr std::array<std::uint8_t, 60> udp_hello{
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // destination
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source
    0x08, 0x00,                          // EtherType IPv4
    // IPv4 @14
    0x45, 0x00, 0x00, 0x21,              // version 4, IHL 5, total length 33
    0x00, 0x01, 0x00, 0x00,              // identification 1, no flags, offset 0
    0x40, 0x11, 0xee, 0xa3,              // TTL 64, protocol UDP, checksum
    0xc6, 0x12, 0x00, 0x01,              // source
    0xc6, 0x12, 0x00, 0x02,              // destination
    // UDP @34
    0xc0, 0x00, 0x00, 0x07,              // source port 49152, destination port 7
    0x00, 0x0d, 0x6f, 0xd2,              // length 13, checksum
    'h', 'e', 'l', 'l', 'o',
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // Ethernet padding
};
inline constexpr std::size_t udp_ipv4_offset = 14;
inline constexpr std::size_t udp_offset = 34;
inline constexpr std::size_t udp_ipv4_total_length = 33;

// The same datagram behind an 802.1Q tag: PCP 1, VLAN 100 (TCI 0x2064); not padded.
inline constexpr std::array<std::uint8_t, 51> udp_hello_tagged{
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // destination
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source
    0x81, 0x00, 0x20, 0x64,              // TPID 802.1Q, TCI
    0x08, 0x00,                          // EtherType IPv4
    // IPv4 @18
    0x45, 0x00, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xee, 0xa3,
    0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
    // UDP @38
    0xc0, 0x00, 0x00, 0x07, 0x00, 0x0d, 0x6f, 0xd2, 'h', 'e', 'l', 'l', 'o',
};

// The first of two fragments of a datagram, identification 0x0777: MF set, offset 0,
// 16 bytes of data (0x00..0x0f). IPv4 checksum 0xc72a.
inline constexpr std::array<std::uint8_t, 50> first_fragment{
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    // IPv4 @14
    0x45, 0x00, 0x00, 0x24,              // total length 36
    0x07, 0x77, 0x20, 0x00,              // identification, MF, offset 0
    0x40, 0x11, 0xc7, 0x2a,              // TTL 64, UDP, checksum
    0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

// Its last fragment: MF clear, offset field 2 (16 bytes), 5 bytes of data. Checksum 0xe733.
inline constexpr std::array<std::uint8_t, 39> last_fragment{
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    // IPv4 @14
    0x45, 0x00, 0x00, 0x19,              // total length 25
    0x07, 0x77, 0x00, 0x02,              // identification, offset 2 * 8
    0x40, 0x11, 0xe7, 0x33,              // TTL 64, UDP, checksum
    0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
    0x00, 0x01, 0x02, 0x03, 0x04,
};

// The "hello" datagram with a 4-byte option block (NOP, NOP, NOP, end of list): IHL 6.
// IPv4 checksum 0xeb9d.
inline constexpr std::array<std::uint8_t, 51> udp_hello_with_options{
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    // IPv4 @14
    0x46, 0x00, 0x00, 0x25,              // version 4, IHL 6, total length 37
    0x00, 0x02, 0x00, 0x00,              // identification 2
    0x40, 0x11, 0xeb, 0x9d,              // TTL 64, UDP, checksum
    0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
    0x01, 0x01, 0x01, 0x00,              // options: NOP NOP NOP EOL (RFC 791 3.1)
    // UDP @38
    0xc0, 0x00, 0x00, 0x07, 0x00, 0x0d, 0x6f, 0xd2, 'h', 'e', 'l', 'l', 'o',
};

}  // namespace wire_frames
