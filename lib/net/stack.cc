// stack: construction, the Ethernet layer in both directions, ARP input and output, the
// transmit queue and loop integration. IPv4, ICMP and UDP are in their own files.
#include "lib/net/stack.hh"

#include <algorithm>
#include <utility>

#include "lib/net/wire/arp.hh"
#include "lib/net/wire/ethernet.hh"

namespace sluice::net {

stack::stack(device& port, unsigned queue, interface_config config, stack_limits limits)
    : port_(port),
      queue_(queue),
      config_(std::move(config)),
      limits_(limits),
      mac_(config_.mac.value_or(port.mac())),
      offloads_(port.offloads()),
      arp_(limits.arp),
      reassembly_(limits.reassembly),
      icmp_errors_(limits.icmp_errors_per_second, limits.icmp_error_burst) {
    transmit_queue_.reserve(limits_.transmit_queue);
}

stack::~stack() {
    detach();
    for (std::size_t i = transmit_head_; i < transmit_queue_.size(); ++i) {
        packet::from_mbuf(transmit_queue_[i]);  // freed as the temporary goes
    }
}

// --- receive ----------------------------------------------------------------------------

bool stack::receive(clock::time_point now) {
    constexpr std::uint16_t burst = 32;  // DESIGN rule 5
    rte_mbuf* frames[burst];
    const std::uint16_t received = port_.rx_burst(queue_, frames, burst);
    for (std::uint16_t i = 0; i < received; ++i) handle_frame(packet::from_mbuf(frames[i]), now);
    return received != 0;
}

void stack::handle_frame(packet&& frame, clock::time_point now) {
    ++counters_.frames_received;
    // Ethernet and a VLAN tag fit in the first segment of any frame a device delivers; a
    // frame that is shorter than that is short, not split.
    // linearize returns the bytes in place when they are contiguous (the usual case).
    const auto head = frame.linearize(std::min<std::size_t>(frame.length(), 64));
    if (!head) return drop(wire::drop_reason::no_mbufs);
    const auto ethernet = wire::ethernet_header::parse(*head);
    if (!ethernet) return drop(ethernet.reason());
    if (ethernet->destination != mac_ && !wire::is_broadcast(ethernet->destination)) {
        return drop(wire::drop_reason::ethernet_not_for_us);  // promiscuous vdevs see the whole link
    }
    // A priority tag (VLAN id 0, IEEE 802.1Q 9.6) belongs to the untagged network; other
    // VLANs are not configured on the interface.
    if (ethernet->vlan_tci && (*ethernet->vlan_tci & wire::vlan_id_mask) != 0) {
        return drop(wire::drop_reason::vlan_not_configured);
    }
    switch (ethernet->ethertype) {
        case wire::ethertype_arp: return arp_input(head->subspan(ethernet->length()), now);
        case wire::ethertype_ipv4: return ipv4_input(std::move(frame), ethernet->length(), now);
        default: return drop(wire::drop_reason::ethertype_unknown);
    }
}

// RFC 826, "Packet Reception": merge the sender into the table if it is there; add it
// when we are the target; answer requests for our address.
void stack::arp_input(std::span<const std::byte> message, clock::time_point now) {
    const auto arp = wire::arp_packet::parse(message);
    if (!arp) return drop(arp.reason());
    const wire::ipv4_address own = config_.address.address;
    if (arp->sender_ip == own) {
        // Someone else claims our address (RFC 5227 2.4): keep ours, count it.
        return drop(wire::drop_reason::arp_address_conflict);
    }
    const bool for_us = arp->target_ip == own;
    const auto previous = arp_.find(arp->sender_ip, now).mac;
    if (!for_us && !previous) return drop(wire::drop_reason::arp_not_for_us);
    if (!arp->sender_ip.is_unspecified() && config_.address.contains(arp->sender_ip)) {
        for (packet& waiting : arp_.learn(arp->sender_ip, arp->sender_mac, now, for_us)) {
            (void)ethernet_output(arp->sender_mac, wire::ethertype_ipv4, std::move(waiting));
        }
        // Tell the other shards about a new or changed neighbour, and pass on every reply
        // to us: another shard may be the one that asked (its request went out on its own
        // queue, the answer came in on ours).
        const bool reply_to_us = for_us && arp->operation == wire::arp_operation_reply;
        if (neighbour_listener_ && (previous != arp->sender_mac || reply_to_us)) {
            neighbour_listener_(arp->sender_ip, arp->sender_mac);
        }
    }
    if (for_us && arp->operation == wire::arp_operation_request) {
        send_arp(wire::arp_operation_reply, arp->sender_mac, arp->sender_ip, arp->sender_mac);
        ++counters_.arp_requests_answered;
    }
}

void stack::learn_neighbour(wire::ipv4_address address, ethernet_address mac, clock::time_point now) {
    for (packet& waiting : arp_.learn(address, mac, now, true)) {
        (void)ethernet_output(mac, wire::ethertype_ipv4, std::move(waiting));
    }
}

// --- transmit ---------------------------------------------------------------------------

void stack::send_arp(std::uint16_t operation, ethernet_address target_mac, wire::ipv4_address target_ip,
                     ethernet_address ethernet_destination) {
    auto frame = packet::allocate();
    if (!frame) {
        ++counters_.no_mbufs;
        return;
    }
    auto body = frame->append(wire::arp_packet::length);
    if (!body) {
        ++counters_.no_mbufs;
        return;
    }
    wire::arp_packet arp;
    arp.operation = operation;
    arp.sender_mac = mac_;
    arp.sender_ip = config_.address.address;
    arp.target_mac = operation == wire::arp_operation_request ? ethernet_address{} : target_mac;
    arp.target_ip = target_ip;
    arp.emit(*body);
    if (operation == wire::arp_operation_request) ++counters_.arp_requests_sent;
    (void)ethernet_output(ethernet_destination, wire::ethertype_arp, std::move(*frame));
}

void stack::announce(clock::time_point) {
    // RFC 5227 3: an ARP announcement is a request with our address as both sender and target.
    send_arp(wire::arp_operation_request, ethernet_address{}, config_.address.address, wire::ethernet_broadcast);
}

send_status stack::ethernet_output(ethernet_address destination, std::uint16_t ethertype, packet&& payload) {
    // Short frames are padded to the 60-byte minimum here: vdevs such as af_packet and
    // tap do not pad, and a peer may drop a runt.
    const std::size_t frame_length = payload.length() + wire::ethernet_header_length;
    if (frame_length < wire::ethernet_min_frame_length) {
        auto padding = payload.append(wire::ethernet_min_frame_length - frame_length);
        if (!padding) {
            ++counters_.no_mbufs;
            return send_status::no_mbufs;
        }
        std::fill(padding->begin(), padding->end(), std::byte{0});
    }
    auto header = payload.prepend(wire::ethernet_header_length);
    if (!header) {
        ++counters_.no_mbufs;
        return send_status::no_mbufs;
    }
    wire::ethernet_header ethernet;
    ethernet.destination = destination;
    ethernet.source = mac_;
    ethernet.ethertype = ethertype;
    ethernet.emit(*header);
    return enqueue(std::move(payload)) ? send_status::sent : send_status::queue_full;
}

bool stack::enqueue(packet&& frame) {
    if (transmit_queue_.size() - transmit_head_ >= limits_.transmit_queue) {
        ++counters_.transmit_queue_full;
        return false;  // the frame is freed as the caller's temporary goes
    }
    if (transmit_queue_.size() == transmit_queue_.capacity() && transmit_head_ != 0) {
        transmit_queue_.erase(transmit_queue_.begin(), transmit_queue_.begin() + std::ptrdiff_t(transmit_head_));
        transmit_head_ = 0;
    }
    transmit_queue_.push_back(frame.release());
    return true;
}

bool stack::transmit() {
    const std::size_t waiting = transmit_queue_.size() - transmit_head_;
    if (waiting == 0) return false;
    const auto count = std::uint16_t(std::min<std::size_t>(waiting, 512));
    const std::uint16_t sent = port_.tx_burst(queue_, transmit_queue_.data() + transmit_head_, count);
    transmit_head_ += sent;
    counters_.frames_sent += sent;
    if (transmit_head_ == transmit_queue_.size()) {
        transmit_queue_.clear();
        transmit_head_ = 0;
    }
    return sent != 0;
}

// --- time -------------------------------------------------------------------------------

void stack::housekeeping(clock::time_point now) {
    for (wire::ipv4_address address : arp_.advance(now)) {
        send_arp(wire::arp_operation_request, ethernet_address{}, address, wire::ethernet_broadcast);
    }
    reassembly_.expire(now);
}

void stack::attach(shard& owner, bool announce_now) {
    owner_ = &owner;
    receive_poller_.owner = this;
    receive_poller_.receive_stage = true;
    transmit_poller_.owner = this;
    transmit_poller_.receive_stage = false;
    owner.add_poller(receive_poller_, loop_stage::receive);
    owner.add_poller(transmit_poller_, loop_stage::transmit);
    housekeeping_timer_ = std::make_unique<timer>([this] {
        housekeeping(clock::now());
        housekeeping_timer_->arm_in(limits_.housekeeping_period);
    });
    housekeeping_timer_->arm_in(limits_.housekeeping_period);
    if (announce_now) announce(clock::now());
}

void stack::detach() {
    if (owner_ == nullptr) return;
    owner_->remove_poller(receive_poller_);
    owner_->remove_poller(transmit_poller_);
    housekeeping_timer_.reset();
    owner_ = nullptr;
}

}  // namespace sluice::net
