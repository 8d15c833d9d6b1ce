// ipv4: input (RFC 791 3.2, RFC 1122 3.2.1) — header and option checks, our address,
// padding trimmed, fragments reassembled — then delivery by protocol number.
#include <algorithm>
#include <array>
#include <utility>

#include "sluice/net/ipv4.hh"
#include "sluice/net/wire/icmp.hh"
#include "sluice/net/wire/ipv4.hh"

namespace sluice::net {

ipv4::ipv4(ethernet_link& link, arp& neighbours, const interface_config& config, offload_flags offloads,
           reassembly_limits reassembly, wire::drop_counters& dropped)
    : link_(link),
      neighbours_(neighbours),
      config_(config),
      offloads_(offloads),
      dropped_(dropped),
      reassembly_(reassembly) {}

bool ipv4::attach(std::uint8_t number, l4_protocol& protocol) noexcept {
    if (protocols_[number] != nullptr) return false;
    protocols_[number] = &protocol;
    return true;
}

void ipv4::receive(packet&& frame, std::size_t l2_length, clock::time_point now) {
    ++counters_.received;
    const std::size_t available = frame.length() - l2_length;
    const std::size_t header_room = std::min(available, wire::ipv4_header::max_length);
    const auto pulled = frame.linearize(l2_length + header_room);  // in place when contiguous
    if (!pulled) return dropped_.count(wire::drop_reason::no_mbufs);
    const std::span<const std::byte> head = pulled->subspan(l2_length);
    const received_checksums device = frame.checksums();
    if (device.ipv4_header == checksum_status::bad) return dropped_.count(wire::drop_reason::ipv4_bad_checksum);
    const auto header = wire::ipv4_header::parse(head, available, device.ipv4_header != checksum_status::good);
    if (!header) return dropped_.count(header.error());

    // RFC 1122 3.2.1.3: a host takes datagrams for its address, for broadcasts and for the
    // groups it joined, and drops the rest silently (we do not forward). A source that is
    // a broadcast or multicast address is bogus.
    const wire::ipv4_address to = header->destination;
    if (to != config_.address.address && !to.is_broadcast() && !config_.address.is_directed_broadcast(to)) {
        if (!to.is_multicast()) return dropped_.count(wire::drop_reason::ipv4_not_for_us);
        // RFC 1112 7.2: a host takes a group's datagrams while it is a member on this
        // interface; all-hosts it always is.
        if (groups_ == nullptr || !groups_->accepts(to)) return dropped_.count(wire::drop_reason::ipv4_group_not_joined);
    }
    const wire::ipv4_address from = header->source;
    if (from.is_broadcast() || from.is_multicast() || config_.address.is_directed_broadcast(from)) {
        return dropped_.count(wire::drop_reason::ipv4_bad_source);
    }
    // An option list that cannot be read is not a datagram to act on: Linux drops it and
    // says parameter problem, pointing at the option (RFC 792; RFC 1122 3.2.1.8).
    const std::span<const std::byte> header_bytes = head.first(header->header_length);
    if (const auto bad = wire::find_malformed_ipv4_option(header_bytes)) {
        dropped_.count(wire::drop_reason::ipv4_bad_option);
        return report(wire::icmp_type_parameter_problem, 0, std::uint32_t(*bad) << 24, *header, header_bytes, frame,
                      l2_length + header->header_length, now);
    }

    // TTL is not checked on the way in: a host must not drop a datagram for a low TTL
    // (RFC 1122 3.2.1.7); ours leave with 64 (ipv4_output.cc).

    // Keep only the IP payload: the headers in front, Ethernet padding behind. A datagram
    // for no protocol keeps a copy of its header to quote (trimming may free its mbuf).
    std::array<std::byte, wire::ipv4_header::max_length> quoted_header;
    const bool unwanted = protocols_[header->protocol] == nullptr;
    if (unwanted) std::copy(header_bytes.begin(), header_bytes.end(), quoted_header.begin());
    frame.trim_back(available - header->total_length);
    frame.trim_front(l2_length + header->header_length);
    if (!header->is_fragment()) {
        if (unwanted) return refuse_protocol(*header, {quoted_header.data(), header->header_length}, frame, now);
        return deliver(*header, std::move(frame), now);
    }

    const fragment_key key{from.value, to.value, header->identification, header->protocol};
    auto whole = reassembly_.add(key, header->fragment_offset, header->more_fragments, std::move(frame), now);
    if (!whole) return;  // waiting for more, or dropped and counted by the reassembly
    wire::ipv4_header reassembled = *header;
    reassembled.more_fragments = false;
    reassembled.fragment_offset = 0;
    reassembled.header_length = wire::ipv4_header::min_length;
    reassembled.total_length = std::uint16_t(std::min<std::size_t>(whole->length() + reassembled.header_length, 65535));
    if (protocols_[reassembled.protocol] == nullptr) {
        std::array<std::byte, wire::ipv4_header::min_length> reassembled_bytes;
        reassembled.emit(reassembled_bytes);
        return refuse_protocol(reassembled, reassembled_bytes, *whole, now);
    }
    deliver(reassembled, std::move(*whole), now);
}

void ipv4::deliver(const wire::ipv4_header& header, packet&& payload, clock::time_point now) {
    ++counters_.delivered;
    protocols_[header.protocol]->receive(header, std::move(payload), now);
}

void ipv4::refuse_protocol(const wire::ipv4_header& header, std::span<const std::byte> header_bytes,
                           const packet& payload, clock::time_point now) {
    // RFC 1122 3.2.2.1: a host SHOULD say protocol unreachable (rate-limited like every
    // ICMP error here).
    dropped_.count(wire::drop_reason::ipv4_protocol_unsupported);
    report(wire::icmp_type_destination_unreachable, wire::icmp_code_protocol_unreachable, 0, header, header_bytes,
           payload, 0, now);
}

// RFC 792: the message quotes the datagram's IP header and the first 64 bits of its data.
void ipv4::report(std::uint8_t type, std::uint8_t code, std::uint32_t rest, const wire::ipv4_header& header,
                  std::span<const std::byte> header_bytes, const packet& datagram, std::size_t payload_offset,
                  clock::time_point now) {
    if (errors_ == nullptr) return;
    std::array<std::byte, wire::ipv4_header::max_length + 8> quoted;
    std::copy(header_bytes.begin(), header_bytes.end(), quoted.begin());
    const std::size_t data = datagram.copy_out(payload_offset, std::span<std::byte>(quoted).subspan(header_bytes.size(), 8));
    errors_->send_error(type, code, rest, header, std::span<const std::byte>(quoted.data(), header_bytes.size() + data),
                        now);
}

}  // namespace sluice::net
