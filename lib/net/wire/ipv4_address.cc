// Text forms of ipv4_address, ipv4_prefix and ethernet_address: strict parsers for
// configuration and command lines, and the printers that undo them.
#include "lib/net/wire/ipv4_address.hh"

#include <cstdio>

namespace sluice::net::wire {
namespace {

// A decimal number in [0, max] without sign, spaces or a leading zero ("0" itself is fine).
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) noexcept {
    if (text.empty() || text.size() > 3) return std::nullopt;  // every caller's max has at most 3 digits
    if (text.size() > 1 && text[0] == '0') return std::nullopt;
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > max) return std::nullopt;
    return value;
}

std::optional<unsigned> parse_hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    return std::nullopt;
}

}  // namespace

std::optional<ipv4_address> ipv4_address::parse(std::string_view text) noexcept {
    std::uint32_t value = 0;
    for (int part = 0; part < 4; ++part) {
        std::string_view digits = text;
        if (part < 3) {
            const std::size_t dot = text.find('.');
            if (dot == std::string_view::npos) return std::nullopt;
            digits = text.substr(0, dot);
            text.remove_prefix(dot + 1);
        }
        const std::optional<unsigned> octet = parse_decimal(digits, 255);
        if (!octet) return std::nullopt;  // also catches a fifth part: "1.2.3.4.5" leaves "4.5"
        value = value << 8 | *octet;
    }
    return ipv4_address{value};
}

std::string ipv4_address::to_string() const {
    char text[16];  // "255.255.255.255" and its terminator
    std::snprintf(text, sizeof text, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xffu, (value >> 8) & 0xffu,
                  value & 0xffu);
    return text;
}

std::optional<ipv4_prefix> ipv4_prefix::parse(std::string_view text) noexcept {
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const std::optional<ipv4_address> address = ipv4_address::parse(text.substr(0, slash));
    const std::optional<unsigned> length = parse_decimal(text.substr(slash + 1), 32);
    if (!address || !length) return std::nullopt;
    return ipv4_prefix{*address, *length};
}

std::string ipv4_prefix::to_string() const { return address.to_string() + "/" + std::to_string(length); }

std::optional<ethernet_address> parse_ethernet_address(std::string_view text) noexcept {
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

}  // namespace sluice::net::wire
