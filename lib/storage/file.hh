// sluice::storage::file: a file opened through this shard's io_uring, with coroutine
// reads, writes, syncs, space and size changes (docs/architecture.md rule 7: O_DIRECT unless asked
// otherwise). A file belongs to the shard that opened it and is used there only; other
// shards go through submit_to. Callers own the memory they read into or write from until
// the await returns; pool buffers are kept out of the pool while the kernel uses them.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "sluice/core/task.hh"
#include "sluice/storage/buffer_pool.hh"
#include "sluice/storage/dio_alignment.hh"
#include "sluice/storage/engine.hh"
#include "sluice/storage/io_result.hh"

namespace sluice::storage {

class engine;
struct open_result;

enum class access { read_only, write_only, read_write };

struct open_options {
    access mode = access::read_write;
    bool direct = true;      // O_DIRECT: no page cache; requests must be aligned (alignment())
    bool create = false;     // O_CREAT
    bool truncate = false;   // O_TRUNC
    bool exclusive = false;  // O_EXCL (with create)
    mode_t permissions = 0644;
};

class file {
public:
    // IORING_OP_OPENAT on the current shard's engine. On failure `status` holds -errno
    // and a line naming the path (ENOENT, EACCES, O_DIRECT unsupported, no engine here).
    static task<open_result> open(std::string path, open_options options = {});

    file() = default;
    file(file&& other) noexcept;
    file& operator=(file&& other) noexcept;
    file(const file&) = delete;
    file& operator=(const file&) = delete;
    // A file still open is closed with close(2): a destructor cannot await the ring.
    ~file();

    bool is_open() const noexcept { return fd_ >= 0; }
    int descriptor() const noexcept { return fd_; }
    const std::string& path() const noexcept { return path_; }
    bool direct() const noexcept { return direct_; }
    const dio_alignment& alignment() const noexcept { return alignment_; }
    unsigned owner_shard() const noexcept { return owner_shard_; }
    // In the ring's file table (engine_options::registered_files): requests name the slot.
    bool registered() const noexcept { return registered_slot_ >= 0; }

    // Each yields bytes moved (short at end of file; 0 past it) or -errno. With O_DIRECT a
    // misaligned request fails with -EINVAL before reaching the kernel, and its message
    // names the alignment.
    task<io_result> read(std::uint64_t offset, std::span<std::byte> into);
    task<io_result> write(std::uint64_t offset, std::span<const std::byte> from);
    // The first `length` bytes of a pool buffer of this shard: a fixed-buffer request
    // (IORING_OP_READ_FIXED/WRITE_FIXED) when the pool is registered with the ring.
    task<io_result> read(std::uint64_t offset, pool_buffer& into, std::size_t length);
    task<io_result> write(std::uint64_t offset, const pool_buffer& from, std::size_t length);
    task<io_result> readv(std::uint64_t offset, std::span<const iovec> into);
    task<io_result> writev(std::uint64_t offset, std::span<const iovec> from);

    task<io_result> fsync();      // data and metadata (fsync(2))
    task<io_result> fdatasync();  // data and the metadata needed to read it back
    task<io_result> fallocate(std::uint64_t offset, std::uint64_t length, int mode = 0);  // fallocate(2) modes
    task<io_result> truncate(std::uint64_t length);

    // Cancels this file's requests: those waiting for an in-flight slot and those in the
    // kernel (IORING_OP_ASYNC_CANCEL by fd, all matches). Each cancelled request's waiter
    // gets -ECANCELED; the value is how many were cancelled. A request the kernel is
    // already executing may finish normally instead (the kernel reports -EALREADY).
    task<io_result> cancel_pending();

    // IORING_OP_CLOSE. The file is closed afterwards whatever the result (close(2)).
    task<io_result> close();

private:
    struct sqe_target {  // what an SQE names: the table slot (with IOSQE_FIXED_FILE) or the fd
        int fd;
        std::uint8_t flags;
    };
    sqe_target target() const noexcept;
    void unregister() noexcept;
    void release_descriptor() noexcept;
    file(engine& owner, unsigned owner_shard, int fd, std::string path, bool direct, dio_alignment alignment);
    std::optional<io_result> refuse_if_unusable() const;
    std::optional<io_result> refuse_if_misaligned(std::uint64_t offset, std::size_t length, const void* address) const;
    std::optional<io_result> refuse_if_foreign(const pool_buffer& buffer, std::size_t length) const;
    // The one way a file operation reaches the ring: `prepare(sqe, fd)` fills the SQE for
    // this file's descriptor or table slot, and the slot's flag is added here. Call after
    // the refusals; `buffer` is the registered buffer's index, if the SQE uses one.
    template <typename Prepare>
    task<io_result> submit_for_file(Prepare prepare, int buffer = -1) {
        const int rc = co_await engine_->submit(
            [to = target(), prepare](io_uring_sqe& sqe) {
                prepare(sqe, to.fd);
                sqe.flags |= to.flags;
            },
            fd_, buffer);
        co_return io_result(rc);
    }

    engine* engine_ = nullptr;
    unsigned owner_shard_ = 0;
    int fd_ = -1;
    int registered_slot_ = -1;
    std::string path_;
    bool direct_ = false;
    dio_alignment alignment_{};
};

struct open_result {
    io_result status;
    file opened;  // open only when status.ok()
};

}  // namespace sluice::storage
