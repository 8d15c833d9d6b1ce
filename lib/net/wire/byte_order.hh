// sluice::net::wire byte order: big-endian (network byte order, RFC 1700 "Data Notations")
// loads and stores of 16- and 32-bit fields at a byte offset. Pure functions, any thread.
// The caller owns the bytes and has checked that offset + width fits the span.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace sluice::net::wire {

// Each call copies the field's bytes out with memcpy (no unaligned or type-punned access)
// and assembles the value most significant byte first, so the result is the same on any
// host; compilers turn the pair into one load and a byte swap.

inline std::uint8_t load_u8(std::span<const std::byte> bytes, std::size_t offset) noexcept {
    assert(offset < bytes.size());
    return std::to_integer<std::uint8_t>(bytes[offset]);
}

inline std::uint16_t load_be16(std::span<const std::byte> bytes, std::size_t offset) noexcept {
    assert(offset <= bytes.size() && bytes.size() - offset >= 2);
    unsigned char field[2];
    std::memcpy(field, bytes.data() + offset, sizeof field);
    return static_cast<std::uint16_t>(field[0] << 8 | field[1]);
}

inline std::uint32_t load_be32(std::span<const std::byte> bytes, std::size_t offset) noexcept {
    assert(offset <= bytes.size() && bytes.size() - offset >= 4);
    unsigned char field[4];
    std::memcpy(field, bytes.data() + offset, sizeof field);
    return std::uint32_t{field[0]} << 24 | std::uint32_t{field[1]} << 16 | std::uint32_t{field[2]} << 8 | field[3];
}

inline void store_u8(std::span<std::byte> bytes, std::size_t offset, std::uint8_t value) noexcept {
    assert(offset < bytes.size());
    bytes[offset] = std::byte{value};
}

inline void store_be16(std::span<std::byte> bytes, std::size_t offset, std::uint16_t value) noexcept {
    assert(offset <= bytes.size() && bytes.size() - offset >= 2);
    const unsigned char field[2] = {static_cast<unsigned char>(value >> 8), static_cast<unsigned char>(value)};
    std::memcpy(bytes.data() + offset, field, sizeof field);
}

inline void store_be32(std::span<std::byte> bytes, std::size_t offset, std::uint32_t value) noexcept {
    assert(offset <= bytes.size() && bytes.size() - offset >= 4);
    const unsigned char field[4] = {static_cast<unsigned char>(value >> 24), static_cast<unsigned char>(value >> 16),
                                    static_cast<unsigned char>(value >> 8), static_cast<unsigned char>(value)};
    std::memcpy(bytes.data() + offset, field, sizeof field);
}

}  // namespace sluice::net::wire
