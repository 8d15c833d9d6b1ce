#include "sluice/net/ethernet_link.hh"

#include <algorithm>
#include <utility>

#include "sluice/net/wire/ethernet.hh"

namespace sluice::net {

ethernet_link::ethernet_link(ethernet_address mac, std::size_t transmit_limit)
    : mac_(mac), limit_(transmit_limit), queue_(std::min<std::size_t>(transmit_limit, 1024)) {}

ethernet_link::~ethernet_link() {
    while (!queue_.empty()) packet::from_mbuf(queue_.pop_front());  // freed as the temporary goes
}

send_status ethernet_link::output(ethernet_address destination, std::uint16_t ethertype, packet&& payload) {
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
    if (queue_.size() >= limit_) {
        ++counters_.transmit_queue_full;
        return send_status::queue_full;  // the frame is freed as the caller's temporary goes
    }
    queue_.push_back(payload.release());
    return send_status::sent;
}

}  // namespace sluice::net
