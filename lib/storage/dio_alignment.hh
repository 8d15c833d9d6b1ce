// sluice::storage::dio_alignment: what O_DIRECT demands of a file — buffer address, file
// offset and length alignment — read once at open from statx(STATX_DIOALIGN), and the
// check that refuses a misaligned request before it reaches the kernel. Plain values and
// pure functions; any shard.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::storage {

struct dio_alignment {
    std::uint32_t memory = 4096;  // buffer addresses (statx stx_dio_mem_align)
    std::uint32_t offset = 4096;  // file offsets and lengths (stx_dio_offset_align)
    bool from_statx = false;      // false: the kernel did not say; these are the safe defaults
};

// Fallback when statx cannot tell (older kernel or a filesystem that does not report it):
// 4096 bytes satisfies every logical block size in use (512 and 4096).
dio_alignment query_dio_alignment(int fd) noexcept;

// An empty string when the request is aligned, else the one-line refusal, e.g. "O_DIRECT
// needs offset, length and buffer address aligned to 4096 bytes on /data/log; got offset 100".
std::string check_dio_request(const dio_alignment& alignment, std::string_view path, std::uint64_t offset,
                              std::size_t length, const void* address);
std::string check_dio_request(const dio_alignment& alignment, std::string_view path, std::uint64_t offset,
                              std::span<const iovec> segments);

}  // namespace sluice::storage
