// sluice::net::wire Ethernet II header (IEEE 802.3 with an EtherType, RFC 894) with at most
// one 802.1Q VLAN tag: constants, and ethernet_header, a plain value with parse and emit.
// Any thread; the caller owns the bytes (parse_result.hh states the rules for parse/emit).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "sluice/net/wire/ethernet_address.hh"
#include "sluice/net/wire/parse_result.hh"

namespace sluice::net::wire {

// Byte offsets of the untagged header: destination @0-5, source @6-11, EtherType @12-13.
// A tag (TPID @12-13, TCI @14-15) moves the EtherType to @16-17.
inline constexpr std::size_t ethernet_header_length = 14;
inline constexpr std::size_t ethernet_vlan_tag_length = 4;
// Shortest frame on the wire, FCS excluded (IEEE 802.3 minimum 64 less the 4-byte FCS).
// Receivers here do not demand it (vdevs deliver short frames); senders pad short frames
// up to it, or leave that to a NIC that pads.
inline constexpr std::size_t ethernet_min_frame_length = 60;

inline constexpr std::uint16_t ethertype_ipv4 = 0x0800;
inline constexpr std::uint16_t ethertype_arp = 0x0806;
inline constexpr std::uint16_t ethertype_vlan = 0x8100;          // IEEE 802.1Q customer tag (C-TAG)
inline constexpr std::uint16_t ethertype_service_vlan = 0x88a8;  // IEEE 802.1ad service tag (S-TAG)
// Type/length values below this are an 802.3 length, not an EtherType (IEEE 802.3 3.2.6).
inline constexpr std::uint16_t ethertype_min = 0x0600;

// TCI: priority (PCP) bits 15-13, drop eligible (DEI) bit 12, VLAN id bits 11-0.
inline constexpr std::uint16_t vlan_id_mask = 0x0fff;

// A MAC address field at `offset` (six bytes, first byte first); the caller checked the room.
inline ethernet_address load_ethernet_address(std::span<const std::byte> bytes, std::size_t offset) noexcept {
    assert(offset <= bytes.size() && bytes.size() - offset >= 6);
    ethernet_address address;
    std::memcpy(address.bytes.data(), bytes.data() + offset, address.bytes.size());
    return address;
}

inline void store_ethernet_address(std::span<std::byte> bytes, std::size_t offset,
                                   const ethernet_address& address) noexcept {
    assert(offset <= bytes.size() && bytes.size() - offset >= 6);
    std::memcpy(bytes.data() + offset, address.bytes.data(), address.bytes.size());
}

struct ethernet_header {
    ethernet_address destination;
    ethernet_address source;
    // The tag control information of one VLAN tag, when the frame carries one. Either
    // tag protocol is accepted on receive (0x8100, or 0x88a8 as a single service tag);
    // emit always writes 0x8100. A tag inside a tag (QinQ) is refused: vlan_stacked.
    std::optional<std::uint16_t> vlan_tci;
    // The payload's EtherType (inside the tag, when tagged). Returned as found, any value:
    // choosing what to do with it (and counting ethertype_unknown) is the stack's dispatch.
    std::uint16_t ethertype = 0;

    // 14, or 18 with a tag: where the payload starts.
    std::size_t length() const noexcept {
        return ethernet_header_length + (vlan_tci ? ethernet_vlan_tag_length : 0);
    }

    // Reads the header at the front of `frame` (payload and padding may follow).
    // Refuses: ethernet_truncated, vlan_truncated, vlan_stacked.
    static parse_result<ethernet_header> parse(std::span<const std::byte> frame) noexcept;

    // Writes length() bytes at the front of `out`.
    void emit(std::span<std::byte> out) const noexcept;

    friend bool operator==(const ethernet_header&, const ethernet_header&) = default;
};

}  // namespace sluice::net::wire
