// Text forms of ipv4_address and ipv4_prefix: strict parsers for
// configuration and command lines, and the printers that undo them.
#include "sluice/net/wire/ipv4_address.hh"

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

}  // namespace sluice::net::wire
