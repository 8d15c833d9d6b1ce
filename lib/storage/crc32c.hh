// sluice::storage::crc32c: the Castagnoli CRC (polynomial 0x1EDC6F41, reflected 0x82F63B78)
// that the durable log stores per record — the SSE4.2 crc32 instruction where the CPU has
// it (checked at run time), else a table. Pure functions on caller-owned bytes; any shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::storage {

// CRC32C of `bytes`, continuing from `previous` (the CRC of the bytes before them; 0 to
// start): crc32c(b, crc32c(a)) == crc32c(a ++ b). crc32c("123456789") == 0xE3069283
// (RFC 3720 appendix B.4 gives the same polynomial; the check value is the catalogue's).
std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t previous = 0) noexcept;

// The two implementations behind crc32c(), exposed so the tests can check they agree.
std::uint32_t crc32c_portable(std::span<const std::byte> bytes, std::uint32_t previous = 0) noexcept;
// crc32c_hardware is the instruction when the CPU has SSE4.2 (then crc32c() uses it) and
// the table otherwise, as crc32c_hardware_available() says.
bool crc32c_hardware_available() noexcept;
std::uint32_t crc32c_hardware(std::span<const std::byte> bytes, std::uint32_t previous = 0) noexcept;

}  // namespace sluice::storage
