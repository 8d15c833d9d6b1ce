// The file API on one shard: data written at random offsets and sizes reads back the same
// (O_DIRECT, buffered, and through registered pool buffers), O_DIRECT misalignment is
// refused before the kernel with the alignment named, reads at and past end of file are
// short or empty, vectored I/O, fsync/fdatasync/fallocate/truncate as seen by stat(2),
// and errors (ENOENT, EBADF, ENOSPC) arriving on the operation that hit them as -errno.
#include <boost/test/unit_test.hpp>

#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sluice/storage/engine.hh"
#include "sluice/storage/file.hh"
#include "tests/unit/storage/storage_fixture.hh"

using namespace sluice;
using namespace sluice::storage;
using sluice::testing::aligned_bytes;
using sluice::testing::can_mount_a_tmpfs;
using sluice::testing::fill_pattern;
using sluice::testing::matches_pattern;
using sluice::testing::scratch_directory;
using sluice::testing::tiny_filesystem;

namespace {

struct stat stat_of(const std::string& path) {
    struct stat details {};
    BOOST_REQUIRE_EQUAL(::stat(path.c_str(), &details), 0);
    return details;
}

// Writes `rounds` blocks at random aligned (or, buffered, arbitrary) places, then reads
// each back; returns how many matched. Fixed seed: a failure replays.
task<int> random_round_trips(std::string path, bool direct, int rounds, std::string* failure) {
    open_options options;
    options.direct = direct;
    options.create = true;
    auto opened = co_await file::open(path, options);
    if (!opened.status) {
        *failure = opened.status.message();
        co_return 0;
    }
    file& f = opened.opened;
    const std::uint64_t unit = direct ? f.alignment().offset : 1;
    std::mt19937_64 random(20240501);
    std::uniform_int_distribution<std::uint64_t> block(0, 255);
    std::uniform_int_distribution<std::uint64_t> units(1, direct ? 16 : 70000);
    aligned_bytes buffer(16 * 4096 * 2);
    int matched = 0;
    for (int round = 0; round < rounds; ++round) {
        const std::uint64_t offset = block(random) * (direct ? unit : 977);
        const std::size_t length = std::size_t(units(random) * unit);
        auto bytes = buffer.span().first(length);
        fill_pattern(bytes, offset);
        auto wrote = co_await f.write(offset, bytes);
        std::memset(bytes.data(), 0, length);
        auto read = co_await f.read(offset, bytes);
        if (wrote.value() == std::int64_t(length) && read.value() == std::int64_t(length) &&
            matches_pattern(bytes, offset)) {
            ++matched;
        } else if (failure->empty()) {
            *failure = "round " + std::to_string(round) + ": offset " + std::to_string(offset) + " length " +
                       std::to_string(length) + ": write " + wrote.message() + " (" + std::to_string(wrote.value()) +
                       "), read " + read.message() + " (" + std::to_string(read.value()) + ")";
        }
    }
    (void)co_await f.close();
    co_return matched;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(file_api)

BOOST_AUTO_TEST_CASE(direct_round_trips_at_random_aligned_offsets_and_sizes,
                     *boost::unit_test::precondition(testing::direct_io_available)) {
    scratch_directory scratch;
    std::string failure;
    const int matched = testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        co_return co_await random_round_trips(scratch.file("direct"), true, 64, &failure);
    });
    BOOST_TEST(failure == "");
    BOOST_TEST(matched == 64);
}

BOOST_AUTO_TEST_CASE(buffered_round_trips_at_random_offsets_and_sizes) {
    scratch_directory scratch;
    std::string failure;
    const int matched = testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        co_return co_await random_round_trips(scratch.file("buffered"), false, 64, &failure);
    });
    BOOST_TEST(failure == "");
    BOOST_TEST(matched == 64);
}

