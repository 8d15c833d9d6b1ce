// udp: input, demultiplexing, ICMP errors and output (RFC 768, RFC 1122 4.1).
#include "sluice/net/udp.hh"

#include <algorithm>
#include <array>
#include <utility>

#include "sluice/net/packet_checksum.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/icmp.hh"
#include "sluice/net/wire/udp.hh"

namespace sluice::net {

udp::udp(ipv4_output& ip, icmp_error_sender& errors, wire::drop_counters& dropped)
    : ip_(ip), errors_(errors), dropped_(dropped) {}

bool udp::bind(std::uint16_t port, udp_receiver& receiver, bool shared) {
    if (port == 0) return false;
    const auto [found, added] = ports_.try_emplace(port, binding{{&receiver}, shared});
    if (added) return true;
    if (!shared || !found->second.shared) return false;
    found->second.receivers.push_back(&receiver);
    return true;
}

void udp::unbind(std::uint16_t port, udp_receiver& receiver) {
    const auto found = ports_.find(port);
    if (found == ports_.end()) return;
    auto& receivers = found->second.receivers;
    receivers.erase(std::remove(receivers.begin(), receivers.end(), &receiver), receivers.end());
    if (receivers.empty()) ports_.erase(found);
}

void udp::receive(const wire::ipv4_header& header, packet&& datagram, clock::time_point now) {
    const auto head = datagram.linearize(std::min<std::size_t>(datagram.length(), wire::udp_header::length_bytes));
    if (!head) return dropped_.count(wire::drop_reason::udp_truncated);
    const auto parsed = wire::udp_header::parse(*head, datagram.length());
    if (!parsed) return dropped_.count(parsed.error());
    // Bytes IPv4 carried past the UDP length are not the datagram's (RFC 768 "Length").
    datagram.trim_back(datagram.length() - parsed->length);
    // RFC 768: a zero checksum means the sender computed none.
    const checksum_status device = datagram.checksums().l4;
    if (parsed->checksum != 0 && device != checksum_status::good) {
        if (device == checksum_status::bad ||
            l4_checksum(header.source, header.destination, wire::ip_protocol_udp, datagram) != 0) {
            return dropped_.count(wire::drop_reason::udp_bad_checksum);
        }
    }
    ++counters_.received;
    const auto bound = ports_.find(parsed->destination_port);
    if (header.destination.is_multicast()) {
        // RFC 1122 4.1.3.1: no port unreachable about a datagram to a multicast address.
        if (bound == ports_.end()) return dropped_.count(wire::drop_reason::udp_no_group_member);
        return deliver_to_group(header, bound->second, parsed->source_port, parsed->destination_port,
                                std::move(datagram), now);
    }
    if (bound == ports_.end()) {
        dropped_.count(wire::drop_reason::udp_port_unreachable);
        std::array<std::byte, quote_length> quoted;  // RFC 1122 4.1.3.1
        return errors_.send_error(wire::icmp_type_destination_unreachable, wire::icmp_code_port_unreachable, 0,
                                  header, quote_datagram(header, datagram, quoted), now);
    }
    datagram.trim_front(wire::udp_header::length_bytes);
    const std::optional<std::uint64_t> stamped = datagram.device_timestamp();
    // `now` is the clock reading of the rx burst this frame came in (run to completion).
    udp_datagram delivered{header.source,      parsed->source_port, header.destination, parsed->destination_port,
                           std::move(datagram).into_buffer(), now, stamped};
    if (!bound->second.receivers.front()->deliver(std::move(delivered))) {
        dropped_.count(wire::drop_reason::udp_socket_queue_full);
    }
}

// RFC 1112 7.2: a datagram to a group goes to every member on the port. Each receiver gets
// a view of the one packet (one more reference per mbuf, no copy); the last takes the
// packet's own references.
void udp::deliver_to_group(const wire::ipv4_header& header, const binding& bound, std::uint16_t source_port,
                           std::uint16_t destination_port, packet&& datagram, clock::time_point now) {
    std::size_t members = 0;
    for (const udp_receiver* receiver : bound.receivers) members += receiver->member_of(header.destination) ? 1 : 0;
    if (members == 0) return dropped_.count(wire::drop_reason::udp_no_group_member);
    datagram.trim_front(wire::udp_header::length_bytes);
    const std::optional<std::uint64_t> stamped = datagram.device_timestamp();
    // deliver() only queues or schedules a task (which runs later, in the task stage), so
    // the receivers cannot change during the walk.
    std::size_t left = members;
    for (udp_receiver* receiver : bound.receivers) {
        if (left == 0) break;
        if (!receiver->member_of(header.destination)) continue;
        --left;
        buffer payload = left == 0 ? std::move(datagram).into_buffer() : datagram.share();
        udp_datagram delivered{header.source, source_port, header.destination, destination_port,
                               std::move(payload), now, stamped};
        if (receiver->deliver(std::move(delivered))) {
            ++counters_.multicast_delivered;
        } else {
            dropped_.count(wire::drop_reason::udp_socket_queue_full);
        }
    }
}

// RFC 1122 4.1.3.3: UDP passes the ICMP errors it gets to the application (the receiver
// bound to the port the quoted datagram came from).
void udp::receive_icmp_error(const icmp_error& error, clock::time_point) {
    const auto quoted = wire::udp_header::parse_quoted(error.quoted_payload);
    if (!quoted) return dropped_.count(wire::drop_reason::icmp_truncated);
    const auto bound = ports_.find(quoted->source_port);
    if (bound == ports_.end()) return dropped_.count(wire::drop_reason::icmp_error_unmatched);
    ++counters_.icmp_errors;
    bound->second.receivers.front()->icmp_error(error);
}

send_status udp::send(std::uint16_t source_port, wire::ipv4_address destination, std::uint16_t destination_port,
                      std::span<const std::byte> payload, clock::time_point now) {
    if (payload.size() > max_payload) return send_status::too_large;
    auto datagram = packet::allocate();
    if (!datagram || !datagram->append_copy(payload)) {
        ++counters_.no_mbufs;
        return send_status::no_mbufs;
    }
    return send(source_port, destination, destination_port, std::move(*datagram), now);
}

send_status udp::send(std::uint16_t source_port, wire::ipv4_address destination, std::uint16_t destination_port,
                      packet&& payload, clock::time_point now) {
    if (payload.length() > max_payload) return send_status::too_large;
    auto header_bytes = payload.prepend(wire::udp_header::length_bytes);
    if (!header_bytes) {
        ++counters_.no_mbufs;
        return send_status::no_mbufs;
    }
    wire::udp_header header;
    header.source_port = source_port;
    header.destination_port = destination_port;
    header.length = std::uint16_t(payload.length());
    header.checksum = 0;
    header.emit(*header_bytes);
    const wire::ipv4_address source = ip_.source_address();
    // The device can sum only a datagram that leaves in one frame.
    const bool offloaded = payload.length() <= ip_.max_unfragmented_payload() && ip_.offloads().tx_udp_checksum;
    std::uint16_t checksum;
    if (offloaded) {
        checksum = wire::l4_offload_seed(source, destination, wire::ip_protocol_udp, header.length);
    } else {
        checksum = l4_checksum(source, destination, wire::ip_protocol_udp, payload);
        if (checksum == 0) checksum = 0xffff;  // RFC 768: a computed zero is sent as all ones
    }
    wire::store_be16(*header_bytes, wire::udp_header::checksum_offset, checksum);
    const send_status status = ip_.send(destination, wire::ip_protocol_udp, std::move(payload),
                                        offloaded ? l4_checksum_offload::udp : l4_checksum_offload::none, now);
    if (status == send_status::sent) ++counters_.sent;
    return status;
}

}  // namespace sluice::net
