// Test helper: faulty_filesystem, a FUSE filesystem in the test's own process that serves one
// regular file, "disk" (an in-memory byte vector, at most `capacity` bytes), and fails reads
// of a byte range, writes, or fsync/fdatasync with EIO while the test says so. The test
// thread owns the object and flips the faults; one std::thread of its own answers the
// kernel and alone touches the bytes. Needs /dev/fuse and root (CAP_SYS_ADMIN to mount):
// fuse_available skips the case otherwise. Sources: libfuse 3 fuse_lowlevel.h,
// Documentation/filesystems/fuse.rst.
#pragma once

#define FUSE_USE_VERSION 31
#include <fuse3/fuse_lowlevel.h>

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sluice::testing {

class faulty_filesystem {
public:
    // Mounts a fresh directory under /tmp; mounted() says whether that worked, error() why not.
    explicit faulty_filesystem(std::size_t capacity = 8u << 20) : capacity_(capacity) {
        std::string pattern = "/tmp/sluice-fuse-XXXXXX";
        if (!::mkdtemp(pattern.data())) {
            error_ = std::string("mkdtemp: ") + std::strerror(errno);
            return;
        }
        mountpoint_ = pattern;
        if (::access("/dev/fuse", R_OK | W_OK) != 0) {
            error_ = std::string("/dev/fuse: ") + std::strerror(errno);
            return;
        }
        stop_ = ::eventfd(0, EFD_CLOEXEC);
        if (stop_ < 0) {
            error_ = std::string("eventfd: ") + std::strerror(errno);
            return;
        }
        // fsname shows in /proc/mounts: "sluice-faulty <dir> fuse.sluice-faulty ...".
        const char* argv[] = {"sluice-faulty", "-o", "fsname=sluice-faulty,subtype=sluice-faulty", nullptr};
        fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
        const fuse_lowlevel_ops ops = operations();
        session_ = fuse_session_new(&args, &ops, sizeof(ops), this);
        fuse_opt_free_args(&args);
        if (!session_) {
            error_ = "fuse_session_new failed (see libfuse's message above)";
            return;
        }
        if (fuse_session_mount(session_, mountpoint_.c_str()) != 0) {
            error_ = "cannot mount FUSE on " + mountpoint_ +
                     " (needs root, or fusermount3 from package fuse3; libfuse's reason is above)";
            fuse_session_destroy(std::exchange(session_, nullptr));
            return;
        }
        server_ = std::thread([this] { serve(); });
    }

    faulty_filesystem(const faulty_filesystem&) = delete;
    faulty_filesystem& operator=(const faulty_filesystem&) = delete;

    // Stops the server, then closes /dev/fuse (the kernel aborts the connection, so a
    // request still waiting fails with ENOTCONN instead of hanging) and unmounts lazily.
    ~faulty_filesystem() {
        if (server_.joinable()) {
            const std::uint64_t one = 1;
            (void)!::write(stop_, &one, sizeof one);
            server_.join();
        }
        if (session_) {
            fuse_session_unmount(session_);
            fuse_session_destroy(session_);
        }
        if (stop_ >= 0) ::close(stop_);
        if (!mountpoint_.empty()) ::rmdir(mountpoint_.c_str());
    }

    bool mounted() const noexcept { return server_.joinable(); }
    const std::string& error() const noexcept { return error_; }
    const std::string& mountpoint() const noexcept { return mountpoint_; }
    std::string disk_path() const { return mountpoint_ + "/disk"; }

    // Faults, switchable while requests run. A read fails when [offset, offset + size)
    // overlaps [begin, end); the kernel splits large requests (128 KiB by default), so a
    // long read whose first part is clean comes back short rather than failed.
    void fail_reads(std::uint64_t begin, std::uint64_t end) noexcept {
        read_fault_end_.store(end);
        read_fault_begin_.store(begin);
    }
    void fail_writes(bool on) noexcept { write_fault_.store(on); }
    void fail_syncs(bool on) noexcept { sync_fault_.store(on); }  // fsync and fdatasync
    void heal() noexcept {
        fail_reads(0, 0);
        fail_writes(false);
        fail_syncs(false);
    }

    // Requests answered with EIO, and syncs answered with success, so far.
    std::uint64_t failed_reads() const noexcept { return failed_reads_.load(); }
    std::uint64_t failed_writes() const noexcept { return failed_writes_.load(); }
    std::uint64_t failed_syncs() const noexcept { return failed_syncs_.load(); }
    std::uint64_t syncs() const noexcept { return syncs_.load(); }

private:
    static constexpr fuse_ino_t disk_inode = 2;  // FUSE_ROOT_ID (1) is the directory
    static constexpr const char* disk_name = "disk";

    static faulty_filesystem& self(fuse_req_t request) {
        return *static_cast<faulty_filesystem*>(fuse_req_userdata(request));
    }

    static fuse_lowlevel_ops operations() {
        fuse_lowlevel_ops ops{};
        ops.lookup = on_lookup;
        ops.getattr = on_getattr;
        ops.setattr = on_setattr;
        ops.open = on_open;
        ops.create = on_create;
        ops.read = on_read;
        ops.write = on_write;
        ops.flush = on_flush;
        ops.release = on_release;
        ops.fsync = on_fsync;
        ops.fallocate = on_fallocate;
        return ops;
    }

    // The server thread: one request at a time, until the destructor signals `stop_` or the
    // connection ends.
    void serve() {
        fuse_buf buffer{};
        pollfd watched[2] = {{fuse_session_fd(session_), POLLIN, 0}, {stop_, POLLIN, 0}};
        while (!fuse_session_exited(session_)) {
            if (::poll(watched, 2, -1) < 0) {
                if (errno == EINTR) continue;
                break;
            }
            if (watched[1].revents != 0) break;
            if (watched[0].revents & (POLLERR | POLLHUP)) break;
            const int received = fuse_session_receive_buf(session_, &buffer);
            if (received == -EINTR || received == -EAGAIN) continue;
            if (received <= 0) break;  // 0: unmounted (ENODEV) or exited
            fuse_session_process_buf(session_, &buffer);
        }
        std::free(buffer.mem);  // allocated by fuse_session_receive_buf
    }

    struct stat attributes(fuse_ino_t inode) const {
        struct stat details {};
        details.st_ino = inode;
        details.st_uid = ::getuid();
        details.st_gid = ::getgid();
        details.st_blksize = 4096;
        if (inode == FUSE_ROOT_ID) {
            details.st_mode = S_IFDIR | 0755;
            details.st_nlink = 2;
        } else {
            details.st_mode = S_IFREG | 0644;
            details.st_nlink = 1;
            details.st_size = off_t(bytes_.size());
            details.st_blocks = blkcnt_t((bytes_.size() + 511) / 512);
        }
        return details;
    }

    bool overlaps_read_fault(std::uint64_t offset, std::uint64_t size) const noexcept {
        const std::uint64_t begin = read_fault_begin_.load(), end = read_fault_end_.load();
        return begin < end && offset < end && offset + size > begin;
    }

    // Grows the file to `size` (zeros), or says why not.
    int grow_to(std::uint64_t size) {
        if (size > capacity_) return ENOSPC;
        if (size > bytes_.size()) bytes_.resize(size);
        return 0;
    }

    static void on_lookup(fuse_req_t request, fuse_ino_t parent, const char* name) {
        if (parent != FUSE_ROOT_ID || std::strcmp(name, disk_name) != 0) {
            fuse_reply_err(request, ENOENT);
            return;
        }
        fuse_entry_param entry{};
        entry.ino = disk_inode;
        entry.attr = self(request).attributes(disk_inode);
        entry.attr_timeout = 0;  // the kernel asks again: sizes are always current
        entry.entry_timeout = 0;
        fuse_reply_entry(request, &entry);
    }

    static void on_getattr(fuse_req_t request, fuse_ino_t inode, fuse_file_info*) {
        if (inode != FUSE_ROOT_ID && inode != disk_inode) {
            fuse_reply_err(request, ENOENT);
            return;
        }
        const struct stat details = self(request).attributes(inode);
        fuse_reply_attr(request, &details, 0);
    }

    // Only a size change does anything (truncate, ftruncate, O_TRUNC); times and modes are
    // accepted and ignored.
    static void on_setattr(fuse_req_t request, fuse_ino_t inode, struct stat* wanted, int to_set, fuse_file_info*) {
        faulty_filesystem& fs = self(request);
        if (inode != disk_inode) {
            fuse_reply_err(request, EPERM);
            return;
        }
        if (to_set & FUSE_SET_ATTR_SIZE) {
            const auto size = std::uint64_t(wanted->st_size);
            if (size > fs.capacity_) {
                fuse_reply_err(request, EFBIG);
                return;
            }
            fs.bytes_.resize(size);
        }
        const struct stat details = fs.attributes(inode);
        fuse_reply_attr(request, &details, 0);
    }

    // FOPEN_DIRECT_IO: every read and write, buffered or O_DIRECT, reaches this server, so
    // a fault is never hidden by the page cache.
    static void on_open(fuse_req_t request, fuse_ino_t inode, fuse_file_info* info) {
        if (inode != disk_inode) {
            fuse_reply_err(request, EISDIR);
            return;
        }
        info->direct_io = 1;
        info->keep_cache = 0;
        fuse_reply_open(request, info);
    }

    // The one file exists from the start; no other can be made.
    static void on_create(fuse_req_t request, fuse_ino_t, const char*, mode_t, fuse_file_info*) {
        fuse_reply_err(request, EPERM);
    }

    static void on_read(fuse_req_t request, fuse_ino_t, std::size_t size, off_t offset, fuse_file_info*) {
        faulty_filesystem& fs = self(request);
        if (fs.overlaps_read_fault(std::uint64_t(offset), size)) {
            ++fs.failed_reads_;
            fuse_reply_err(request, EIO);
            return;
        }
        const std::size_t from = std::min(std::size_t(offset), fs.bytes_.size());
        const std::size_t length = std::min(size, fs.bytes_.size() - from);
        fuse_reply_buf(request, reinterpret_cast<const char*>(fs.bytes_.data() + from), length);
    }

    static void on_write(fuse_req_t request, fuse_ino_t, const char* data, std::size_t size, off_t offset,
                         fuse_file_info*) {
        faulty_filesystem& fs = self(request);
        if (fs.write_fault_.load()) {
            ++fs.failed_writes_;
            fuse_reply_err(request, EIO);
            return;
        }
        const auto start = std::uint64_t(offset);
        if (start >= fs.capacity_) {
            fuse_reply_err(request, ENOSPC);
            return;
        }
        const std::size_t length = std::size_t(std::min<std::uint64_t>(size, fs.capacity_ - start));
        (void)fs.grow_to(start + length);
        std::memcpy(fs.bytes_.data() + start, data, length);
        fuse_reply_write(request, length);  // short when the disk is full: the next write gets ENOSPC
    }

    static void on_flush(fuse_req_t request, fuse_ino_t, fuse_file_info*) { fuse_reply_err(request, 0); }
    static void on_release(fuse_req_t request, fuse_ino_t, fuse_file_info*) { fuse_reply_err(request, 0); }

    // Must answer: an ENOSYS here would make the kernel treat every later fsync as a success
    // without asking (fc->no_fsync).
    static void on_fsync(fuse_req_t request, fuse_ino_t, int, fuse_file_info*) {
        faulty_filesystem& fs = self(request);
        if (fs.sync_fault_.load()) {
            ++fs.failed_syncs_;
            fuse_reply_err(request, EIO);
            return;
        }
        ++fs.syncs_;
        fuse_reply_err(request, 0);
    }

    // Mode 0 extends the size; FALLOC_FL_KEEP_SIZE only checks there is room.
    static void on_fallocate(fuse_req_t request, fuse_ino_t, int mode, off_t offset, off_t length, fuse_file_info*) {
        faulty_filesystem& fs = self(request);
        if (mode & ~FALLOC_FL_KEEP_SIZE) {
            fuse_reply_err(request, EOPNOTSUPP);
            return;
        }
        const auto end = std::uint64_t(offset) + std::uint64_t(length);
        if (end > fs.capacity_) {
            fuse_reply_err(request, ENOSPC);
            return;
        }
        fuse_reply_err(request, (mode & FALLOC_FL_KEEP_SIZE) ? 0 : fs.grow_to(end));
    }

    std::size_t capacity_;
    std::vector<std::byte> bytes_;  // the server thread's alone once mounted
    std::string mountpoint_;
    std::string error_;
    fuse_session* session_ = nullptr;
    int stop_ = -1;  // eventfd: the destructor's signal to the server thread
    std::thread server_;
    std::atomic<std::uint64_t> read_fault_begin_{0};
    std::atomic<std::uint64_t> read_fault_end_{0};
    std::atomic<bool> write_fault_{false};
    std::atomic<bool> sync_fault_{false};
    std::atomic<std::uint64_t> failed_reads_{0};
    std::atomic<std::uint64_t> failed_writes_{0};
    std::atomic<std::uint64_t> failed_syncs_{0};
    std::atomic<std::uint64_t> syncs_{0};
};

// Precondition for the EIO cases: skipped, with the reason, where FUSE cannot be mounted
// (no /dev/fuse, not root, a container without the fuse filesystem type).
inline boost::test_tools::assertion_result fuse_available(boost::unit_test::test_unit_id) {
    faulty_filesystem probe;
    struct stat details {};
    const bool works = probe.mounted() && ::stat(probe.disk_path().c_str(), &details) == 0;
    boost::test_tools::assertion_result possible(works);
    if (!works) {
        possible.message() << "cannot serve a FUSE filesystem here: "
                           << (probe.mounted() ? "stat " + probe.disk_path() + ": " + std::strerror(errno)
                                               : probe.error());
    }
    return possible;
}

}  // namespace sluice::testing
