// stack: ICMP (RFC 792, RFC 1122 3.2.2) — echo replies made in place from the request's
// own mbufs, and port or protocol unreachable, rate-limited (RFC 1812 4.3.2.8).
#include <algorithm>
#include <array>
#include <utility>

#include "lib/net/packet_checksum.hh"
#include "lib/net/stack.hh"
#include "lib/net/wire/byte_order.hh"
#include "lib/net/wire/checksum.hh"
#include "lib/net/wire/icmp.hh"
#include "lib/net/wire/ipv4.hh"

namespace sluice::net {

namespace {

// The checksum of a whole message that may span segments.
std::uint16_t checksum_of(const packet& message) {
    wire::internet_checksum sum;
    add_to_checksum(sum, message);
    return sum.finish();
}

}  // namespace

void stack::icmp_input(const wire::ipv4_header& header, packet&& message, clock::time_point now) {
    const auto head = message.linearize(std::min<std::size_t>(message.length(), wire::icmp_header::length));
    if (!head) return drop(wire::drop_reason::icmp_truncated);
    const auto icmp = wire::icmp_header::parse(*head, false);
    if (!icmp) return drop(icmp.reason());
    if (checksum_of(message) != 0) return drop(wire::drop_reason::icmp_bad_checksum);
    // RFC 1122 3.2.2.6: answer echo requests to our own address; one to a broadcast
    // address may be ignored, and is (no amplification).
    if (icmp->type != wire::icmp_type_echo_request || header.destination != config_.address.address) {
        return drop(wire::drop_reason::icmp_not_handled);
    }
    // The reply is the request with its type changed (RFC 792, "Echo or Echo Reply
    // Message"): identifier, sequence and data come back as they came. Rewrite in place
    // when we hold the only reference; otherwise reply from a copy.
    auto writable = message.writable(0, wire::icmp_header::length);
    if (!writable) {
        std::array<std::byte, 2048> scratch;
        if (message.length() > scratch.size()) return drop(wire::drop_reason::icmp_not_handled);
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
    wire::icmp_header reply = *icmp;
    reply.type = wire::icmp_type_echo_reply;
    reply.code = 0;
    reply.checksum = 0;
    reply.emit(*writable);
    wire::store_be16(*writable, wire::icmp_header::checksum_offset, checksum_of(message));
    if (ipv4_output(header.source, wire::ip_protocol_icmp, std::move(message), now, false) == send_status::sent) {
        ++counters_.icmp_echo_replies;
    }
}

void stack::send_unreachable(std::uint8_t code, const wire::ipv4_header& header, const packet& datagram,
                             clock::time_point now) {
    // RFC 1122 3.2.2: never about a broadcast datagram, nor one from a non-unicast source.
    if (header.destination != config_.address.address) return;
    if (!icmp_errors_.try_take(now)) {
        ++counters_.icmp_rate_limited;
        return;
    }
    // RFC 792: the original IP header and the first 64 bits of its data.
    constexpr std::size_t quoted_data = 8;
    std::array<std::byte, wire::icmp_header::length + wire::ipv4_header::min_length + quoted_data> body{};
    wire::icmp_header icmp;
    icmp.type = wire::icmp_type_destination_unreachable;
    icmp.code = code;
    icmp.checksum = 0;
    icmp.rest = 0;
    icmp.emit(body);
    wire::ipv4_header original = header;
    original.header_length = wire::ipv4_header::min_length;
    original.emit(std::span<std::byte>(body).subspan(wire::icmp_header::length));
    const std::size_t copied =
        datagram.copy_out(0, std::span<std::byte>(body).subspan(wire::icmp_header::length + wire::ipv4_header::min_length));
    const std::size_t length = wire::icmp_header::length + wire::ipv4_header::min_length + copied;
    wire::store_be16(body, wire::icmp_header::checksum_offset,
                     wire::internet_checksum::of(std::span<const std::byte>(body.data(), length)));
    auto message = packet::copy_of(std::span<const std::byte>(body.data(), length));
    if (!message) {
        ++counters_.no_mbufs;
        return;
    }
    if (ipv4_output(header.source, wire::ip_protocol_icmp, std::move(*message), now, false) == send_status::sent) {
        ++counters_.icmp_unreachable_sent;
    }
}

}  // namespace sluice::net
