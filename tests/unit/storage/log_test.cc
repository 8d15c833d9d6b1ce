// The durable log: records appended and reopened come back in order (O_DIRECT and
// buffered); many concurrent appenders share fdatasyncs, are acknowledged in sequence order
// and land in the file in that order; back-pressure holds appenders without dropping any;
// recovery stops at a truncated last record or a corrupted middle record and says where,
// and appends then follow the last good record; ENOSPC fails the batch and the log refuses
// later appends; another shard appends through submit_to. The kill -9 test is in
// log_crash_test.cc.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/submit_to.hh"
#include "sluice/storage/log.hh"
#include "tests/unit/storage/storage_fixture.hh"

using namespace sluice;
using namespace sluice::storage;
using namespace std::chrono_literals;
using sluice::testing::can_mount_a_tmpfs;
using sluice::testing::scratch_directory;
using sluice::testing::tiny_filesystem;

namespace sluice::storage {
// For Boost.Test's messages (found by argument-dependent lookup).
std::ostream& operator<<(std::ostream& out, record_verdict verdict) { return out << to_string(verdict); }
}  // namespace sluice::storage

namespace {

std::vector<std::byte> payload_for(std::uint64_t index) {
    std::vector<std::byte> payload(index * 37 % 700);  // 0..699 bytes: records straddle blocks
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = std::byte((index * 29 + i * 7) & 0xFF);
    return payload;
}

log_contents read_back(const std::string& path) {
    log_contents contents;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        contents = co_await storage::log::read_all(path);
        co_return 0;
    });
    BOOST_REQUIRE_MESSAGE(contents.status.ok(), contents.status.message());
    return contents;
}

// Appends payload_for(first .. first + count - 1) one after another (a batch each), closes.
void append_in_turn(const std::string& path, bool direct, std::uint64_t first, std::uint64_t count,
                    recovery_report* recovered = nullptr) {
    std::string failure;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await storage::log::open(path, {.direct = direct});
        if (!opened.status.ok()) {
            failure = opened.status.message();
            co_return 1;
        }
        if (recovered) *recovered = opened.recovery;
        for (std::uint64_t i = first; i < first + count; ++i) {
            const auto payload = payload_for(i);
            const append_result acked = co_await opened.opened->append(payload);
            if ((!acked.status.ok() || acked.sequence != i) && failure.empty()) {
                failure = "append " + std::to_string(i) + ": " + acked.status.message() + ", sequence " +
                          std::to_string(acked.sequence);
            }
        }
        (void)co_await opened.opened->close();
        co_return 0;
    });
    BOOST_REQUIRE_MESSAGE(failure.empty(), failure);
}

// The byte offset at which record `index` of payload_for(0..) starts.
std::uint64_t offset_of_record(std::uint64_t index) {
    std::uint64_t offset = 0;
    for (std::uint64_t i = 0; i < index; ++i) offset += encoded_log_record_bytes(payload_for(i).size());
    return offset;
}

void expect_records(const log_contents& contents, std::uint64_t count) {
    BOOST_REQUIRE_EQUAL(contents.records.size(), count);
    for (std::uint64_t i = 0; i < count; ++i) {
        BOOST_TEST(contents.records[i].sequence == i);
        BOOST_TEST((contents.records[i].payload == payload_for(i)), "payload of record " << i);
    }
}

void flip_byte(const std::string& path, std::uint64_t offset) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    BOOST_REQUIRE(fd >= 0);
    unsigned char byte = 0;
    BOOST_REQUIRE_EQUAL(::pread(fd, &byte, 1, off_t(offset)), 1);
    byte ^= 0x40;
    BOOST_REQUIRE_EQUAL(::pwrite(fd, &byte, 1, off_t(offset)), 1);
    ::close(fd);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_round_trip)

BOOST_AUTO_TEST_CASE(records_appended_one_by_one_come_back_in_order_after_reopening_with_o_direct,
                     *boost::unit_test::precondition(testing::direct_io_available)) {
    scratch_directory scratch;
    const std::string path = scratch.file("log");
    recovery_report second_open;
    append_in_turn(path, true, 0, 40);
    append_in_turn(path, true, 40, 40, &second_open);  // the last partial block is read back
    BOOST_TEST(second_open.records == 40u);
    BOOST_TEST(second_open.stop_offset == offset_of_record(40));
    BOOST_TEST(!second_open.damaged(), second_open.describe());
    const auto contents = read_back(path);
    expect_records(contents, 80);
    // Preallocated space after the last record reads as zeros: the clean end.
    BOOST_TEST(contents.recovery.reason == record_verdict::end_of_log);
    BOOST_TEST(contents.recovery.file_bytes > contents.recovery.stop_offset);
}

