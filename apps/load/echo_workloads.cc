// Byte layouts of the echo workloads; sockperf's framing is described in
// docs/architecture.md ("sluice-echo") and checked against sockperf itself by the rig.
#include "apps/load/echo_workloads.hh"

#include <algorithm>
#include <cstring>

namespace sluice::load {
namespace {

void store_be(std::span<std::byte> out, std::size_t at, std::uint64_t value, std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i) out[at + i] = std::byte((value >> (8 * (bytes - 1 - i))) & 0xff);
}

std::uint64_t load_be(std::span<const std::byte> in, std::size_t at, std::size_t bytes) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < bytes; ++i) value = value << 8 | std::to_integer<std::uint64_t>(in[at + i]);
    return value;
}

// The filler after the sequence number: a fixed pattern, so a corrupted echo is visible
// in a capture.
void fill_pattern(std::span<std::byte> out, std::size_t from) {
    for (std::size_t i = from; i < out.size(); ++i) out[i] = std::byte('a' + i % 26);
}

}  // namespace

std::size_t numbered_message_workload::build_request(std::uint64_t sequence, std::span<std::byte> out) {
    // A copy of the fixed bytes, then the number: cheaper than writing the pattern anew.
    const auto message = out.first(template_.size());
    std::memcpy(message.data(), template_.data(), template_.size());
    store_be(message, 0, sequence, 8);
    return template_.size();
}

echo_workload::echo_workload(load::transport carried_over, std::size_t size)
    : numbered_message_workload(carried_over, std::max<std::size_t>(size, 8)) {
    fill_pattern(template_bytes(), 8);
}

std::string_view echo_workload::name() const noexcept {
    return transport() == load::transport::udp ? "echo-udp" : "echo-tcp";
}

response_scan echo_workload::scan_response(std::span<const std::byte> received) const {
    if (received.size() < message_size()) return response_scan::need_more();
    return response_scan::whole(message_size());
}

std::optional<std::uint64_t> echo_workload::answered_sequence(std::span<const std::byte> datagram) const {
    if (datagram.size() != message_size()) return std::nullopt;
    return load_be(datagram, 0, 8);
}

sockperf_workload::sockperf_workload(load::transport carried_over, std::size_t size)
    : numbered_message_workload(carried_over, std::max(size, sockperf_header_length)) {
    store_be(template_bytes(), 8, sockperf_flag_client | sockperf_flag_pong_request, 2);
    store_be(template_bytes(), 10, message_size(), 4);
    fill_pattern(template_bytes(), sockperf_header_length);
}

std::string_view sockperf_workload::name() const noexcept {
    return transport() == load::transport::udp ? "sockperf-udp" : "sockperf-tcp";
}

response_scan sockperf_workload::scan_response(std::span<const std::byte> received) const {
    if (received.size() < sockperf_header_length) return response_scan::need_more();
    const std::uint64_t length = load_be(received, 10, 4);
    const std::uint64_t flags = load_be(received, 8, 2);
    if (length < sockperf_header_length || length > (1u << 20)) {
        return response_scan::bad("sockperf length field " + std::to_string(length) + " is not a message size");
    }
    if ((flags & sockperf_flag_client) != 0) {
        return response_scan::bad("sockperf message with the client flag set: the server sent a request, not a pong");
    }
    if (received.size() < length) return response_scan::need_more();
    return response_scan::whole(std::size_t(length));
}

std::optional<std::uint64_t> sockperf_workload::answered_sequence(std::span<const std::byte> datagram) const {
    if (datagram.size() < sockperf_header_length) return std::nullopt;
    if (load_be(datagram, 10, 4) != datagram.size() || (load_be(datagram, 8, 2) & sockperf_flag_client) != 0) {
        return std::nullopt;
    }
    return load_be(datagram, 0, 8);
}

}  // namespace sluice::load
