// The durable log's record format: encoding, and the checks in the order recovery needs
// them — is there a header at all, is it the zero end marker, can its length be believed,
// does the CRC32C match, does the sequence follow on.
#include "sluice/storage/log_record.hh"

#include <algorithm>
#include <cstring>

#include "sluice/storage/crc32c.hh"

namespace sluice::storage {

namespace {

constexpr std::size_t magic_at = 0, length_at = 4, sequence_at = 8, crc_at = 16, reserved_at = 20;

template <typename T>
void store_little_endian(std::byte* at, T value) noexcept {
    for (std::size_t i = 0; i < sizeof(T); ++i) at[i] = std::byte((value >> (8 * i)) & 0xFFu);
}

template <typename T>
T load_little_endian(const std::byte* at) noexcept {
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) value |= T(std::to_integer<std::uint8_t>(at[i])) << (8 * i);
    return value;
}

// The CRC covers the header without its own field, then the payload.
std::uint32_t record_crc(const std::byte* header, std::span<const std::byte> payload) noexcept {
    std::uint32_t crc = crc32c({header, crc_at});
    crc = crc32c({header + reserved_at, log_record_header_bytes - reserved_at}, crc);
    return crc32c(payload, crc);
}

bool all_zero(std::span<const std::byte> bytes) noexcept {
    return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

}  // namespace

std::size_t encode_log_record(std::span<std::byte> into, std::uint64_t sequence,
                              std::span<const std::byte> payload) noexcept {
    std::byte* header = into.data();
    store_little_endian<std::uint32_t>(header + magic_at, log_record_magic);
    store_little_endian<std::uint32_t>(header + length_at, std::uint32_t(payload.size()));
    store_little_endian<std::uint64_t>(header + sequence_at, sequence);
    store_little_endian<std::uint32_t>(header + reserved_at, 0);
    if (!payload.empty()) std::memcpy(header + log_record_header_bytes, payload.data(), payload.size());
    store_little_endian<std::uint32_t>(header + crc_at, record_crc(header, payload));
    return encoded_log_record_bytes(payload.size());
}

decoded_log_record decode_log_record(std::span<const std::byte> available, std::uint64_t bytes_left_in_file,
                                     std::optional<std::uint64_t> expected_sequence,
                                     std::size_t max_payload_bytes) noexcept {
    decoded_log_record out;
    if (bytes_left_in_file == 0) {
        out.verdict = record_verdict::end_of_log;
        return out;
    }
    const std::size_t header_in_file = std::size_t(std::min<std::uint64_t>(bytes_left_in_file, log_record_header_bytes));
    if (available.size() < header_in_file) {
        out.record_bytes = header_in_file;
        return out;  // need_more
    }
    const auto header_bytes = available.first(header_in_file);
    if (all_zero(header_bytes)) {
        out.verdict = record_verdict::end_of_log;
        return out;
    }
    if (header_in_file < log_record_header_bytes) {
        out.verdict = record_verdict::incomplete_header;
        return out;
    }
    const std::byte* header = available.data();
    if (load_little_endian<std::uint32_t>(header + magic_at) != log_record_magic) {
        out.verdict = record_verdict::bad_magic;
        return out;
    }
    const std::size_t payload_bytes = load_little_endian<std::uint32_t>(header + length_at);
    if (payload_bytes > max_payload_bytes || load_little_endian<std::uint32_t>(header + reserved_at) != 0) {
        out.verdict = record_verdict::bad_length;
        return out;
    }
    out.record_bytes = encoded_log_record_bytes(payload_bytes);
    if (out.record_bytes > bytes_left_in_file) {
        out.verdict = record_verdict::length_past_end;
        return out;
    }
    if (available.size() < out.record_bytes) return out;  // need_more
    out.payload = available.subspan(log_record_header_bytes, payload_bytes);
    out.sequence = load_little_endian<std::uint64_t>(header + sequence_at);
    if (load_little_endian<std::uint32_t>(header + crc_at) != record_crc(header, out.payload)) {
        out.verdict = record_verdict::crc_mismatch;
        return out;
    }
    if (expected_sequence && out.sequence != *expected_sequence) {
        out.verdict = record_verdict::sequence_gap;
        return out;
    }
    out.verdict = record_verdict::good;
    return out;
}

const char* to_string(record_verdict verdict) noexcept {
    switch (verdict) {
    case record_verdict::good: return "good record";
    case record_verdict::need_more: return "record continues past the bytes read";
    case record_verdict::end_of_log: return "end of log";
    case record_verdict::incomplete_header: return "the file ends inside a record header";
    case record_verdict::length_past_end: return "the record's length runs past the end of the file";
    case record_verdict::bad_magic: return "bad magic (not a record header)";
    case record_verdict::bad_length: return "implausible length or nonzero reserved field";
    case record_verdict::crc_mismatch: return "CRC32C mismatch";
    case record_verdict::sequence_gap: return "sequence number does not follow the previous record";
    case record_verdict::read_error: return "read error";
    }
    return "unknown";
}

}  // namespace sluice::storage
