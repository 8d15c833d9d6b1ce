// The text form of ethernet_address: a strict parser for configuration, and its printer.
#include "sluice/net/wire/ethernet_address.hh"

#include <cstdio>

namespace sluice::net::wire {
namespace {

std::optional<unsigned> parse_hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    return std::nullopt;
}

}  // namespace

std::optional<ethernet_address> ethernet_address::parse(std::string_view text) noexcept {
    constexpr std::size_t text_length = 6 * 2 + 5;  // "xx:xx:xx:xx:xx:xx"
    if (text.size() != text_length) return std::nullopt;
    ethernet_address address;
    for (std::size_t i = 0; i < address.bytes.size(); ++i) {
        const std::size_t at = i * 3;
        if (i > 0 && text[at - 1] != ':') return std::nullopt;
        const std::optional<unsigned> high = parse_hex_digit(text[at]);
        const std::optional<unsigned> low = parse_hex_digit(text[at + 1]);
        if (!high || !low) return std::nullopt;
        address.bytes[i] = static_cast<std::uint8_t>(*high << 4 | *low);
    }
    return address;
}

std::string ethernet_address::to_string() const {
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
                  bytes[5]);
    return text;
}

}  // namespace sluice::net::wire
