// CRC32C two ways: the SSE4.2 `crc32` instruction (Intel SDM vol. 2A, "CRC32"), 8 bytes a
// step, and a byte-at-a-time table for targets without it. Both are the reflected form
// with the conventional pre- and post-inversion (Castagnoli et al., 1993; RFC 3720 B.4).
#include "sluice/storage/crc32c.hh"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace sluice::storage {

namespace {

constexpr std::uint32_t reflected_polynomial = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t byte = 0; byte < 256; ++byte) {
        std::uint32_t crc = byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? reflected_polynomial : 0u);
        table[byte] = crc;
    }
    return table;
}

constexpr std::array<std::uint32_t, 256> table = make_table();

}  // namespace

std::uint32_t crc32c_portable(std::span<const std::byte> bytes, std::uint32_t previous) noexcept {
    std::uint32_t crc = ~previous;
    for (std::byte b : bytes) crc = (crc >> 8) ^ table[(crc ^ std::uint32_t(b)) & 0xFFu];
    return ~crc;
}

// The instruction is compiled in whatever -march the build uses (target attribute) and
// chosen at run time, so a generic build still uses it on every x86-64 CPU that has it.
#if defined(__x86_64__)

bool crc32c_hardware_available() noexcept {
    static const bool available = __builtin_cpu_supports("sse4.2");
    return available;
}

static __attribute__((target("sse4.2"))) std::uint32_t crc32c_instruction(std::span<const std::byte> bytes,
                                                                   std::uint32_t previous) noexcept {
    std::uint64_t crc = ~previous;
    const std::byte* at = bytes.data();
    std::size_t left = bytes.size();
    for (; left >= 8; left -= 8, at += 8) {
        std::uint64_t word;
        std::memcpy(&word, at, 8);  // unaligned, little-endian as the instruction expects
        crc = _mm_crc32_u64(crc, word);
    }
    auto crc32 = std::uint32_t(crc);
    for (; left > 0; --left, ++at) crc32 = _mm_crc32_u8(crc32, std::uint8_t(*at));
    return ~crc32;
}

std::uint32_t crc32c_hardware(std::span<const std::byte> bytes, std::uint32_t previous) noexcept {
    return crc32c_hardware_available() ? crc32c_instruction(bytes, previous) : crc32c_portable(bytes, previous);
}

std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t previous) noexcept {
    return crc32c_hardware(bytes, previous);
}

#else

bool crc32c_hardware_available() noexcept { return false; }

// Without SSE4.2 there is no instruction to call; the table answers so callers need no #if.
std::uint32_t crc32c_hardware(std::span<const std::byte> bytes, std::uint32_t previous) noexcept {
    return crc32c_portable(bytes, previous);
}

std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t previous) noexcept {
    return crc32c_portable(bytes, previous);
}

#endif

}  // namespace sluice::storage
