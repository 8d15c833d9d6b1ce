// The durable log: recovery on open, then group commit. Appenders queue in sequence order;
// the first appender to find no batch in flight leads one batch (pack, write, fdatasync,
// acknowledge) and hands the lead to the head of what queued meanwhile. No task outlives
// the appenders, so there is nothing to stop. Sources: fdatasync(2), fallocate(2), open(2)
// (O_DIRECT), io_uring_prep_write_fixed(3).
#include "sluice/storage/log.hh"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "sluice/core/shard.hh"
#include "sluice/storage/engine.hh"

namespace sluice::storage {

namespace {

// No record is longer than this, so recovery never believes a garbage length past it and
// its read window stays bounded (log_recovery.hh).
constexpr std::size_t max_scanned_payload = 64u << 20;
constexpr std::size_t default_buffer_bytes = 64 * 1024;  // without a pool on this shard

std::size_t round_up(std::size_t value, std::size_t unit) { return (value + unit - 1) / unit * unit; }

}  // namespace

// Lives in the appender's frame, which stays suspended until the entry is `done`.
struct log::pending_append {
    enum class stage { waiting_for_room, queued, leading, in_batch, done };
    std::span<const std::byte> payload;
    std::size_t record_bytes = 0;
    std::uint64_t sequence = 0;
    io_result status;
    stage where = stage::queued;
    std::coroutine_handle<> waiting;
    pending_append* next = nullptr;
};

// Suspends an appender until its record is settled or it is handed the lead.
struct log::turn_awaiter {
    pending_append& entry;
    bool await_ready() const noexcept {
        return entry.where == pending_append::stage::done || entry.where == pending_append::stage::leading;
    }
    void await_suspend(std::coroutine_handle<> self) noexcept { entry.waiting = self; }
    void await_resume() const noexcept {}
};

log::log(file opened, const log_options& options) : file_(std::move(opened)), options_(options) {
    block_ = file_.direct() ? std::max<std::size_t>(file_.alignment().offset, 1) : 1;
}

log::~log() = default;

task<log_open_result> log::open(std::string path, log_options options) {
    log_open_result result;
    if (options.max_batch_bytes != 0 &&
        (options.max_batch_bytes <= log_record_header_bytes || options.max_batch_bytes > max_scanned_payload)) {
        result.status = io_result::failure(EINVAL, "log " + path + ": max_batch_bytes must be between " +
                                                       std::to_string(log_record_header_bytes + 1) + " and " +
                                                       std::to_string(max_scanned_payload));
        co_return result;
    }
    auto opened = co_await file::open(path, {.mode = access::read_write, .direct = options.direct, .create = options.create});
    if (!opened.status) {
        result.status = std::move(opened.status);
        co_return result;
    }
    std::unique_ptr<log> made(new log(std::move(opened.opened), options));
    io_result ready = made->set_up_buffer();
    if (ready.ok()) ready = co_await made->recover();
    result.recovery = made->recovery_;
    if (!ready.ok()) {
        result.status = std::move(ready);
        co_return result;  // the file closes with `made`
    }
    result.opened = std::move(made);
    co_return result;
}

// One aligned buffer for the log's life: a pool buffer (registered, so writes are
// WRITE_FIXED) when the shard's pool has one big enough, else memory of its own.
io_result log::set_up_buffer() {
    const std::size_t alignment = std::max<std::size_t>({4096, block_, file_.alignment().memory});
    buffer_pool* pool = engine::current()->buffers();
    const std::size_t wanted = options_.max_batch_bytes != 0 ? round_up(options_.max_batch_bytes + block_, alignment)
                               : pool                        ? round_up(pool->buffer_size(), alignment)
                                                             : default_buffer_bytes;
    if (pool && pool->buffer_size() >= wanted) {
        if (auto taken = pool->try_acquire()) {
            pooled_ = std::move(*taken);
            buffer_ = pooled_.bytes().first(wanted);
        }
    }
    if (buffer_.empty()) {
        owned_ = {static_cast<std::byte*>(std::aligned_alloc(alignment, wanted)), std::free};
        if (!owned_) return io_result::failure(ENOMEM, "log " + path() + ": no memory for its batch buffer");
        buffer_ = {owned_.get(), wanted};
    }
    max_batch_bytes_ = options_.max_batch_bytes != 0 ? options_.max_batch_bytes : wanted - block_;
    max_pending_bytes_ = std::max(options_.max_pending_bytes != 0 ? options_.max_pending_bytes : 4 * max_batch_bytes_,
                                  max_batch_bytes_);
    return io_result(0);
}

task<io_result> log::recover() {
    recovery_ = co_await scan_log(file_, buffer_, max_scanned_payload);
    if (recovery_.reason == record_verdict::read_error) {
        co_return io_result(recovery_.read_status.value(),
                            "log " + path() + ": recovery could not read the file: " + recovery_.read_status.message());
    }
    end_ = recovery_.stop_offset;
    next_sequence_ = recovery_.next_sequence;
    allocated_end_ = recovery_.file_bytes;
    if (recovery_.file_bytes > end_) {
        // Cut whatever follows the last good record: damage, or preallocated zeros that may
        // hide stale records beyond a block a crash left unwritten. New appends would
        // otherwise be followed by old bytes a later recovery could take for records.
        io_result cut = co_await file_.truncate(end_);
        if (cut.ok()) cut = co_await file_.fsync();  // the new size, before anything is acknowledged
        if (!cut.ok()) co_return failed_step("truncate after recovery", end_, 0, cut);
        allocated_end_ = end_;
    }
    // With O_DIRECT the next batch rewrites the last partial block: keep its good bytes.
    tail_bytes_ = std::size_t(end_ % block_);
    if (tail_bytes_ != 0) {
        std::memset(buffer_.data(), 0, block_);
        const io_result read = co_await file_.read(end_ - tail_bytes_, buffer_.first(block_));
        if (!read.ok() || std::size_t(read.value()) < tail_bytes_) {
            co_return failed_step("read of the last block", end_ - tail_bytes_, block_,
                                  read.ok() ? io_result::failure(EIO, "short read") : read);
        }
        std::memset(buffer_.data() + tail_bytes_, 0, block_ - tail_bytes_);
    }
    co_return io_result(0);
}

task<log_contents> log::read_all(std::string path) {
    log_contents contents;
    auto opened = co_await file::open(path, {.mode = access::read_only, .direct = false});
    if (!opened.status) {
        contents.status = std::move(opened.status);
        co_return contents;
    }
    std::vector<std::byte> chunk(256 * 1024);
    record_visitor collect = [&contents](std::uint64_t sequence, std::span<const std::byte> payload) {
        contents.records.push_back({sequence, std::vector<std::byte>(payload.begin(), payload.end())});
    };
    contents.recovery = co_await scan_log(opened.opened, chunk, max_scanned_payload, std::move(collect));
    if (contents.recovery.reason == record_verdict::read_error) contents.status = contents.recovery.read_status;
    (void)co_await opened.opened.close();
    co_return contents;
}

std::optional<io_result> log::refuse(std::size_t payload_bytes) const {
    if (shard::current() == nullptr || this_shard().id() != owner_shard()) {
        return io_result::failure(EXDEV, "log " + path() + " belongs to shard " + std::to_string(owner_shard()) +
                                             "; append there with submit_to(" + std::to_string(owner_shard()) +
                                             ", ...)");
    }
    if (closing_ || !file_.is_open()) return io_result::failure(ESHUTDOWN, "log " + path() + " is closed");
    if (failed()) return failure_;
    if (payload_bytes > max_record_bytes()) {
        return io_result::failure(EMSGSIZE, "log " + path() + ": a " + std::to_string(payload_bytes) +
                                                "-byte record exceeds the " + std::to_string(max_record_bytes()) +
                                                "-byte limit (raise log_options::max_batch_bytes)");
    }
    return std::nullopt;
}

task<append_result> log::append(std::span<const std::byte> payload) {
    if (auto refused = refuse(payload.size())) co_return append_result{std::move(*refused), 0};
    pending_append entry;
    entry.payload = payload;
    entry.record_bytes = encoded_log_record_bytes(payload.size());
    // Back-pressure: past max_pending_bytes, wait in FIFO order (room_*) for a batch to
    // take queued records. Nothing is dropped; the first record is always let in.
    if (room_head_ == nullptr && (queued_head_ == nullptr || queued_bytes_ + entry.record_bytes <= max_pending_bytes_)) {
        admit(entry);
    } else {
        entry.where = pending_append::stage::waiting_for_room;
        (room_tail_ ? room_tail_->next : room_head_) = &entry;
        room_tail_ = &entry;
        ++counters_.waited_for_room;
    }
    if (entry.where == pending_append::stage::queued && !flushing_) {
        flushing_ = true;  // nothing in flight: lead the batch now
        entry.where = pending_append::stage::leading;
    }
    co_await turn_awaiter{entry};
    if (entry.where == pending_append::stage::leading) co_await run_batch();
    co_return append_result{std::move(entry.status), entry.sequence};
}

// Sequence numbers are given here, in queue order, so acknowledgements (FIFO) follow them.
void log::admit(pending_append& entry) noexcept {
    entry.where = pending_append::stage::queued;
    entry.sequence = next_sequence_++;
    entry.next = nullptr;
    (queued_tail_ ? queued_tail_->next : queued_head_) = &entry;
    queued_tail_ = &entry;
    queued_bytes_ += entry.record_bytes;
}

void log::admit_waiting_for_room() noexcept {
    while (room_head_ && (queued_head_ == nullptr || queued_bytes_ + room_head_->record_bytes <= max_pending_bytes_)) {
        pending_append& entry = *std::exchange(room_head_, room_head_->next);
        if (!room_head_) room_tail_ = nullptr;
        admit(entry);  // stays suspended: it is acknowledged, or handed the lead, later
    }
}

// Run by the leading appender, whose record heads the queue. Exactly one runs at a time.
task<void> log::run_batch() {
    pending_append* const leader = queued_head_;
    pending_append* const first = queued_head_;
    std::size_t batch_bytes = 0;
    std::uint64_t records = 0;
    std::byte* const records_at = buffer_.data() + tail_bytes_;
    while (queued_head_ && (records == 0 || batch_bytes + queued_head_->record_bytes <= max_batch_bytes_)) {
        pending_append& entry = *queued_head_;
        encode_log_record({records_at + batch_bytes, entry.record_bytes}, entry.sequence, entry.payload);
        batch_bytes += entry.record_bytes;
        queued_bytes_ -= entry.record_bytes;
        ++records;
        entry.where = pending_append::stage::in_batch;
        queued_head_ = entry.next;  // the batch is the first `records` entries from `first`
        if (!queued_head_) queued_tail_ = nullptr;
    }
    admit_waiting_for_room();

    // O_DIRECT writes whole blocks: from the start of the block holding the end of the log
    // (its good bytes are kept in tail_bytes_), through the batch, padded with zeros that a
    // later recovery reads as the end. The next batch rewrites that last block.
    const std::uint64_t write_offset = end_ - tail_bytes_;
    const std::size_t used = tail_bytes_ + batch_bytes;
    const std::size_t length = round_up(used, block_);
    std::memset(buffer_.data() + used, 0, length - used);
    const io_result status = co_await write_and_sync(write_offset, length);
    if (status.ok()) {
        end_ += batch_bytes;
        ++counters_.batches;
        counters_.bytes += batch_bytes;
        counters_.max_batch_records = std::max(counters_.max_batch_records, records);
        const std::size_t new_tail = used % block_;
        std::memmove(buffer_.data(), buffer_.data() + used - new_tail, new_tail);
        tail_bytes_ = new_tail;
    } else {
        failure_ = status;
    }
    pending_append* entry = first;
    for (std::uint64_t i = 0; i < records; ++i) {
        pending_append* const next = entry->next;
        settle(*entry, status, leader);
        entry = next;
    }
    if (failed()) {
        fail_everything_waiting(failure_);
        become_idle();
    } else if (queued_head_) {
        queued_head_->where = pending_append::stage::leading;  // it was queued while we wrote
        this_shard().schedule(queued_head_->waiting);
    } else {
        become_idle();
    }
}

task<io_result> log::write_and_sync(std::uint64_t offset, std::size_t length) {
    if (options_.preallocate_bytes != 0 && preallocation_works_ && offset + length > allocated_end_) {
        const io_result made = co_await preallocate(offset + length);
        if (!made.ok()) co_return made;
    }
    io_result wrote;
    if (pooled_.valid()) {
        wrote = co_await file_.write(offset, pooled_, length);
    } else {
        wrote = co_await file_.write(offset, buffer_.first(length));
    }
    counters_.bytes_written += std::size_t(std::max<std::int64_t>(wrote.value(), 0));
    // A short write (a nearly full disk) is finished from where it stopped: the kernel
    // then says why it cannot go on (ENOSPC), instead of us guessing.
    std::size_t done = wrote.ok() ? std::size_t(wrote.value()) : 0;
    while (wrote.ok() && done < length) {
        wrote = co_await file_.write(offset + done, buffer_.subspan(done, length - done));
        if (wrote.ok() && wrote.value() == 0) wrote = io_result::failure(EIO, "the write made no progress");
        if (wrote.ok()) done += std::size_t(wrote.value());
        counters_.bytes_written += std::size_t(std::max<std::int64_t>(wrote.value(), 0));
    }
    if (!wrote.ok()) co_return failed_step("write", offset, length, wrote);
    // After a failed fdatasync the kernel may already have dropped the dirty pages and
    // cleared the error, so a retry could succeed without the data (errseq_t in
    // Documentation/filesystems/vfs.rst; PostgreSQL's "fsyncgate", 2018). Hence: no retry,
    // and the log stops acknowledging.
    const io_result synced = co_await file_.fdatasync();
    ++counters_.fdatasyncs;
    if (!synced.ok()) co_return failed_step("fdatasync", offset, length, synced);
    co_return io_result(0);
}

// Extends the file (mode 0, not FALLOC_FL_KEEP_SIZE) a large step ahead, so the size is
// already right and the fdatasync after each batch need not also write a new size
// (fdatasync(2)). The space reads as zeros: the end marker recovery looks for. On ext4
// and XFS the first write into such unwritten extents still changes the extent map, which
// that fdatasync does flush; writing zeros ahead would avoid even that (not done).
task<io_result> log::preallocate(std::uint64_t needed_end) {
    const std::uint64_t needed = needed_end - allocated_end_;
    std::uint64_t step = std::max<std::uint64_t>(options_.preallocate_bytes, needed);
    io_result made = co_await file_.fallocate(allocated_end_, step);
    if (made.error_number() == ENOSPC && step > needed) {
        step = needed;  // no room for a whole step: take what this batch needs
        made = co_await file_.fallocate(allocated_end_, step);
    }
    if (made.error_number() == EOPNOTSUPP) {
        preallocation_works_ = false;  // a filesystem without fallocate: writes extend the file
        co_return io_result(0);
    }
    if (!made.ok()) co_return failed_step("fallocate", allocated_end_, std::size_t(step), made);
    allocated_end_ += step;
    ++counters_.preallocations;
    co_return io_result(0);
}

io_result log::failed_step(const char* step, std::uint64_t offset, std::size_t length, const io_result& status) const {
    return io_result(status.value(), "log " + path() + ": " + step + " of " + std::to_string(length) +
                                         " bytes at offset " + std::to_string(offset) + " failed: " + status.message() +
                                         "; the log refuses further appends (what reached the disk is unknown); "
                                         "reopen it to recover");
}

void log::settle(pending_append& entry, const io_result& status, const pending_append* running) noexcept {
    entry.status = status;
    entry.where = pending_append::stage::done;
    ++(status.ok() ? counters_.appends : counters_.failed_appends);
    // The leader is running this code; everyone else is resumed in queue (= sequence) order.
    if (&entry != running) this_shard().schedule(entry.waiting);
}

void log::fail_everything_waiting(const io_result& status) noexcept {
    for (pending_append** list : {&queued_head_, &room_head_}) {
        while (*list) settle(*std::exchange(*list, (*list)->next), status, nullptr);
    }
    queued_tail_ = room_tail_ = nullptr;
    queued_bytes_ = 0;
}

void log::become_idle() noexcept {
    flushing_ = false;
    if (close_waiter_) this_shard().schedule(std::exchange(close_waiter_, {}));
}

task<io_result> log::close() {
    if (shard::current() == nullptr || this_shard().id() != owner_shard()) {
        co_return io_result::failure(EXDEV, "log " + path() + " belongs to shard " + std::to_string(owner_shard()));
    }
    closing_ = true;
    struct until_idle {
        log& self;
        bool await_ready() const noexcept { return !self.flushing_; }
        void await_suspend(std::coroutine_handle<> waiting) noexcept { self.close_waiter_ = waiting; }
        void await_resume() const noexcept {}
    };
    co_await until_idle{*this};
    pooled_.release();
    if (!file_.is_open()) co_return io_result(0);
    co_return co_await file_.close();
}

}  // namespace sluice::storage
