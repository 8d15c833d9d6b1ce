#include "sluice/net/device_io.hh"

namespace sluice::net {

bool receive_burst(stack& host, device& port, unsigned queue, clock::time_point now) {
    constexpr std::uint16_t burst = 32;
    rte_mbuf* frames[burst];
    const std::uint16_t received = port.rx_burst(queue, frames, burst);
    for (std::uint16_t i = 0; i < received; ++i) host.handle_frame(packet::from_mbuf(frames[i]), now);
    return received != 0;
}

bool transmit_burst(stack& host, device& port, unsigned queue) {
    return host.transmit(
        [&port, queue](rte_mbuf** frames, std::uint16_t count) { return port.tx_burst(queue, frames, count); });
}

}  // namespace sluice::net
