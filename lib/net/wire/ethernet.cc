// Ethernet II header parse and emit, with one optional VLAN tag (IEEE 802.1Q clause 9).
#include "sluice/net/wire/ethernet.hh"

#include <cassert>

#include "sluice/net/wire/byte_order.hh"

namespace sluice::net::wire {
namespace {

constexpr std::size_t destination_offset = 0;
constexpr std::size_t source_offset = 6;
constexpr std::size_t type_offset = 12;      // EtherType, or a tag's TPID
constexpr std::size_t tci_offset = 14;       // with a tag
constexpr std::size_t inner_type_offset = 16;  // with a tag

bool is_tag(std::uint16_t type) noexcept { return type == ethertype_vlan || type == ethertype_service_vlan; }

}  // namespace

parse_result<ethernet_header> ethernet_header::parse(std::span<const std::byte> frame) noexcept {
    if (frame.size() < ethernet_header_length) return drop_reason::ethernet_truncated;
    ethernet_header header;
    header.destination = load_ethernet_address(frame, destination_offset);
    header.source = load_ethernet_address(frame, source_offset);
    header.ethertype = load_be16(frame, type_offset);
    if (is_tag(header.ethertype)) {
        if (frame.size() < ethernet_header_length + ethernet_vlan_tag_length) return drop_reason::vlan_truncated;
        header.vlan_tci = load_be16(frame, tci_offset);
        header.ethertype = load_be16(frame, inner_type_offset);
        if (is_tag(header.ethertype)) return drop_reason::vlan_stacked;
    }
    return header;
}

void ethernet_header::emit(std::span<std::byte> out) const noexcept {
    assert(out.size() >= length());
    store_ethernet_address(out, destination_offset, destination);
    store_ethernet_address(out, source_offset, source);
    if (vlan_tci) {
        store_be16(out, type_offset, ethertype_vlan);
        store_be16(out, tci_offset, *vlan_tci);
        store_be16(out, inner_type_offset, ethertype);
    } else {
        store_be16(out, type_offset, ethertype);
    }
}

}  // namespace sluice::net::wire
