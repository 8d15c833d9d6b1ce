#include "sluice/net/arp.hh"

#include <utility>

#include "sluice/net/wire/arp.hh"
#include "sluice/net/wire/ethernet.hh"

namespace sluice::net {

arp::arp(ethernet_link& link, const interface_config& config, arp_limits limits, wire::drop_counters& dropped)
    : link_(link), config_(config), dropped_(dropped), cache_(limits) {}

// RFC 826, "Packet Reception": merge the sender into the table if it is there; add it
// when we are the target; answer requests for our address.
void arp::receive(std::span<const std::byte> message, clock::time_point now) {
    const auto packet = wire::arp_packet::parse(message);
    if (!packet) return dropped_.count(packet.error());
    const wire::ipv4_address own = config_.address.address;
    if (packet->sender_ip == own) {
        // Someone else claims our address (RFC 5227 2.4): keep ours, count it.
        return dropped_.count(wire::drop_reason::arp_address_conflict);
    }
    const bool for_us = packet->target_ip == own;
    const auto previous = cache_.find(packet->sender_ip, now).mac;
    if (!for_us && !previous) return dropped_.count(wire::drop_reason::arp_not_for_us);
    if (!packet->sender_ip.is_unspecified() && config_.address.contains(packet->sender_ip)) {
        release_waiting(packet->sender_mac, cache_.learn(packet->sender_ip, packet->sender_mac, now, for_us));
        // Tell the other shards about a new or changed neighbour, and pass on every reply
        // to us: another shard may be the one that asked (its request went out on its own
        // queue, the answer came in on ours).
        const bool reply_to_us = for_us && packet->operation == wire::arp_operation_reply;
        if (listener_ && (previous != packet->sender_mac || reply_to_us)) {
            listener_(packet->sender_ip, packet->sender_mac);
        }
    }
    if (for_us && packet->operation == wire::arp_operation_request) {
        send(wire::arp_operation_reply, packet->sender_mac, packet->sender_ip, packet->sender_mac);
        ++counters_.requests_answered;
    }
}

send_status arp::output(wire::ipv4_address next_hop, packet&& ip_packet, clock::time_point now) {
    const auto found = cache_.find(next_hop, now);
    if (found.mac) {
        if (found.send_refresh) send(wire::arp_operation_request, ethernet_address{}, next_hop, *found.mac);
        return link_.output(*found.mac, wire::ethertype_ipv4, std::move(ip_packet));
    }
    switch (cache_.hold(next_hop, std::move(ip_packet), now)) {
        case arp_cache::hold_outcome::held_send_request:
            send(wire::arp_operation_request, ethernet_address{}, next_hop, wire::ethernet_broadcast);
            return send_status::sent;
        case arp_cache::hold_outcome::held: return send_status::sent;
        case arp_cache::hold_outcome::dropped: return send_status::queue_full;
    }
    return send_status::queue_full;
}

void arp::learn_neighbour(wire::ipv4_address address, ethernet_address mac, clock::time_point now) {
    release_waiting(mac, cache_.learn(address, mac, now, true));
}

void arp::release_waiting(ethernet_address mac, std::vector<packet>&& waiting) {
    for (packet& held : waiting) (void)link_.output(mac, wire::ethertype_ipv4, std::move(held));
}

void arp::announce() {
    // RFC 5227 3: an ARP announcement is a request with our address as both sender and target.
    send(wire::arp_operation_request, ethernet_address{}, config_.address.address, wire::ethernet_broadcast);
}

void arp::housekeeping(clock::time_point now) {
    for (wire::ipv4_address address : cache_.advance(now)) {
        send(wire::arp_operation_request, ethernet_address{}, address, wire::ethernet_broadcast);
    }
}

void arp::send(std::uint16_t operation, ethernet_address target_mac, wire::ipv4_address target_ip,
               ethernet_address ethernet_destination) {
    auto frame = packet::allocate();
    auto body = frame ? frame->append(wire::arp_packet::length) : buffer_result<std::span<std::byte>>(frame.error());
    if (!body) {
        ++counters_.no_mbufs;
        return;
    }
    wire::arp_packet message;
    message.operation = operation;
    message.sender_mac = link_.mac();
    message.sender_ip = config_.address.address;
    message.target_mac = operation == wire::arp_operation_request ? ethernet_address{} : target_mac;
    message.target_ip = target_ip;
    message.emit(*body);
    if (operation == wire::arp_operation_request) ++counters_.requests_sent;
    (void)link_.output(ethernet_destination, wire::ethertype_arp, std::move(*frame));
}

}  // namespace sluice::net
