// EIO from the disk, through a FUSE filesystem of the test's own (faulty_filesystem.hh):
// a failed read, write, fsync or fdatasync comes back as -EIO on the operation that hit
// it and the shard goes on (the next request works, the runtime ends); a failed
// fdatasync fails every appender of the log's batch, is not retried, and the log refuses
// later appends. ENOSPC is in file_test.cc and log_test.cc.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/storage/engine.hh"
#include "sluice/storage/file.hh"
#include "sluice/storage/log.hh"
#include "tests/unit/storage/faulty_filesystem.hh"
#include "tests/unit/storage/storage_fixture.hh"

using namespace sluice;
using namespace sluice::storage;
using namespace std::chrono_literals;
using sluice::testing::aligned_bytes;
using sluice::testing::faulty_filesystem;
using sluice::testing::fill_pattern;
using sluice::testing::matches_pattern;
using sluice::testing::fuse_available;

namespace {

constexpr std::uint64_t kib = 1024;

const std::string eio_text = std::strerror(EIO);

}  // namespace

BOOST_AUTO_TEST_SUITE(eio_faults)

// The file is opened with O_DIRECT: FUSE takes it (the server also sets FOPEN_DIRECT_IO,
// so buffered opens would reach it too).
BOOST_AUTO_TEST_CASE(read_that_hits_an_io_error_returns_eio_and_the_next_read_works,
                     *boost::unit_test::precondition(fuse_available)) {
    faulty_filesystem disk;
    BOOST_REQUIRE_MESSAGE(disk.mounted(), disk.error());
    io_result opened_status, wrote, failed, elsewhere, healed;
    bool elsewhere_matches = false, healed_matches = false, finished = false;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await file::open(disk.disk_path(), {.direct = true});
        opened_status = opened.status;
        if (!opened.status.ok()) co_return 1;
        file& f = opened.opened;
        BOOST_TEST_MESSAGE("O_DIRECT on FUSE: alignment " << f.alignment().offset << " bytes"
                                                          << (f.alignment().from_statx ? " (statx)" : " (default)"));
        aligned_bytes data(1024 * kib);
        fill_pattern(data.span(), 0);
        wrote = co_await f.write(0, data.span());
        // The read starts inside the bad range, so its first FUSE request fails however
        // the kernel splits it.
        disk.fail_reads(256 * kib, 260 * kib);
        aligned_bytes into(64 * kib);
        failed = co_await f.read(256 * kib, into.span());
        elsewhere = co_await f.read(512 * kib, into.span());
        elsewhere_matches = matches_pattern(into.span(), 512 * kib);
        disk.heal();
        healed = co_await f.read(256 * kib, into.span());
        healed_matches = matches_pattern(into.span(), 256 * kib);
        (void)co_await f.close();
        finished = true;
        co_return 0;
    });
    BOOST_REQUIRE_MESSAGE(opened_status.ok(), opened_status.message());
    BOOST_TEST(wrote.value() == std::int64_t(1024 * kib), wrote.message());
    BOOST_TEST(!failed.ok());
    BOOST_TEST(failed.error_number() == EIO, failed.message());
    BOOST_TEST(failed.message() == eio_text);
    BOOST_TEST(disk.failed_reads() == 1u);
    BOOST_TEST(elsewhere.value() == std::int64_t(64 * kib), elsewhere.message());
    BOOST_TEST(elsewhere_matches);
    BOOST_TEST(healed.value() == std::int64_t(64 * kib), healed.message());
    BOOST_TEST(healed_matches);
    BOOST_TEST(finished);
}

BOOST_AUTO_TEST_CASE(write_that_hits_an_io_error_returns_eio,
                     *boost::unit_test::precondition(fuse_available)) {
    faulty_filesystem disk;
    BOOST_REQUIRE_MESSAGE(disk.mounted(), disk.error());
    io_result opened_status, first, failed, healed, read;
    bool old_bytes_kept = false, finished = false;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await file::open(disk.disk_path(), {.direct = true});
        opened_status = opened.status;
        if (!opened.status.ok()) co_return 1;
        file& f = opened.opened;
        aligned_bytes data(64 * kib);
        fill_pattern(data.span(), 0);
        first = co_await f.write(0, data.span());
        disk.fail_writes(true);
        fill_pattern(data.span(), 0, 7);
        failed = co_await f.write(0, data.span());
        disk.heal();
        aligned_bytes into(64 * kib);
        read = co_await f.read(0, into.span());
        old_bytes_kept = matches_pattern(into.span(), 0);
        healed = co_await f.write(64 * kib, data.span());
        (void)co_await f.close();
        finished = true;
        co_return 0;
    });
    BOOST_REQUIRE_MESSAGE(opened_status.ok(), opened_status.message());
    BOOST_TEST(first.value() == std::int64_t(64 * kib), first.message());
    BOOST_TEST(failed.error_number() == EIO, failed.message());
    BOOST_TEST(failed.message() == eio_text);
    BOOST_TEST(disk.failed_writes() == 1u);
    BOOST_TEST(read.value() == std::int64_t(64 * kib), read.message());
    BOOST_TEST(old_bytes_kept);
    BOOST_TEST(healed.value() == std::int64_t(64 * kib), healed.message());
    BOOST_TEST(finished);
}