BOOST_AUTO_TEST_CASE(records_appended_one_by_one_come_back_in_order_after_reopening_buffered) {
    scratch_directory scratch;
    const std::string path = scratch.file("log");
    append_in_turn(path, false, 0, 30);
    append_in_turn(path, false, 30, 30);
    expect_records(read_back(path), 60);
}

BOOST_AUTO_TEST_CASE(an_oversized_record_is_refused_and_the_log_goes_on) {
    scratch_directory scratch;
    append_result too_big, after;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await storage::log::open(scratch.file("log"), {.direct = false, .max_batch_bytes = 1024});
        if (!opened.status.ok()) co_return 1;
        std::vector<std::byte> big(1024);
        too_big = co_await opened.opened->append(big);
        after = co_await opened.opened->append(std::span(big).first(100));
        co_return 0;
    });
    BOOST_TEST(too_big.status.value() == -EMSGSIZE);
    BOOST_TEST(too_big.status.message().find("limit") != std::string::npos, too_big.status.message());
    BOOST_TEST(after.status.ok(), after.status.message());
    BOOST_TEST(after.sequence == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(group_commit)

// 256 tasks append 8 records each, all at once: appends that arrive while a batch is in
// flight form the next one, so fdatasyncs are far fewer than appends.
BOOST_AUTO_TEST_CASE(concurrent_appenders_share_fdatasyncs_and_are_acknowledged_in_sequence_order) {
    scratch_directory scratch;
    const std::string path = scratch.file("log");
    constexpr int tasks = 256, rounds = 8;
    std::vector<std::uint64_t> acknowledged;             // sequence numbers, in acknowledgement order
    std::vector<std::vector<std::byte>> payload_of(tasks * rounds);  // by sequence number
    std::string failure;
    log_counters counters;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await storage::log::open(path, {.direct = scratch.direct_io()});
        if (!opened.status.ok()) {
            failure = opened.status.message();
            co_return 1;
        }
        storage::log& log = *opened.opened;
        int finished = 0;
        for (int t = 0; t < tasks; ++t) {
            spawn([&, t]() -> task<void> {
                for (int round = 0; round < rounds; ++round) {
                    const auto payload = payload_for(std::uint64_t(t * rounds + round));
                    const append_result acked = co_await log.append(payload);
                    if (!acked.status.ok()) {
                        failure = acked.status.message();
                        break;
                    }
                    acknowledged.push_back(acked.sequence);
                    payload_of[acked.sequence] = payload;
                }
                ++finished;
            });
        }
        for (int waits = 0; finished < tasks && waits < 20000; ++waits) co_await sleep_for(1ms);
        counters = log.counters();
        (void)co_await log.close();
        co_return 0;
    });
    BOOST_REQUIRE_MESSAGE(failure.empty(), failure);
    BOOST_REQUIRE_EQUAL(acknowledged.size(), std::size_t(tasks * rounds));
    bool in_order = true;
    for (std::size_t i = 0; i < acknowledged.size(); ++i) in_order = in_order && acknowledged[i] == i;
    BOOST_TEST(in_order, "acknowledgements out of sequence order");
    BOOST_TEST_MESSAGE("group commit: " << counters.appends << " appends, " << counters.batches << " batches, "
                                        << counters.fdatasyncs << " fdatasyncs, largest batch "
                                        << counters.max_batch_records << " records");
    BOOST_TEST(counters.appends == std::uint64_t(tasks * rounds));
    BOOST_TEST(counters.fdatasyncs == counters.batches);
    BOOST_TEST(counters.fdatasyncs * 10 < counters.appends);
    BOOST_TEST(counters.max_batch_records > 10u);
    // The file holds the records in acknowledgement order, each intact.
    const auto contents = read_back(path);
    BOOST_REQUIRE_EQUAL(contents.records.size(), std::size_t(tasks * rounds));
    int mismatched = 0;
    for (std::size_t i = 0; i < contents.records.size(); ++i) {
        mismatched += contents.records[i].sequence != i || contents.records[i].payload != payload_of[i];
    }
    BOOST_TEST(mismatched == 0);
}

