// Recovery scan: the file is read front to back in buffer-sized (aligned) reads into a
// window that holds at most one record plus one read; each record is checked by
// decode_log_record, which trusts no length before checking it against the file's size
// and the reader's limit. fstat(2) gives the size once, on this control path.
#include "sluice/storage/log_recovery.hh"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

namespace sluice::storage {

std::string recovery_report::describe() const {
    std::string text = std::to_string(records) + " records, stopped at byte " + std::to_string(stop_offset) +
                       " (record " + std::to_string(records) + "): " + to_string(reason);
    if (reason == record_verdict::read_error) text += " (" + read_status.message() + ")";
    return text + "; file is " + std::to_string(file_bytes) + " bytes";
}

task<recovery_report> scan_log(file& source, std::span<std::byte> read_buffer, std::size_t max_payload_bytes,
                               record_visitor on_record) {
    recovery_report report;
    struct stat details {};
    if (::fstat(source.descriptor(), &details) != 0) {
        report.reason = record_verdict::read_error;
        report.read_status = io_result::failure(errno, "fstat " + source.path() + ": " + std::strerror(errno));
        co_return report;
    }
    report.file_bytes = std::uint64_t(details.st_size);

    std::vector<std::byte> window;      // file bytes [window_offset, window_offset + window.size())
    std::uint64_t window_offset = 0;
    std::size_t position = 0;           // next record, as an index into window
    std::uint64_t read_offset = 0;      // next read; stays aligned (every read is full until the last)
    bool at_end = false;
    std::optional<std::uint64_t> expected_sequence;
    for (;;) {
        const std::uint64_t offset = window_offset + position;
        // A read that came up short ends the file where the size said it would not.
        const std::uint64_t left = at_end ? window.size() - position : report.file_bytes - std::min(offset, report.file_bytes);
        const auto decoded = decode_log_record(std::span<const std::byte>(window).subspan(position), left,
                                               expected_sequence, max_payload_bytes);
        if (decoded.verdict == record_verdict::good) {
            if (!expected_sequence) report.first_sequence = decoded.sequence;
            if (on_record) on_record(decoded.sequence, decoded.payload);
            expected_sequence = decoded.sequence + 1;
            ++report.records;
            position += decoded.record_bytes;
            continue;
        }
        if (decoded.verdict != record_verdict::need_more) {
            report.reason = decoded.verdict;
            break;
        }
        if (at_end) {  // need_more with nothing left to read: the file shrank under us
            report.reason = record_verdict::length_past_end;
            break;
        }
        window.erase(window.begin(), window.begin() + std::ptrdiff_t(position));
        window_offset += position;
        position = 0;
        const io_result read = co_await source.read(read_offset, read_buffer);
        if (!read.ok()) {
            report.reason = record_verdict::read_error;
            report.read_status = read;
            break;
        }
        const auto got = std::size_t(read.value());
        window.insert(window.end(), read_buffer.begin(), read_buffer.begin() + std::ptrdiff_t(got));
        read_offset += got;
        at_end = got < read_buffer.size();
    }
    report.stop_offset = window_offset + position;
    report.next_sequence = expected_sequence.value_or(0);
    co_return report;
}

}  // namespace sluice::storage
