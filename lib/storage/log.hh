// sluice::storage::log: an append-only durable log with group commit (docs/architecture.md rule 7, "an
// acknowledged write is durable"). A log belongs to the storage shard that opened it and is
// used there only; other shards append through submit_to. Appenders own their payload bytes
// until their append returns; the log owns its file and one aligned batch buffer.
//
// Note: with `using namespace sluice::storage`, write `storage::log`: ::log from <cmath>
// is also in scope.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/core/task.hh"
#include "sluice/storage/buffer_pool.hh"
#include "sluice/storage/file.hh"
#include "sluice/storage/io_result.hh"
#include "sluice/storage/log_recovery.hh"

namespace sluice::storage {

struct log_options {
    bool direct = true;                // O_DIRECT whole blocks from an aligned buffer; false: page cache
    bool create = true;                // make the file when it does not exist
    std::size_t max_batch_bytes = 0;   // record bytes per write + fdatasync; 0: a pool buffer less a block
    std::size_t max_pending_bytes = 0; // record bytes waiting for a batch; 0: 4 batches. Past it, appenders wait
    std::uint64_t preallocate_bytes = 64ull << 20;  // fallocate(2) step; 0: none (each write extends the file)
};

struct log_counters {
    std::uint64_t appends = 0;          // acknowledged (durable)
    std::uint64_t failed_appends = 0;   // in (or queued behind) a batch that failed
    std::uint64_t batches = 0;          // writes (one per batch)
    std::uint64_t fdatasyncs = 0;
    std::uint64_t bytes = 0;            // record bytes made durable (headers included)
    std::uint64_t bytes_written = 0;    // bytes handed to write: plus the rewritten tail block and padding
    std::uint64_t max_batch_records = 0;
    std::uint64_t waited_for_room = 0;  // appends that found max_pending_bytes reached
    std::uint64_t preallocations = 0;
};

struct append_result {
    io_result status;            // 0 when durable, else -errno and a message
    std::uint64_t sequence = 0;  // the record's sequence number (when status.ok())
};

struct log_entry {
    std::uint64_t sequence = 0;
    std::vector<std::byte> payload;
};

struct log_contents {
    io_result status;  // opening or reading the file
    recovery_report recovery;
    std::vector<log_entry> records;
};

struct log_open_result;

class log {
public:
    // On a storage shard: opens (or creates) `path`, scans it from the start (log_recovery.hh),
    // cuts everything after the last good record, and positions the next append there. A
    // damaged tail is not an error: `recovery()` says where it stopped and why.
    static task<log_open_result> open(std::string path, log_options options = {});

    // On a storage shard: every good record, read through the page cache, changing nothing.
    static task<log_contents> read_all(std::string path);

    log(const log&) = delete;
    log& operator=(const log&) = delete;
    // No append may be in progress (close() waits for them); the file is closed with close(2)
    // and the batch buffer goes back to the pool.
    ~log();

    // Returns once the record is durable (written and fdatasync'ed), with its sequence
    // number; acknowledgements come in sequence order. Appends that arrive while a batch
    // is in flight form the next batch. Fails with -EMSGSIZE for a payload longer than
    // max_record_bytes(), -EXDEV off the owner shard, and, once a write or fdatasync has
    // failed, with that error for the batch and every later append (the log must be
    // reopened: what reached the disk is unknown). Run it to completion: its frame holds
    // its place in the queue, so a task destroyed mid-append (other than at shutdown)
    // would leave the log waiting on it.
    task<append_result> append(std::span<const std::byte> payload);

    // Refuses new appends, waits for those in progress, closes the file.
    task<io_result> close();

    const std::string& path() const noexcept { return file_.path(); }
    unsigned owner_shard() const noexcept { return file_.owner_shard(); }
    bool direct() const noexcept { return file_.direct(); }
    const recovery_report& recovery() const noexcept { return recovery_; }
    std::uint64_t next_sequence() const noexcept { return next_sequence_; }
    std::uint64_t end_offset() const noexcept { return end_; }  // end of the last durable record
    std::size_t max_record_bytes() const noexcept { return max_batch_bytes_ - log_record_header_bytes; }
    bool failed() const noexcept { return !failure_.ok(); }
    const io_result& failure() const noexcept { return failure_; }
    const log_counters& counters() const noexcept { return counters_; }

private:
    struct pending_append;
    struct turn_awaiter;

    log(file opened, const log_options& options);
    io_result set_up_buffer();
    task<io_result> recover();
    task<void> run_batch();
    task<io_result> write_and_sync(std::uint64_t offset, std::size_t length);
    task<io_result> preallocate(std::uint64_t needed_end);
    std::optional<io_result> refuse(std::size_t payload_bytes) const;
    io_result failed_step(const char* step, std::uint64_t offset, std::size_t length, const io_result& status) const;
    void admit(pending_append& entry) noexcept;
    void admit_waiting_for_room() noexcept;
    void settle(pending_append& entry, const io_result& status, const pending_append* running) noexcept;
    void fail_everything_waiting(const io_result& status) noexcept;
    void become_idle() noexcept;

    file file_;
    log_options options_;
    std::size_t block_ = 1;         // write granularity: the O_DIRECT offset alignment, or 1
    pool_buffer pooled_;            // the batch buffer, when the shard's pool has one big enough
    std::unique_ptr<std::byte, void (*)(void*)> owned_{nullptr, nullptr};  // otherwise this
    std::span<std::byte> buffer_;   // [tail of the last block][records of the batch][zero padding]
    std::size_t tail_bytes_ = 0;    // bytes of the last, partial block kept at the buffer's front
    std::size_t max_batch_bytes_ = 0;
    std::size_t max_pending_bytes_ = 0;
    std::uint64_t end_ = 0;
    std::uint64_t allocated_end_ = 0;  // file size after preallocation
    bool preallocation_works_ = true;
    std::uint64_t next_sequence_ = 0;
    pending_append* queued_head_ = nullptr;  // sequenced, waiting for a batch (FIFO)
    pending_append* queued_tail_ = nullptr;
    std::size_t queued_bytes_ = 0;
    pending_append* room_head_ = nullptr;    // waiting for max_pending_bytes room (FIFO)
    pending_append* room_tail_ = nullptr;
    bool flushing_ = false;                  // a leader is running a batch
    bool closing_ = false;
    std::coroutine_handle<> close_waiter_;
    io_result failure_;
    recovery_report recovery_;
    log_counters counters_;
};

struct log_open_result {
    io_result status;
    std::unique_ptr<log> opened;  // set only when status.ok()
    recovery_report recovery;     // also when opening failed after the scan
};

}  // namespace sluice::storage
