// icmp: echo replies, errors in and errors out (RFC 792, RFC 1122 3.2.2).
#include "sluice/net/icmp.hh"

#include <algorithm>
#include <array>
#include <utility>

#include "sluice/net/packet_checksum.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/icmp.hh"

namespace sluice::net {

icmp::icmp(ipv4& ip, const interface_config& config, std::uint32_t errors_per_second, std::uint32_t error_burst,
           wire::drop_counters& dropped)
    : ip_(ip), config_(config), dropped_(dropped), errors_(errors_per_second, error_burst) {}

void icmp::receive(const wire::ipv4_header& header, packet&& message, clock::time_point now) {
    const auto head = message.linearize(std::min<std::size_t>(message.length(), wire::icmp_header::length));
    if (!head) return dropped_.count(wire::drop_reason::icmp_truncated);
    const auto parsed = wire::icmp_header::parse(*head, false);
    if (!parsed) return dropped_.count(parsed.error());
    if (internet_checksum_of(message) != 0) return dropped_.count(wire::drop_reason::icmp_bad_checksum);
    switch (parsed->type) {
        case wire::icmp_type_echo_request: return answer_echo(header, *parsed, std::move(message), now);
        case wire::icmp_type_destination_unreachable:
        case wire::icmp_type_time_exceeded:
        case wire::icmp_type_parameter_problem: return pass_error(header, *parsed, message, now);
        default: return dropped_.count(wire::drop_reason::icmp_not_handled);
    }
}

void icmp::answer_echo(const wire::ipv4_header& header, const wire::icmp_header& request, packet&& message,
                       clock::time_point now) {
    // RFC 1122 3.2.2.6: answer echo requests to our own address; one to a broadcast
    // address may be ignored, and is (no amplification).
    if (header.destination != config_.address.address) return dropped_.count(wire::drop_reason::icmp_not_handled);
    // The reply is the request with its type changed (RFC 792, "Echo or Echo Reply
    // Message"): identifier, sequence and data come back as they came. Rewrite in place
    // when we hold the only reference; otherwise reply from a copy.
    auto writable = message.writable(0, wire::icmp_header::length);
    if (!writable) {
        std::array<std::byte, 2048> scratch;
        if (message.length() > scratch.size()) return dropped_.count(wire::drop_reason::icmp_not_handled);
        const std::size_t copied = message.copy_out(0, scratch);
        auto copy = packet::copy_of(std::span<const std::byte>(scratch.data(), copied));
        if (!copy) {
            ++counters_.no_mbufs;
            return;
        }
        message = std::move(*copy);
        writable = message.writable(0, wire::icmp_header::length);
        if (!writable) return;
    }
    wire::icmp_header reply = request;
    reply.type = wire::icmp_type_echo_reply;
    reply.code = 0;
    reply.checksum = 0;
    reply.emit(*writable);
    wire::store_be16(*writable, wire::icmp_header::checksum_offset, internet_checksum_of(message));
    if (ip_.send(header.source, wire::ip_protocol_icmp, std::move(message), l4_checksum_offload::none, now) ==
        send_status::sent) {
        ++counters_.echo_replies;
    }
}

// RFC 1122 3.2.2.1: an error goes to the protocol of the datagram it quotes, which must be
// one we sent; it needs the quoted IP header and at least 8 bytes of its data.
void icmp::pass_error(const wire::ipv4_header& header, const wire::icmp_header& error, const packet& message,
                      clock::time_point now) {
    std::array<std::byte, wire::ipv4_header::max_length + 64> quoted;
    const std::size_t copied = message.copy_out(wire::icmp_header::length, quoted);
    const std::span<const std::byte> bytes(quoted.data(), copied);
    // The quote is cut short by design: its total length is not checked against it.
    const auto original = wire::ipv4_header::parse(bytes, wire::ipv4_header::max_datagram_length, false);
    if (!original || copied < original->header_length + 8) return dropped_.count(wire::drop_reason::icmp_truncated);
    l4_protocol* protocol = ip_.protocol(original->protocol);
    if (original->source != config_.address.address || protocol == nullptr || protocol == this) {
        return dropped_.count(wire::drop_reason::icmp_error_unmatched);
    }
    ++counters_.errors_received;
    const icmp_error report{header.source, error.type, error.code, error.rest, *original,
                            bytes.subspan(original->header_length)};
    protocol->receive_icmp_error(report, now);
}

void icmp::send_error(std::uint8_t type, std::uint8_t code, std::uint32_t rest, const wire::ipv4_header& header,
                      std::span<const std::byte> quoted, clock::time_point now) {
    // RFC 1122 3.2.2: never about a broadcast datagram, nor one from a non-unicast source.
    if (header.destination != config_.address.address) return;
    if (!errors_.try_take(now)) {
        ++counters_.rate_limited;
        return;
    }
    std::array<std::byte, wire::icmp_header::length + wire::ipv4_header::max_length + 8> body{};
    const std::size_t quoted_length = std::min(quoted.size(), body.size() - wire::icmp_header::length);
    wire::icmp_header message;
    message.type = type;
    message.code = code;
    message.checksum = 0;
    message.rest = rest;
    message.emit(body);
    std::copy_n(quoted.begin(), quoted_length, body.begin() + wire::icmp_header::length);
    const std::span<const std::byte> whole(body.data(), wire::icmp_header::length + quoted_length);
    wire::store_be16(body, wire::icmp_header::checksum_offset, wire::internet_checksum::of(whole));
    auto error = packet::copy_of(whole);
    if (!error) {
        ++counters_.no_mbufs;
        return;
    }
    if (ip_.send(header.source, wire::ip_protocol_icmp, std::move(*error), l4_checksum_offload::none, now) !=
        send_status::sent) {
        return;
    }
    if (type == wire::icmp_type_parameter_problem) {
        ++counters_.parameter_problems_sent;
    } else {
        ++counters_.unreachable_sent;
    }
}

std::span<const std::byte> quote_datagram(const wire::ipv4_header& header, const packet& payload,
                                          std::span<std::byte, quote_length> out) noexcept {
    wire::ipv4_header original = header;
    original.header_length = wire::ipv4_header::min_length;
    original.emit(out);
    const std::size_t data = payload.copy_out(0, out.subspan(wire::ipv4_header::min_length));
    return std::span<const std::byte>(out.data(), wire::ipv4_header::min_length + data);
}

}  // namespace sluice::net