BOOST_AUTO_TEST_CASE(appenders_past_the_pending_bound_wait_and_none_is_dropped) {
    scratch_directory scratch;
    const std::string path = scratch.file("log");
    constexpr int appenders = 200;
    std::vector<std::uint64_t> acknowledged;
    log_counters counters;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await storage::log::open(
            path, {.direct = scratch.direct_io(), .max_batch_bytes = 4096, .max_pending_bytes = 8192});
        if (!opened.status.ok()) co_return 1;
        storage::log& log = *opened.opened;
        int finished = 0;
        for (int a = 0; a < appenders; ++a) {
            spawn([&]() -> task<void> {
                std::vector<std::byte> payload(200, std::byte{0x5A});
                const append_result acked = co_await log.append(payload);
                if (acked.status.ok()) acknowledged.push_back(acked.sequence);
                ++finished;
            });
        }
        for (int waits = 0; finished < appenders && waits < 20000; ++waits) co_await sleep_for(1ms);
        counters = log.counters();
        (void)co_await log.close();
        co_return 0;
    });
    BOOST_REQUIRE_EQUAL(acknowledged.size(), std::size_t(appenders));
    for (std::size_t i = 0; i < acknowledged.size(); ++i) BOOST_TEST(acknowledged[i] == i);
    BOOST_TEST(counters.waited_for_room > 0u);
    BOOST_TEST(counters.max_batch_records * encoded_log_record_bytes(200) <= 4096u);
    BOOST_TEST(read_back(path).records.size() == std::size_t(appenders));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(log_recovery)

BOOST_AUTO_TEST_CASE(a_record_cut_mid_payload_ends_recovery_at_its_start_and_appends_follow_it) {
    scratch_directory scratch;
    const std::string path = scratch.file("log");
    append_in_turn(path, false, 0, 10);
    const std::uint64_t last_start = offset_of_record(9);
    BOOST_REQUIRE_EQUAL(::truncate(path.c_str(), off_t(last_start + log_record_header_bytes + 5)), 0);
    recovery_report report;
    append_in_turn(path, false, 9, 3, &report);  // the cut record's sequence is given again
    BOOST_TEST(report.records == 9u);
    BOOST_TEST(report.stop_offset == last_start);
    BOOST_TEST(report.reason == record_verdict::length_past_end, report.describe());
    BOOST_TEST(report.damaged());
    BOOST_TEST(report.describe().find("stopped at byte " + std::to_string(last_start) + " (record 9)") !=
                   std::string::npos,
               report.describe());
    expect_records(read_back(path), 12);
}

BOOST_AUTO_TEST_CASE(a_file_that_ends_inside_a_header_ends_recovery_there) {
    scratch_directory scratch;
    const std::string path = scratch.file("log");
    append_in_turn(path, false, 0, 5);
    const std::uint64_t last_start = offset_of_record(4);
    BOOST_REQUIRE_EQUAL(::truncate(path.c_str(), off_t(last_start + 10)), 0);
    const auto contents = read_back(path);
    BOOST_TEST(contents.records.size() == 4u);
    BOOST_TEST(contents.recovery.stop_offset == last_start);
    BOOST_TEST(contents.recovery.reason == record_verdict::incomplete_header, contents.recovery.describe());
}

BOOST_AUTO_TEST_CASE(a_corrupted_middle_record_ends_recovery_at_it_and_the_rest_is_cut,
                     *boost::unit_test::precondition(testing::direct_io_available)) {
    scratch_directory scratch;
    const std::string path = scratch.file("log");
    append_in_turn(path, true, 0, 10);
    const std::uint64_t bad_start = offset_of_record(4);
    flip_byte(path, bad_start + log_record_header_bytes + 3);  // record 4 has a 148-byte payload
    const auto before = read_back(path);  // read_all changes nothing
    BOOST_TEST(before.records.size() == 4u);
    BOOST_TEST(before.recovery.reason == record_verdict::crc_mismatch, before.recovery.describe());
    BOOST_TEST(before.recovery.stop_offset == bad_start);
    recovery_report report;
    append_in_turn(path, true, 4, 2, &report);
    BOOST_TEST(report.records == 4u);
    BOOST_TEST(report.stop_offset == bad_start);
    BOOST_TEST(report.reason == record_verdict::crc_mismatch, report.describe());
    const auto after = read_back(path);
    expect_records(after, 6);  // records 5..9 of the first run are gone, not resurrected
    BOOST_TEST(after.recovery.reason == record_verdict::end_of_log, after.recovery.describe());
}