BOOST_AUTO_TEST_CASE(fsync_and_fdatasync_that_hit_an_io_error_return_eio,
                     *boost::unit_test::precondition(fuse_available)) {
    faulty_filesystem disk;
    BOOST_REQUIRE_MESSAGE(disk.mounted(), disk.error());
    io_result opened_status, wrote, fsync_failed, fdatasync_failed, fsync_healed, fdatasync_healed;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await file::open(disk.disk_path(), {.direct = true});
        opened_status = opened.status;
        if (!opened.status.ok()) co_return 1;
        file& f = opened.opened;
        aligned_bytes data(4 * kib);
        fill_pattern(data.span(), 0);
        wrote = co_await f.write(0, data.span());
        disk.fail_syncs(true);
        fsync_failed = co_await f.fsync();
        fdatasync_failed = co_await f.fdatasync();
        disk.heal();
        fsync_healed = co_await f.fsync();
        fdatasync_healed = co_await f.fdatasync();
        (void)co_await f.close();
        co_return 0;
    });
    BOOST_REQUIRE_MESSAGE(opened_status.ok(), opened_status.message());
    BOOST_TEST(wrote.ok(), wrote.message());
    BOOST_TEST(fsync_failed.error_number() == EIO, fsync_failed.message());
    BOOST_TEST(fdatasync_failed.error_number() == EIO, fdatasync_failed.message());
    BOOST_TEST(disk.failed_syncs() == 2u);
    BOOST_TEST(fsync_healed.ok(), fsync_healed.message());
    BOOST_TEST(fdatasync_healed.ok(), fdatasync_healed.message());
}

// One good append, then fdatasync fails: the batch in flight (the first appender leads one
// of its own) and everyone queued behind it get the error, the log asks the disk to sync once only (a retry could "succeed" without
// the data: log.cc, write_and_sync), and a later append is refused with the same error.
BOOST_AUTO_TEST_CASE(log_append_fails_every_waiting_appender_when_fdatasync_reports_eio_and_refuses_later_appends,
                     *boost::unit_test::precondition(fuse_available)) {
    faulty_filesystem disk;
    BOOST_REQUIRE_MESSAGE(disk.mounted(), disk.error());
    constexpr int appenders = 16;
    io_result opened_status, later;
    append_result before;
    std::vector<io_result> failures;
    log_counters counters;
    std::uint64_t syncs_before_fault = 0;
    bool all_finished = false;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        // O_DIRECT, and a small preallocation step: the disk holds 8 MiB.
        auto opened = co_await storage::log::open(disk.disk_path(), {.direct = true, .preallocate_bytes = 1 << 20});
        opened_status = opened.status;
        if (!opened.status.ok()) co_return 1;
        storage::log& log = *opened.opened;
        const std::vector<std::byte> first(100, std::byte{1});
        before = co_await log.append(first);
        syncs_before_fault = disk.syncs();
        disk.fail_syncs(true);
        int finished = 0;
        for (int a = 0; a < appenders; ++a) {
            spawn([&]() -> task<void> {
                const std::vector<std::byte> payload(300, std::byte{2});
                const append_result acked = co_await log.append(payload);
                failures.push_back(acked.status);
                ++finished;
            });
        }
        for (int waits = 0; finished < appenders && waits < 10000; ++waits) co_await sleep_for(1ms);
        all_finished = finished == appenders;
        const std::vector<std::byte> small(10, std::byte{3});
        later = (co_await log.append(small)).status;
        counters = log.counters();
        (void)co_await log.close();
        co_return 0;
    });
    BOOST_REQUIRE_MESSAGE(opened_status.ok(), opened_status.message());
    BOOST_TEST(before.status.ok(), before.status.message());
    BOOST_TEST(syncs_before_fault >= 1u);
    BOOST_TEST(all_finished, "an appender hung after the fdatasync failed");
    BOOST_REQUIRE_EQUAL(failures.size(), std::size_t(appenders));
    for (const io_result& failure : failures) {
        BOOST_TEST(failure.error_number() == EIO, failure.message());
        BOOST_TEST(failure.message().find("fdatasync") != std::string::npos, failure.message());
        BOOST_TEST(failure.message().find(eio_text) != std::string::npos, failure.message());
    }
    BOOST_TEST(disk.failed_syncs() == 1u);  // no retry
    BOOST_TEST(later.error_number() == EIO, later.message());
    BOOST_TEST(later.message().find("refuses further appends") != std::string::npos, later.message());
    BOOST_TEST_MESSAGE("fdatasync EIO: " << counters.failed_appends << " appends failed, " << counters.batches
                                          << " good batches, " << counters.fdatasyncs << " fdatasyncs");
    BOOST_TEST(counters.appends == 1u);
    BOOST_TEST(counters.failed_appends == std::uint64_t(appenders));
}

BOOST_AUTO_TEST_SUITE_END()
