// virtual_host: IPv4 in and out without a device, and the virtual clock.
#include "drivers/packetdrill/virtual_host.hh"

#include <algorithm>
#include <cstdio>

#include "sluice/net/l4_protocol.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/wire/icmp.hh"
#include "sluice/net/wire/ipv4.hh"

namespace sluice::packetdrill {

namespace {

// A deadline that does not move after its timer ran would spin advance_to forever; past
// this many runs at one instant we report it and let the clock go on.
constexpr int max_timer_runs_per_instant = 1000;

}  // namespace

virtual_host::virtual_host(net::wire::ipv4_address address, std::size_t mtu, const net::tcp::table_limits& limits,
                           clock::time_point start)
    : address_(address), mtu_(mtu), now_(start), tcp_(*this, dropped_, limits) {}

std::size_t virtual_host::max_unfragmented_payload() const noexcept {
    return mtu_ - net::wire::ipv4_header::min_length;
}

bool virtual_host::deliver(std::span<const std::byte> datagram, const char** why_dropped) {
    const auto header = net::wire::ipv4_header::parse(datagram);
    if (!header) {
        *why_dropped = "not a valid IPv4 header (packetdrill's IPv6 mode is not supported)";
        return false;
    }
    if (header->destination != address_) {
        *why_dropped = "not addressed to --local_ip (the address in so_flags local_ip=)";
        return false;
    }
    if (header->is_fragment()) {
        *why_dropped = "an IPv4 fragment (the host does no reassembly)";
        return false;
    }
    const auto payload = datagram.subspan(header->header_length, header->payload_length());
    if (header->protocol == net::wire::ip_protocol_icmp) {
        // RFC 1122 3.2.2.1: an error quoting one of our TCP segments goes to TCP.
        const auto icmp = net::wire::icmp_header::parse(payload);
        const auto quoted_bytes = payload.subspan(std::min(payload.size(), net::wire::icmp_header::length));
        // The quote is cut short by design (RFC 792: the header and 8 bytes of data).
        const auto quoted =
            net::wire::ipv4_header::parse(quoted_bytes, net::wire::ipv4_header::max_datagram_length, false);
        if (!icmp || !quoted || quoted->protocol != net::wire::ip_protocol_tcp || quoted->source != address_ ||
            quoted_bytes.size() < quoted->header_length + 8) {
            *why_dropped = "an ICMP message that is not an error quoting a TCP segment";
            return false;
        }
        net::icmp_error error{header->source, icmp->type, icmp->code, icmp->rest, *quoted,
                              quoted_bytes.subspan(quoted->header_length)};
        tcp_.receive_icmp_error(error, now_);
        return true;
    }
    if (header->protocol != net::wire::ip_protocol_tcp) {
        *why_dropped = "neither TCP nor ICMP";
        return false;
    }
    auto segment = net::packet::copy_of(payload);
    if (!segment) {
        *why_dropped = "the packet pool is empty";
        return false;
    }
    tcp_.receive(*header, std::move(*segment), now_);
    return true;
}

void virtual_host::advance_to(clock::time_point when) {
    int runs_at_this_instant = 0;
    clock::time_point last = now_;
    for (clock::time_point deadline = tcp_.next_deadline(); deadline <= when; deadline = tcp_.next_deadline()) {
        now_ = std::max(now_, deadline);
        runs_at_this_instant = now_ == last ? runs_at_this_instant + 1 : 0;
        last = now_;
        if (runs_at_this_instant > max_timer_runs_per_instant) {
            std::fprintf(stderr, "sluice_packetdrill: TCP's deadline stays at %lld ns after its timer ran; moving on\n",
                         static_cast<long long>(now_.time_since_epoch().count()));
            break;
        }
        tcp_.on_timer(now_);
    }
    now_ = std::max(now_, when);
}

std::optional<sent_datagram> virtual_host::next_sent(clock::time_point limit) {
    while (sent_.empty()) {
        const clock::time_point deadline = tcp_.next_deadline();
        if (deadline > limit) return std::nullopt;
        advance_to(deadline);
    }
    sent_datagram first = std::move(sent_.front());
    sent_.pop_front();
    return first;
}

net::send_status virtual_host::send(net::wire::ipv4_address destination, std::uint8_t protocol, net::packet&& segment,
                                    net::l4_checksum_offload, clock::time_point now) {
    // offloads() offers none, so the segment's checksum is already done.
    return queue(64, destination, protocol, segment, now);
}

net::send_status virtual_host::send_with(const net::datagram_options& options, net::wire::ipv4_address destination,
                                         std::uint8_t protocol, net::packet&& segment, clock::time_point now) {
    return queue(options.ttl, destination, protocol, segment, now);
}

net::send_status virtual_host::queue(std::uint8_t ttl, net::wire::ipv4_address destination, std::uint8_t protocol,
                                     const net::packet& segment, clock::time_point now) {
    if (segment.length() > max_unfragmented_payload()) return net::send_status::too_large;
    net::wire::ipv4_header header;
    header.total_length = std::uint16_t(net::wire::ipv4_header::min_length + segment.length());
    header.identification = next_identification_++;
    header.dont_fragment = true;  // RFC 1191 3: path MTU discovery, as TCP expects
    header.ttl = ttl;
    header.protocol = protocol;
    header.source = address_;
    header.destination = destination;
    sent_datagram out{std::vector<std::byte>(header.total_length), now};
    header.emit(out.bytes);
    segment.copy_out(0, std::span(out.bytes).subspan(net::wire::ipv4_header::min_length));
    sent_.push_back(std::move(out));
    return net::send_status::sent;
}

}  // namespace sluice::packetdrill
