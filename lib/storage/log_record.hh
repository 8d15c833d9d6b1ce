// sluice::storage::log_record: the durable log's on-disk record — a 24-byte header (magic,
// payload length, sequence number, CRC32C) then the payload — and the checks recovery makes
// of bytes read back. Pure functions on caller-owned bytes; any shard may call them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sluice::storage {

// Layout, little-endian, no padding between records:
//   0  u32 magic "SLG1"     8  u64 sequence      20  u32 reserved (0)
//   4  u32 payload length  16  u32 CRC32C over bytes [0, 16), then [20, 24), then the payload
// An all-zero header is the end of the log: preallocated space (fallocate) reads as zeros,
// and a magic of 0 is never written.
inline constexpr std::size_t log_record_header_bytes = 24;
inline constexpr std::uint32_t log_record_magic = 0x31474C53u;  // "SLG1" read as little-endian

constexpr std::size_t encoded_log_record_bytes(std::size_t payload_bytes) noexcept {
    return log_record_header_bytes + payload_bytes;
}

// Writes header and payload to the front of `into` (at least encoded_log_record_bytes long).
// Returns the bytes written.
std::size_t encode_log_record(std::span<std::byte> into, std::uint64_t sequence,
                              std::span<const std::byte> payload) noexcept;

// What a record (or the lack of one) at some offset turned out to be. Every verdict but
// `good` and `need_more` ends a scan; only `end_of_log` is a clean end.
enum class record_verdict {
    good,
    need_more,          // the record is longer than the bytes read so far; read on
    end_of_log,         // end of file, or an all-zero header (unwritten or preallocated space)
    incomplete_header,  // the file ends inside a header that is not all zeros
    length_past_end,    // the header's length runs past the end of the file (a torn append)
    bad_magic,
    bad_length,         // longer than the reader's limit, or a nonzero reserved field
    crc_mismatch,
    sequence_gap,       // not one more than the record before it (stale bytes from an old tail)
    read_error,         // recovery could not read the file (not produced by decode)
};

const char* to_string(record_verdict verdict) noexcept;

struct decoded_log_record {
    record_verdict verdict = record_verdict::need_more;
    std::uint64_t sequence = 0;
    std::span<const std::byte> payload;  // a view into the bytes given to decode (when good)
    std::size_t record_bytes = 0;        // header + payload (when good or need_more)
};

// Checks the record at the front of `available`. `bytes_left_in_file` counts the file's
// bytes from that same offset to its end (>= available.size()); `expected_sequence` is
// empty for the first record. Lengths are checked before anything is trusted.
decoded_log_record decode_log_record(std::span<const std::byte> available, std::uint64_t bytes_left_in_file,
                                     std::optional<std::uint64_t> expected_sequence,
                                     std::size_t max_payload_bytes) noexcept;

}  // namespace sluice::storage