BOOST_AUTO_TEST_CASE(pool_buffers_round_trip_as_fixed_buffer_requests,
                     *boost::unit_test::precondition(testing::direct_io_available)) {
    scratch_directory scratch;
    bool registered = false;
    std::int64_t wrote = 0, read = 0;
    bool same = false;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        buffer_pool& pool = *engine::current()->buffers();
        registered = pool.registered();
        auto opened = co_await file::open(scratch.file("fixed"), {.create = true});
        auto out = co_await pool.acquire();
        auto in = co_await pool.acquire();
        fill_pattern(out.bytes(), 8192);
        wrote = (co_await opened.opened.write(8192, out, out.size())).value();
        read = (co_await opened.opened.read(8192, in, in.size())).value();
        same = matches_pattern(in.bytes(), 8192);
        co_return 0;
    });
    BOOST_TEST(registered);
    BOOST_TEST(wrote == 64 * 1024);
    BOOST_TEST(read == 64 * 1024);
    BOOST_TEST(same);
}

BOOST_AUTO_TEST_CASE(misaligned_direct_requests_fail_before_the_kernel_naming_the_alignment,
                     *boost::unit_test::precondition(testing::direct_io_available)) {
    scratch_directory scratch;
    const std::string path = scratch.file("aligned");
    std::vector<io_result> results;
    std::uint32_t offset_alignment = 0;
    const int reached_kernel = testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await file::open(path, {.create = true});
        file& f = opened.opened;
        offset_alignment = f.alignment().offset;
        const auto before = engine::current()->counters().completed;
        aligned_bytes buffer(2 * 4096);
        results.push_back(co_await f.read(100, buffer.span().first(4096)));                   // offset
        results.push_back(co_await f.write(0, buffer.span().first(1000)));                    // length
        results.push_back(co_await f.write(0, buffer.span().subspan(1, 4096)));               // address
        iovec segments[2] = {{buffer.bytes, 4096}, {buffer.bytes + 4096, 512 + 1}};
        results.push_back(co_await f.writev(0, segments));                                    // a segment
        co_return int(engine::current()->counters().completed - before);
    });
    BOOST_TEST_MESSAGE(results[0].message());
    BOOST_TEST(reached_kernel == 0);  // nothing reached the kernel
    BOOST_REQUIRE_EQUAL(results.size(), 4u);
    const std::string needs = "O_DIRECT needs offset";
    for (const auto& result : results) {
        BOOST_TEST(result.value() == -EINVAL);
        BOOST_TEST(result.message().find(needs) == 0, result.message());
        BOOST_TEST(result.message().find(std::to_string(offset_alignment) + " bytes") != std::string::npos);
        BOOST_TEST(result.message().find(path) != std::string::npos);
    }
    BOOST_TEST(results[0].message().find("got offset 100") != std::string::npos, results[0].message());
    BOOST_TEST(results[1].message().find("got length 1000") != std::string::npos, results[1].message());
    BOOST_TEST(results[2].message().find("buffer address") != std::string::npos, results[2].message());
    BOOST_TEST(results[3].message().find("segment 1 length 513") != std::string::npos, results[3].message());
}

BOOST_AUTO_TEST_CASE(reads_at_end_of_file_are_short_and_past_it_return_zero) {
    scratch_directory scratch;
    std::int64_t straddling = -1, past = -1, direct_straddling = -1;
    bool direct = scratch.direct_io();
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await file::open(scratch.file("short"), {.direct = false, .create = true});
        aligned_bytes buffer(3 * 4096);
        fill_pattern(buffer.span(), 0);
        (void)co_await opened.opened.write(0, buffer.span().first(6000));
        straddling = (co_await opened.opened.read(4096, buffer.span().first(4096))).value();  // 1904 left
        past = (co_await opened.opened.read(10000, buffer.span().first(4096))).value();
        if (direct) {
            auto again = co_await file::open(scratch.file("short"), {.mode = access::read_only});
            direct_straddling = (co_await again.opened.read(4096, buffer.span().first(8192))).value();
        }
        co_return 0;
    });
    BOOST_TEST(straddling == 6000 - 4096);
    BOOST_TEST(past == 0);
    if (direct) BOOST_TEST(direct_straddling == 6000 - 4096);  // O_DIRECT also stops at EOF
}

