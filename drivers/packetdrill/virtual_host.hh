// sluice::packetdrill::virtual_host: one host under test with no NIC, no Ethernet and no
// net::stack — IPv4 datagrams in (deliver), Sluice's TCP, and IPv4 datagrams out into a
// queue that packetdrill drains — on a virtual clock that moves only when told
// (advance_to), firing TCP's timers at their deadlines on the way. Owned by the shared
// object's instance; called under its lock, with its packet pool current on the thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/net/ipv4_output.hh"
#include "sluice/net/tcp/tcp_protocol.hh"
#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::packetdrill {

// A datagram the host sent, and the virtual time it left.
struct sent_datagram {
    std::vector<std::byte> bytes;  // IPv4 header first
    clock::time_point at;
};

class virtual_host final : public net::ipv4_output {
public:
    // `address` is ours (every datagram's source); `mtu` bounds what leaves unfragmented.
    virtual_host(net::wire::ipv4_address address, std::size_t mtu, const net::tcp::table_limits& limits,
                 clock::time_point start);

    // A datagram from packetdrill, checked as IPv4 input checks it (header, checksum, for
    // us, not a fragment) and handed to TCP. False, with the reason, when it is dropped.
    bool deliver(std::span<const std::byte> datagram, const char** why_dropped);

    clock::time_point now() const noexcept { return now_; }
    // Moves the clock to `when` (never back), running TCP's timers at each deadline passed.
    void advance_to(clock::time_point when);
    // The oldest datagram sent; if none is queued, lets virtual time run from deadline to
    // deadline until one leaves, but not past `limit`. Empty when none left by then.
    std::optional<sent_datagram> next_sent(clock::time_point limit);

    net::tcp::tcp_protocol& tcp() noexcept { return tcp_; }
    const net::wire::drop_counters& dropped() const noexcept { return dropped_; }

    // --- net::ipv4_output -----------------------------------------------------------------
    [[nodiscard]] net::send_status send(net::wire::ipv4_address destination, std::uint8_t protocol, net::packet&& segment,
                                        net::l4_checksum_offload offload, clock::time_point now) override;
    [[nodiscard]] net::send_status send_with(const net::datagram_options& options, net::wire::ipv4_address destination,
                                             std::uint8_t protocol, net::packet&& segment,
                                             clock::time_point now) override;
    net::wire::ipv4_address source_address() const noexcept override { return address_; }
    std::size_t max_unfragmented_payload() const noexcept override;
    net::offload_flags offloads() const noexcept override { return {}; }  // software checksums only

private:
    net::send_status queue(std::uint8_t ttl, net::wire::ipv4_address destination, std::uint8_t protocol,
                           const net::packet& segment, clock::time_point now);

    net::wire::ipv4_address address_;
    std::size_t mtu_;
    clock::time_point now_;
    net::wire::drop_counters dropped_;
    net::tcp::tcp_protocol tcp_;
    std::deque<sent_datagram> sent_;
    std::uint16_t next_identification_ = 1;
};

}  // namespace sluice::packetdrill
