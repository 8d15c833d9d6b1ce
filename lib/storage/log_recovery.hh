// sluice::storage::log_recovery: reads a durable log from its first byte and finds where
// its valid records end — the first torn, corrupt or out-of-sequence record, or the zero
// end marker — and says where and why. Runs on the shard that owns the file; the caller
// owns the file and the read buffer, the report is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "sluice/core/task.hh"
#include "sluice/storage/file.hh"
#include "sluice/storage/io_result.hh"
#include "sluice/storage/log_record.hh"

namespace sluice::storage {

struct recovery_report {
    std::uint64_t records = 0;      // good records; also the index of the record it stopped at
    std::uint64_t stop_offset = 0;  // byte offset of the stop: the end of the last good record
    record_verdict reason = record_verdict::end_of_log;
    std::uint64_t file_bytes = 0;   // the file's size as found (preallocated zeros included)
    std::uint64_t first_sequence = 0;  // of record 0 (when records > 0)
    std::uint64_t next_sequence = 0;   // what the next append gets
    io_result read_status;             // the failed read, when reason == read_error

    // Stopped at something other than the clean end: bytes after stop_offset are damage.
    bool damaged() const noexcept { return reason != record_verdict::end_of_log; }
    // "12 records, stopped at byte 480 (record 12): CRC32C mismatch; file is 4096 bytes"
    std::string describe() const;
};

// Calls on_record(sequence, payload) for each good record in file order; the payload view
// is valid only during the call. `read_buffer` takes each read: its address and size must
// suit the file's O_DIRECT alignment when the file is O_DIRECT. Records whose payload is
// longer than `max_payload_bytes` count as corrupt (bad_length).
using record_visitor = std::function<void(std::uint64_t sequence, std::span<const std::byte> payload)>;
task<recovery_report> scan_log(file& source, std::span<std::byte> read_buffer, std::size_t max_payload_bytes,
                               record_visitor on_record = {});

}  // namespace sluice::storage
