// stack: the layers wired together, and the Ethernet receive dispatch.
#include "sluice/net/stack.hh"

#include <algorithm>
#include <utility>

#include "sluice/net/wire/ethernet.hh"
#include "sluice/net/wire/igmp.hh"
#include "sluice/net/wire/ipv4.hh"

namespace sluice::net {

stack::stack(link_properties link, interface_config config, stack_limits limits)
    : config_(std::move(config)),
      limits_(limits),
      link_(config_.mac.value_or(link.mac), limits_.transmit_queue),
      arp_(link_, config_, limits_.arp, dropped_),
      ipv4_(link_, arp_, config_, link.offloads, limits_.reassembly, dropped_),
      icmp_(ipv4_, config_, limits_.icmp_errors_per_second, limits_.icmp_error_burst, dropped_),
      udp_(ipv4_, icmp_, dropped_),
      igmp_(ipv4_, groups_, limits_.igmp, limits_.housekeeping_period,
            std::uint64_t(config_.address.address.value) << 16 ^ 0x9e3779b97f4a7c15ull, dropped_),
      tcp_(ipv4_, dropped_, limits_.tcp) {
    ipv4_.report_errors_to(icmp_);
    ipv4_.accept_groups(groups_);
    (void)ipv4_.attach(wire::ip_protocol_icmp, icmp_);
    (void)ipv4_.attach(wire::ip_protocol_udp, udp_);
    (void)ipv4_.attach(wire::ip_protocol_igmp, igmp_);
    (void)ipv4_.attach(wire::ip_protocol_tcp, tcp_);
}

void stack::join_group(wire::ipv4_address group, clock::time_point now) {
    if (igmp_.join(group, now) && group_listener_) group_listener_(group, true);
}

void stack::leave_group(wire::ipv4_address group, clock::time_point now) {
    if (igmp_.leave(group, now) && group_listener_) group_listener_(group, false);
}

void stack::handle_frame(packet&& frame, clock::time_point now) {
    ++link_.counters().frames_received;
    // Ethernet and a VLAN tag fit in the first segment of any frame a device delivers; a
    // frame that is shorter than that is short, not split.
    // linearize returns the bytes in place when they are contiguous (the usual case).
    const auto head = frame.linearize(std::min<std::size_t>(frame.length(), 64));
    if (!head) return dropped_.count(wire::drop_reason::no_mbufs);
    const auto ethernet = wire::ethernet_header::parse(*head);
    if (!ethernet) return dropped_.count(ethernet.error());
    // Ours, a broadcast, or the Ethernet address of a group joined here or all-hosts'
    // (RFC 1112 6.4). Promiscuous vdevs see the whole link.
    const ethernet_address& to = ethernet->destination;
    if (to != link_.mac() && !wire::is_broadcast(to) && !groups_.accepts(to)) {
        return dropped_.count(wire::is_ipv4_multicast_mac(to) ? wire::drop_reason::ethernet_group_not_joined
                                                               : wire::drop_reason::ethernet_not_for_us);
    }
    // A priority tag (VLAN id 0, IEEE 802.1Q 9.6) belongs to the untagged network; other
    // VLANs are not configured on the interface.
    if (ethernet->vlan_tci && (*ethernet->vlan_tci & wire::vlan_id_mask) != 0) {
        return dropped_.count(wire::drop_reason::vlan_not_configured);
    }
    switch (ethernet->ethertype) {
        case wire::ethertype_arp: return arp_.receive(head->subspan(ethernet->length()), now);
        case wire::ethertype_ipv4: return ipv4_.receive(std::move(frame), ethernet->length(), now);
        default: return dropped_.count(wire::drop_reason::ethertype_unknown);
    }
}

void stack::housekeeping(clock::time_point now) {
    arp_.housekeeping(now);
    ipv4_.housekeeping(now);
    igmp_.poll(now);
}

stack_counters stack::counters() const noexcept {
    stack_counters c;
    const link_counters& link = link_.counters();
    c.frames_received = link.frames_received;
    c.frames_sent = link.frames_sent;
    c.transmit_queue_full = link.transmit_queue_full;
    c.arp_requests_answered = arp_.counters().requests_answered;
    c.arp_requests_sent = arp_.counters().requests_sent;
    c.ipv4_received = ipv4_.counters().received;
    c.fragments_sent = ipv4_.counters().fragments_sent;
    c.no_route = ipv4_.counters().no_route;
    c.icmp_echo_replies = icmp_.counters().echo_replies;
    c.icmp_unreachable_sent = icmp_.counters().unreachable_sent;
    c.icmp_parameter_problems_sent = icmp_.counters().parameter_problems_sent;
    c.icmp_rate_limited = icmp_.counters().rate_limited;
    c.icmp_errors_received = icmp_.counters().errors_received;
    c.udp_received = udp_.counters().received;
    c.udp_sent = udp_.counters().sent;
    c.udp_multicast_received = udp_.counters().multicast_delivered;
    c.igmp_queries_received = igmp_.counters().queries_received;
    c.igmp_reports_sent = igmp_.counters().reports_sent;
    c.igmp_leaves_sent = igmp_.counters().leaves_sent;
    c.tcp_received = tcp_.counters().segments_received;
    c.tcp_sent = tcp_.counters().segments_sent;
    c.tcp_connections = tcp_.table().size();
    c.tcp_resets_for_no_connection = tcp_.table().counters().resets_for_no_connection;
    c.tcp_syn_cookies_sent = tcp_.table().counters().syn_cookies_sent;
    c.no_mbufs = tcp_.counters().no_mbufs + link.no_mbufs + arp_.counters().no_mbufs + ipv4_.counters().no_mbufs + icmp_.counters().no_mbufs +
                 udp_.counters().no_mbufs + igmp_.counters().no_mbufs;
    c.dropped = dropped_;
    return c;
}

}  // namespace sluice::net
