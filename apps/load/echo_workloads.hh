// The echo workloads of sluice-load: "echo-udp"/"echo-tcp" (any byte echo: sluice-echo, nc,
// socat) and "sockperf-udp"/"sockperf-tcp" (sockperf's message framing, which `sockperf
// server` and sluice-echo answer). Every request is `message_size` bytes and carries its
// sequence number in its first 8 bytes, so a datagram's answer is matched by number.
#pragma once

#include <vector>

#include "apps/load/workload.hh"

namespace sluice::load {

// sockperf's header: sequence (8), flags (2), length (4), all in network order; a client
// message asks for a pong with flags client | pong request, the answer clears client.
inline constexpr std::size_t sockperf_header_length = 14;
inline constexpr std::uint16_t sockperf_flag_client = 1;
inline constexpr std::uint16_t sockperf_flag_pong_request = 2;

// What both share: every request is a copy of one template (built once) with its
// sequence number in the first 8 bytes, over the transport given.
class numbered_message_workload : public workload {
public:
    load::transport transport() const noexcept override { return transport_; }
    std::size_t max_request_size() const noexcept override { return template_.size(); }
    std::size_t build_request(std::uint64_t sequence, std::span<std::byte> out) final;

protected:
    numbered_message_workload(load::transport carried_over, std::size_t message_size)
        : transport_(carried_over), template_(message_size) {}
    std::size_t message_size() const noexcept { return template_.size(); }
    std::span<std::byte> template_bytes() noexcept { return template_; }

private:
    load::transport transport_;
    std::vector<std::byte> template_;  // a request with sequence number 0
};

class echo_workload final : public numbered_message_workload {
public:
    echo_workload(load::transport carried_over, std::size_t message_size);
    std::string_view name() const noexcept override;
    // The echo of one request: message_size bytes, whatever they hold.
    response_scan scan_response(std::span<const std::byte> received) const override;
    std::optional<std::uint64_t> answered_sequence(std::span<const std::byte> datagram) const override;
};

class sockperf_workload final : public numbered_message_workload {
public:
    sockperf_workload(load::transport carried_over, std::size_t message_size);
    std::string_view name() const noexcept override;
    // A pong: the length field gives its size, and the client flag must be clear.
    response_scan scan_response(std::span<const std::byte> received) const override;
    std::optional<std::uint64_t> answered_sequence(std::span<const std::byte> datagram) const override;
};

}  // namespace sluice::load
