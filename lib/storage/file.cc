// The file API over one shard's engine: each call checks what Sluice can check itself (the
// shard, O_DIRECT alignment, buffer ownership), then becomes one SQE. Sources: open(2),
// read(2)/pread(2) (short counts at end of file), fsync(2), fallocate(2), ftruncate(2),
// io_uring_prep_read_fixed(3), io_uring_prep_cancel_fd(3), io_uring_enter(2) for opcodes.
#include "sluice/storage/file.hh"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "sluice/core/shard.hh"
#include "sluice/storage/detail/opcodes.hh"
#include "sluice/storage/engine.hh"

namespace sluice::storage {

namespace {

using detail::op_ftruncate;

int open_flags(const open_options& options) {
    int flags = O_CLOEXEC;
    switch (options.mode) {
    case access::read_only: flags |= O_RDONLY; break;
    case access::write_only: flags |= O_WRONLY; break;
    case access::read_write: flags |= O_RDWR; break;
    }
    if (options.direct) flags |= O_DIRECT;
    if (options.create) flags |= O_CREAT;
    if (options.truncate) flags |= O_TRUNC;
    if (options.exclusive) flags |= O_EXCL;
    return flags;
}

}  // namespace

task<open_result> file::open(std::string path, open_options options) {
    engine* here = engine::current();
    if (!here) {
        const unsigned id = shard::current() ? this_shard().id() : 0;
        co_return open_result{io_result::failure(ENXIO, "storage: no storage engine on shard " + std::to_string(id) +
                                                            " (cannot open " + path +
                                                            "); open files on a storage shard and reach it with submit_to"),
                              {}};
    }
    const int flags = open_flags(options);
    const int fd = co_await here->submit([&path, flags, mode = options.permissions](io_uring_sqe& sqe) {
        io_uring_prep_openat(&sqe, AT_FDCWD, path.c_str(), flags, mode);
    });
    if (fd < 0) {
        std::string why = "storage: cannot open " + path + ": " + std::strerror(-fd);
        if (fd == -EINVAL && options.direct) {
            why = "storage: cannot open " + path +
                  " with O_DIRECT: its filesystem does not support direct I/O; open it with direct = false";
        }
        co_return open_result{io_result::failure(-fd, std::move(why)), {}};
    }
    const dio_alignment alignment = options.direct ? query_dio_alignment(fd) : dio_alignment{1, 1, false};
    file opened(*here, here->shard_id(), fd, std::move(path), options.direct, alignment);
    opened.registered_slot_ = here->register_file(fd);
    co_return open_result{io_result(0), std::move(opened)};
}

file::file(engine& owner, unsigned owner_shard, int fd, std::string path, bool direct, dio_alignment alignment)
    : engine_(&owner), owner_shard_(owner_shard), fd_(fd), path_(std::move(path)), direct_(direct),
      alignment_(alignment) {}

file::file(file&& other) noexcept { *this = std::move(other); }

file& file::operator=(file&& other) noexcept {
    if (this != &other) {
        release_descriptor();
        engine_ = std::exchange(other.engine_, nullptr);
        owner_shard_ = other.owner_shard_;
        fd_ = std::exchange(other.fd_, -1);
        registered_slot_ = std::exchange(other.registered_slot_, -1);
        path_ = std::move(other.path_);
        direct_ = other.direct_;
        alignment_ = other.alignment_;
    }
    return *this;
}

file::~file() { release_descriptor(); }

void file::unregister() noexcept {
    // Only the owning shard's live engine may touch its table: a file that outlives its
    // engine finds the table already gone with the ring.
    if (registered_slot_ >= 0 && engine_ && engine::current() == engine_) engine_->unregister_file(registered_slot_);
    registered_slot_ = -1;
}

void file::release_descriptor() noexcept {
    unregister();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

file::sqe_target file::target() const noexcept {
    if (registered_slot_ >= 0) return {registered_slot_, IOSQE_FIXED_FILE};
    return {fd_, 0};
}

std::optional<io_result> file::refuse_if_unusable() const {
    if (fd_ < 0) return io_result::failure(EBADF, "storage: " + (path_.empty() ? "file" : path_) + " is not open");
    if (engine::current() != engine_) {
        const unsigned here = shard::current() ? this_shard().id() : ~0u;
        return io_result::failure(EXDEV, "storage: " + path_ + " belongs to shard " + std::to_string(owner_shard_) +
                                             ", called on shard " + std::to_string(here) + "; use submit_to(" +
                                             std::to_string(owner_shard_) + ", ...)");
    }
    return std::nullopt;
}

std::optional<io_result> file::refuse_if_misaligned(std::uint64_t offset, std::size_t length,
                                                    const void* address) const {
    if (!direct_) return std::nullopt;
    std::string refusal = check_dio_request(alignment_, path_, offset, length, address);
    if (refusal.empty()) return std::nullopt;
    return io_result::failure(EINVAL, std::move(refusal));
}

std::optional<io_result> file::refuse_if_foreign(const pool_buffer& buffer, std::size_t length) const {
    const buffer_pool* home = engine_->buffers();
    if (!buffer.valid() || buffer.pool() != home) {
        return io_result::failure(EXDEV, "storage: the buffer is not from shard " + std::to_string(owner_shard_) +
                                             "'s pool; I/O with pool buffers happens on the shard that owns them");
    }
    if (length > buffer.size()) {
        return io_result::failure(EINVAL, "storage: length " + std::to_string(length) + " exceeds the " +
                                              std::to_string(buffer.size()) + "-byte pool buffer");
    }
    return std::nullopt;
}

task<io_result> file::read(std::uint64_t offset, std::span<std::byte> into) {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    if (auto refused = refuse_if_misaligned(offset, into.size(), into.data())) co_return std::move(*refused);
    co_return co_await submit_for_file(
        [into, offset](io_uring_sqe& sqe, int fd) {
            io_uring_prep_read(&sqe, fd, into.data(), unsigned(into.size()), offset);
        });
}

task<io_result> file::write(std::uint64_t offset, std::span<const std::byte> from) {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    if (auto refused = refuse_if_misaligned(offset, from.size(), from.data())) co_return std::move(*refused);
    co_return co_await submit_for_file(
        [from, offset](io_uring_sqe& sqe, int fd) {
            io_uring_prep_write(&sqe, fd, from.data(), unsigned(from.size()), offset);
        });
}

task<io_result> file::read(std::uint64_t offset, pool_buffer& into, std::size_t length) {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    if (auto refused = refuse_if_foreign(into, length)) co_return std::move(*refused);
    if (auto refused = refuse_if_misaligned(offset, length, into.data())) co_return std::move(*refused);
    const bool fixed = engine_->buffers()->registered();
    co_return co_await submit_for_file(
        [data = into.data(), length, offset, index = into.index(), fixed](io_uring_sqe& sqe, int fd) {
            if (fixed) io_uring_prep_read_fixed(&sqe, fd, data, unsigned(length), offset, int(index));
            else io_uring_prep_read(&sqe, fd, data, unsigned(length), offset);
        }, int(into.index()));
}

task<io_result> file::write(std::uint64_t offset, const pool_buffer& from, std::size_t length) {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    if (auto refused = refuse_if_foreign(from, length)) co_return std::move(*refused);
    if (auto refused = refuse_if_misaligned(offset, length, from.data())) co_return std::move(*refused);
    const bool fixed = engine_->buffers()->registered();
    co_return co_await submit_for_file(
        [data = from.data(), length, offset, index = from.index(), fixed](io_uring_sqe& sqe, int fd) {
            if (fixed) io_uring_prep_write_fixed(&sqe, fd, data, unsigned(length), offset, int(index));
            else io_uring_prep_write(&sqe, fd, data, unsigned(length), offset);
        }, int(from.index()));
}

task<io_result> file::readv(std::uint64_t offset, std::span<const iovec> into) {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    if (direct_) {
        if (auto refusal = check_dio_request(alignment_, path_, offset, into); !refusal.empty()) {
            co_return io_result::failure(EINVAL, std::move(refusal));
        }
    }
    co_return co_await submit_for_file(
        [into, offset](io_uring_sqe& sqe, int fd) {
            io_uring_prep_readv(&sqe, fd, into.data(), unsigned(into.size()), offset);
        });
}

task<io_result> file::writev(std::uint64_t offset, std::span<const iovec> from) {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    if (direct_) {
        if (auto refusal = check_dio_request(alignment_, path_, offset, from); !refusal.empty()) {
            co_return io_result::failure(EINVAL, std::move(refusal));
        }
    }
    co_return co_await submit_for_file(
        [from, offset](io_uring_sqe& sqe, int fd) {
            io_uring_prep_writev(&sqe, fd, from.data(), unsigned(from.size()), offset);
        });
}

task<io_result> file::fsync() {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    co_return co_await submit_for_file(
        [](io_uring_sqe& sqe, int fd) {
            io_uring_prep_fsync(&sqe, fd, 0);
        });
}

task<io_result> file::fdatasync() {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    co_return co_await submit_for_file(
        [](io_uring_sqe& sqe, int fd) {
            io_uring_prep_fsync(&sqe, fd, IORING_FSYNC_DATASYNC);
        });
}

task<io_result> file::fallocate(std::uint64_t offset, std::uint64_t length, int mode) {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    co_return co_await submit_for_file(
        [offset, length, mode](io_uring_sqe& sqe, int fd) {
            io_uring_prep_fallocate(&sqe, fd, mode, offset, length);
        });
}

task<io_result> file::truncate(std::uint64_t length) {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    if (!engine_->supports(op_ftruncate)) {
        // Before Linux 6.9 the ring cannot truncate. ftruncate(2) on the shard's thread is
        // acceptable: it is a control-path call (sizing a file, not moving data), and on a
        // local filesystem it changes metadata without waiting for data writeback.
        const int rc = ::ftruncate(fd_, off_t(length));
        co_return rc == 0 ? io_result(0) : io_result::failure(errno);
    }
    co_return co_await submit_for_file(
        [length](io_uring_sqe& sqe, int fd) {
            // IORING_OP_FTRUNCATE takes the new length in `off`; every other field is 0.
            io_uring_prep_rw(int(op_ftruncate), &sqe, fd, nullptr, 0, length);
        });
}

task<io_result> file::cancel_pending() {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    const std::size_t never_submitted = engine_->cancel_waiting(fd_);
    // By descriptor also for registered files: cancel matches the request's struct file,
    // which the table slot and the descriptor share.
    const int rc = co_await engine_->submit_cancel(
        [fd = fd_](io_uring_sqe& sqe) { io_uring_prep_cancel_fd(&sqe, fd, IORING_ASYNC_CANCEL_ALL); });
    // With CANCEL_ALL the result is how many matched; -ENOENT when none did.
    if (rc < 0 && rc != -ENOENT) co_return io_result(rc);
    co_return io_result(std::int64_t(never_submitted) + std::max(rc, 0));
}

task<io_result> file::close() {
    if (auto refused = refuse_if_unusable()) co_return std::move(*refused);
    unregister();  // requests still in the kernel hold their own reference to the file
    const int fd = std::exchange(fd_, -1);
    const int rc = co_await engine_->submit([fd](io_uring_sqe& sqe) { io_uring_prep_close(&sqe, fd); });
    co_return io_result(rc);
}

}  // namespace sluice::storage