BOOST_AUTO_TEST_CASE(a_corrupted_header_field_or_magic_is_caught) {
    scratch_directory scratch;
    const std::string path = scratch.file("log");
    append_in_turn(path, false, 0, 6);
    flip_byte(path, offset_of_record(2) + 9);  // record 2's sequence number: covered by the CRC
    auto contents = read_back(path);
    BOOST_TEST(contents.records.size() == 2u);
    BOOST_TEST(contents.recovery.reason == record_verdict::crc_mismatch, contents.recovery.describe());
    flip_byte(path, offset_of_record(1));  // record 1's magic
    contents = read_back(path);
    BOOST_TEST(contents.records.size() == 1u);
    BOOST_TEST(contents.recovery.reason == record_verdict::bad_magic, contents.recovery.describe());
    BOOST_TEST(contents.recovery.stop_offset == offset_of_record(1));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(log_faults)

// Buffered, 32 appenders of 4 KiB records into 1 MiB. With preallocation the error comes
// from fallocate, without it from the write; either way the batch fails as a whole.
BOOST_AUTO_TEST_CASE(enospc_fails_the_batch_and_the_log_refuses_later_appends,
                     *boost::unit_test::precondition(can_mount_a_tmpfs)) {
    for (const std::uint64_t preallocate : {std::uint64_t(0), std::uint64_t(64) << 20}) {
        BOOST_TEST_CONTEXT("preallocate_bytes " << preallocate) {
            tiny_filesystem tiny;
            BOOST_REQUIRE(tiny.mounted);
            const std::string path = tiny.mountpoint + "/log";
            constexpr int appenders = 32;
            std::uint64_t acknowledged = 0, failed = 0;
            io_result first_failure, later;
            log_counters counters;
            bool all_finished = false;
            testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
                auto opened = co_await storage::log::open(path, {.direct = false, .preallocate_bytes = preallocate});
                if (!opened.status.ok()) {
                    first_failure = opened.status;
                    co_return 1;
                }
                storage::log& log = *opened.opened;
                int finished = 0;
                for (int a = 0; a < appenders; ++a) {
                    spawn([&]() -> task<void> {
                        std::vector<std::byte> payload(4000, std::byte{1});
                        for (;;) {
                            const append_result acked = co_await log.append(payload);
                            if (!acked.status.ok()) {
                                if (first_failure.ok()) first_failure = acked.status;
                                ++failed;
                                break;
                            }
                            ++acknowledged;
                        }
                        ++finished;
                    });
                }
                for (int waits = 0; finished < appenders && waits < 10000; ++waits) co_await sleep_for(1ms);
                all_finished = finished == appenders;
                std::vector<std::byte> small(10);
                later = (co_await log.append(small)).status;
                counters = log.counters();
                (void)co_await log.close();
                co_return 0;
            });
            BOOST_TEST(all_finished, "an appender hung after ENOSPC");
            BOOST_TEST(first_failure.value() == -ENOSPC, first_failure.message());
            BOOST_TEST(first_failure.message().find("refuses further appends") != std::string::npos,
                       first_failure.message());
            BOOST_TEST(later.value() == -ENOSPC, later.message());
            BOOST_TEST(acknowledged > 0u);
            BOOST_TEST(failed == std::uint64_t(appenders));
            BOOST_TEST(counters.appends == acknowledged);
            // What was acknowledged is there and intact.
            const auto contents = read_back(path);
            BOOST_TEST(contents.records.size() >= acknowledged);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(log_cross_core)

BOOST_AUTO_TEST_CASE(another_shard_appends_through_submit_to_and_is_refused_directly) {
    scratch_directory scratch;
    const std::string path = scratch.file("log");
    append_result through_owner, direct_attempt;
    unsigned answer_arrived_on = 99;
    auto options = testing::quiet_options();
    options.shards = {0};
    testing::run_with_storage(2, options, [&]() -> task<int> {
        auto opened = co_await storage::log::open(path, {.direct = false});
        if (!opened.status.ok()) co_return 1;
        storage::log& log = *opened.opened;
        auto from_shard_one = [&]() -> task<void> {
            const std::vector<std::byte> payload = payload_for(0);
            auto append_there = [&]() { return log.append(payload); };  // runs on shard 0
            through_owner = co_await submit_to(0, std::move(append_there));
            answer_arrived_on = this_shard().id();
            direct_attempt = co_await log.append(payload);
        };
        co_await submit_to(1, std::move(from_shard_one));
        (void)co_await log.close();
        co_return 0;
    });
    BOOST_TEST(through_owner.status.ok(), through_owner.status.message());
    BOOST_TEST(through_owner.sequence == 0u);
    BOOST_TEST(answer_arrived_on == 1u);
    BOOST_TEST(direct_attempt.status.value() == -EXDEV);
    BOOST_TEST(direct_attempt.status.message().find("submit_to(0") != std::string::npos,
               direct_attempt.status.message());
    expect_records(read_back(path), 1);
}

BOOST_AUTO_TEST_SUITE_END()