BOOST_AUTO_TEST_CASE(readv_and_writev_gather_and_scatter_in_order) {
    scratch_directory scratch;
    std::int64_t wrote = 0, read = 0;
    bool same = false;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await file::open(scratch.file("vectored"), {.direct = scratch.direct_io(), .create = true});
        aligned_bytes first(4096), second(8192), back(12288);
        fill_pattern(first.span(), 4096);
        fill_pattern(second.span(), 8192);
        const iovec out[2] = {{first.bytes, 4096}, {second.bytes, 8192}};
        wrote = (co_await opened.opened.writev(4096, out)).value();
        aligned_bytes a(8192), b(4096);
        const iovec in[2] = {{a.bytes, 8192}, {b.bytes, 4096}};
        read = (co_await opened.opened.readv(4096, in)).value();
        same = matches_pattern(a.span(), 4096) && matches_pattern(b.span(), 4096 + 8192);
        co_return 0;
    });
    BOOST_TEST(wrote == 12288);
    BOOST_TEST(read == 12288);
    BOOST_TEST(same);
}

BOOST_AUTO_TEST_CASE(sync_fallocate_and_truncate_show_in_stat) {
    scratch_directory scratch;
    const std::string path = scratch.file("sized");
    std::vector<io_result> results;
    off_t after_fallocate = 0, after_keep_size = 0, after_truncate = 0;
    blkcnt_t blocks_keep_size = 0;
    bool ring_truncate = false;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        ring_truncate = engine::current()->supports(55);
        auto opened = co_await file::open(path, {.direct = false, .create = true});
        file& f = opened.opened;
        results.push_back(co_await f.fallocate(0, 1 << 20));
        after_fallocate = stat_of(path).st_size;
        results.push_back(co_await f.fallocate(1 << 20, 1 << 20, FALLOC_FL_KEEP_SIZE));
        after_keep_size = stat_of(path).st_size;
        blocks_keep_size = stat_of(path).st_blocks;
        results.push_back(co_await f.fsync());
        results.push_back(co_await f.fdatasync());
        results.push_back(co_await f.truncate(12345));
        after_truncate = stat_of(path).st_size;
        results.push_back(co_await f.close());
        co_return 0;
    });
    BOOST_TEST_MESSAGE("truncate through the ring (IORING_OP_FTRUNCATE): " << (ring_truncate ? "yes" : "no, ftruncate(2)"));
    for (const auto& result : results) BOOST_TEST(result.ok(), result.message());
    BOOST_TEST(after_fallocate == 1 << 20);
    BOOST_TEST(after_keep_size == 1 << 20);                    // KEEP_SIZE: size unchanged...
    BOOST_TEST(blocks_keep_size * 512 >= (2 << 20));           // ...space reserved past it
    BOOST_TEST(after_truncate == 12345);
}

BOOST_AUTO_TEST_CASE(errors_arrive_on_the_operation_as_negative_errno) {
    scratch_directory scratch;
    io_result missing, read_only_write, closed_read;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        missing = (co_await file::open(scratch.file("absent"), {.direct = false})).status;
        auto created = co_await file::open(scratch.file("present"), {.direct = false, .create = true});
        (void)co_await created.opened.close();
        auto reader = co_await file::open(scratch.file("present"), {.mode = access::read_only, .direct = false});
        const char text[] = "x";
        read_only_write = co_await reader.opened.write(0, std::as_bytes(std::span(text)));  // EBADF from the kernel
        (void)co_await reader.opened.close();
        char into[4];
        closed_read = co_await reader.opened.read(0, std::as_writable_bytes(std::span(into)));
        co_return 0;
    });
    BOOST_TEST(missing.value() == -ENOENT);
    BOOST_TEST(missing.message().find("absent") != std::string::npos, missing.message());
    BOOST_TEST(read_only_write.value() == -EBADF);
    BOOST_TEST(closed_read.value() == -EBADF);
    BOOST_TEST(closed_read.message().find("is not open") != std::string::npos, closed_read.message());
}

