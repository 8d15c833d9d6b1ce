// sluice::net::icmp: the stack's ICMP (RFC 792, RFC 1122 3.2.2) as the l4_protocol of
// number 1 — echo replies made in place from the request's own mbufs; errors we receive
// passed to the protocol whose datagram they quote; and, as the icmp_error_sender, the
// errors other layers ask for (unreachable, parameter problem), rate-limited (RFC 1812
// 4.3.2.8). Sans-I/O; one shard's stack owns it.
#pragma once

#include <cstdint>

#include "sluice/net/interface_config.hh"
#include "sluice/net/ipv4.hh"
#include "sluice/net/l4_protocol.hh"
#include "sluice/net/token_bucket.hh"
#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/icmp.hh"

namespace sluice::net {

struct icmp_counters {
    std::uint64_t echo_replies = 0;
    std::uint64_t unreachable_sent = 0;         // port and protocol unreachable
    std::uint64_t parameter_problems_sent = 0;
    std::uint64_t rate_limited = 0;             // errors not sent: over the rate
    std::uint64_t errors_received = 0;          // passed to the protocol they quote
    std::uint64_t no_mbufs = 0;
};

class icmp final : public l4_protocol, public icmp_error_sender {
public:
    // `errors_per_second` and `error_burst` bound the errors we send.
    icmp(ipv4& ip, const interface_config& config, std::uint32_t errors_per_second, std::uint32_t error_burst,
         wire::drop_counters& dropped);

    void receive(const wire::ipv4_header& header, packet&& message, clock::time_point now) override;
    // No error is ever sent about an ICMP error (RFC 1122 3.2.2), and we send only those
    // and echo replies: nothing to act on.
    void receive_icmp_error(const icmp_error&, clock::time_point) override {}

    void send_error(std::uint8_t type, std::uint8_t code, std::uint32_t rest, const wire::ipv4_header& header,
                    std::span<const std::byte> quoted, clock::time_point now) override;

    const icmp_counters& counters() const noexcept { return counters_; }

private:
    void answer_echo(const wire::ipv4_header& header, const wire::icmp_header& request, packet&& message,
                     clock::time_point now);
    void pass_error(const wire::ipv4_header& header, const wire::icmp_header& error, const packet& message,
                    clock::time_point now);

    ipv4& ip_;
    const interface_config& config_;
    wire::drop_counters& dropped_;
    token_bucket errors_;
    icmp_counters counters_;
};

}  // namespace sluice::net
