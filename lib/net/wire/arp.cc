// ARP (RFC 826) parse and emit for Ethernet hardware and IPv4 protocol addresses.
#include "sluice/net/wire/arp.hh"

#include <cassert>

#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/ethernet.hh"

namespace sluice::net::wire {
namespace {

constexpr std::size_t hardware_type_offset = 0;
constexpr std::size_t protocol_type_offset = 2;
constexpr std::size_t hardware_length_offset = 4;
constexpr std::size_t protocol_length_offset = 5;
constexpr std::size_t operation_offset = 6;
constexpr std::size_t sender_mac_offset = 8;
constexpr std::size_t sender_ip_offset = 14;
constexpr std::size_t target_mac_offset = 18;
constexpr std::size_t target_ip_offset = 24;

constexpr std::uint8_t ethernet_address_length = 6;
constexpr std::uint8_t ipv4_address_length = 4;

}  // namespace

parse_result<arp_packet> arp_packet::parse(std::span<const std::byte> message) noexcept {
    if (message.size() < length) return drop_reason::arp_truncated;
    if (load_be16(message, hardware_type_offset) != hardware_type_ethernet ||
        load_be16(message, protocol_type_offset) != ethertype_ipv4 ||
        load_u8(message, hardware_length_offset) != ethernet_address_length ||
        load_u8(message, protocol_length_offset) != ipv4_address_length)
        return drop_reason::arp_unsupported_format;
    arp_packet packet;
    packet.operation = load_be16(message, operation_offset);
    if (packet.operation != arp_operation_request && packet.operation != arp_operation_reply)
        return drop_reason::arp_bad_operation;
    packet.sender_mac = load_ethernet_address(message, sender_mac_offset);
    packet.sender_ip = {load_be32(message, sender_ip_offset)};
    packet.target_mac = load_ethernet_address(message, target_mac_offset);
    packet.target_ip = {load_be32(message, target_ip_offset)};
    return packet;
}

void arp_packet::emit(std::span<std::byte> out) const noexcept {
    assert(out.size() >= length);
    store_be16(out, hardware_type_offset, hardware_type_ethernet);
    store_be16(out, protocol_type_offset, ethertype_ipv4);
    store_u8(out, hardware_length_offset, ethernet_address_length);
    store_u8(out, protocol_length_offset, ipv4_address_length);
    store_be16(out, operation_offset, operation);
    store_ethernet_address(out, sender_mac_offset, sender_mac);
    store_be32(out, sender_ip_offset, sender_ip.value);
    store_ethernet_address(out, target_mac_offset, target_mac);
    store_be32(out, target_ip_offset, target_ip.value);
}

}  // namespace sluice::net::wire