BOOST_AUTO_TEST_CASE(every_ring_mode_round_trips) {
    for (ring_mode mode : {ring_mode::defer_taskrun, ring_mode::coop_taskrun, ring_mode::plain}) {
        scratch_directory scratch;
        auto options = testing::quiet_options();
        options.best_mode = mode;
        ring_mode got = ring_mode::plain;
        std::string failure;
        const int matched = testing::run_with_storage(1, options, [&]() -> task<int> {
            got = engine::current()->mode();
            BOOST_TEST_MESSAGE(engine::current()->description());
            co_return co_await random_round_trips(scratch.file("mode"), false, 16, &failure);
        });
        BOOST_TEST(failure == "");
        BOOST_TEST(matched == 16);
        BOOST_TEST(int(got) >= int(mode));  // that mode, or a fallback below it
    }
}

BOOST_AUTO_TEST_CASE(files_past_the_registered_table_work_by_descriptor_and_a_closed_file_frees_its_slot) {
    scratch_directory scratch;
    auto options = testing::quiet_options();
    options.registered_files = 2;
    std::vector<bool> registered;
    std::vector<int> matched;
    unsigned in_use_after_close = 99;
    bool reopened_registered = false;
    std::uint64_t unregistered_opens = 0;
    std::string failure;
    testing::run_with_storage(1, options, [&]() -> task<int> {
        std::vector<file> files;
        for (int i = 0; i < 3; ++i) {
            auto opened = co_await file::open(scratch.file("table-" + std::to_string(i)), {.direct = false, .create = true});
            if (!opened.status) {
                failure = opened.status.message();
                co_return 1;
            }
            registered.push_back(opened.opened.registered());
            files.push_back(std::move(opened.opened));
        }
        // Each file, registered or not, writes and reads back its own bytes.
        for (std::size_t i = 0; i < files.size(); ++i) {
            std::vector<std::byte> out(5000, std::byte(i + 1)), in(5000);
            auto wrote = co_await files[i].write(0, out);
            auto synced = co_await files[i].fdatasync();
            auto read = co_await files[i].read(0, in);
            matched.push_back(wrote.value() == 5000 && synced.ok() && read.value() == 5000 && in == out);
        }
        unregistered_opens = engine::current()->counters().files_unregistered;
        (void)co_await files[0].close();
        in_use_after_close = engine::current()->registered_files_in_use();
        auto again = co_await file::open(scratch.file("table-3"), {.direct = false, .create = true});
        reopened_registered = again.opened.registered();
        co_return 0;
    });
    BOOST_TEST(failure == "");
    BOOST_TEST((registered == std::vector<bool>{true, true, false}));
    BOOST_TEST((matched == std::vector<int>{1, 1, 1}));
    BOOST_TEST(unregistered_opens == 1u);
    BOOST_TEST(in_use_after_close == 1u);
    BOOST_TEST(reopened_registered);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(file_api_faults)

BOOST_AUTO_TEST_CASE(a_full_filesystem_fails_the_write_that_hit_it_with_enospc,
                     *boost::unit_test::precondition(can_mount_a_tmpfs)) {
    tiny_filesystem tiny;
    BOOST_REQUIRE(tiny.mounted);
    std::int64_t written = 0;
    io_result last;
    io_result after;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await file::open(tiny.mountpoint + "/fill", {.direct = false, .create = true});
        std::vector<std::byte> chunk(64 * 1024, std::byte{7});
        for (int i = 0; i < 64; ++i) {  // 4 MiB into 1 MiB: must fail on the way
            last = co_await opened.opened.write(std::uint64_t(written), chunk);
            if (!last.ok() || last.value() == 0) break;
            written += last.value();
        }
        after = co_await opened.opened.fsync();  // the shard and the file still work
        co_return 0;
    });
    BOOST_TEST(last.value() == -ENOSPC, last.message());
    BOOST_TEST(written > 0);
    BOOST_TEST(written <= (1 << 20));
    BOOST_TEST(after.ok(), after.message());
}

BOOST_AUTO_TEST_SUITE_END()
