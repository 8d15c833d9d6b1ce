// statx(2), STATX_DIOALIGN (Linux 6.1): stx_dio_mem_align and stx_dio_offset_align are the
// alignments O_DIRECT needs on this file, 0 when the file does not support direct I/O.
// The kernel checks each iovec segment's address against the memory alignment and its
// length against the offset alignment (iov_iter_is_aligned in fs/iomap/direct-io.c);
// checking the same here turns a bare EINVAL into a line that names the numbers.
#include "sluice/storage/dio_alignment.hh"

#include <fcntl.h>
#include <sys/stat.h>

namespace sluice::storage {

dio_alignment query_dio_alignment(int fd) noexcept {
    dio_alignment found;
    struct statx details {};
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &details) == 0 && (details.stx_mask & STATX_DIOALIGN) &&
        details.stx_dio_mem_align != 0 && details.stx_dio_offset_align != 0) {
        found.memory = details.stx_dio_mem_align;
        found.offset = details.stx_dio_offset_align;
        found.from_statx = true;
    }
    return found;
}

namespace {

std::string requirement(const dio_alignment& alignment, std::string_view path) {
    std::string line = "O_DIRECT needs ";
    if (alignment.memory == alignment.offset) {
        line += "offset, length and buffer address aligned to " + std::to_string(alignment.offset) + " bytes";
    } else {
        line += "offset and length aligned to " + std::to_string(alignment.offset) + " bytes and buffer address to " +
                std::to_string(alignment.memory) + " bytes";
    }
    line += " on ";
    line += path;
    return line;
}

std::string check_one(const dio_alignment& alignment, std::string_view path, std::uint64_t offset,
                      std::size_t length, const void* address, const char* segment) {
    const auto where = std::uintptr_t(address);
    if (offset % alignment.offset != 0) {
        return requirement(alignment, path) + "; got offset " + std::to_string(offset);
    }
    if (length % alignment.offset != 0) {
        return requirement(alignment, path) + "; got " + segment + "length " + std::to_string(length);
    }
    if (where % alignment.memory != 0) {
        return requirement(alignment, path) + "; got " + segment + "buffer address " + std::to_string(where) +
               " (" + std::to_string(where % alignment.memory) + " past a boundary)";
    }
    return {};
}

}  // namespace

std::string check_dio_request(const dio_alignment& alignment, std::string_view path, std::uint64_t offset,
                              std::size_t length, const void* address) {
    return check_one(alignment, path, offset, length, address, "");
}

std::string check_dio_request(const dio_alignment& alignment, std::string_view path, std::uint64_t offset,
                              std::span<const iovec> segments) {
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string segment = "segment " + std::to_string(i) + " ";
        auto refusal = check_one(alignment, path, i == 0 ? offset : 0, segments[i].iov_len, segments[i].iov_base,
                                 segment.c_str());
        if (!refusal.empty()) return refusal;
    }
    return {};
}

}  // namespace sluice::storage
