// The kill -9 test (docs/architecture.md, rule 7: an acknowledged write is durable): log_crash_writer
// appends with 64 concurrent appenders and prints each acknowledged record; after about a
// second the test SIGKILLs it, recovers the log, and checks that every acknowledged record
// is present, intact and at its sequence number (records past the last acknowledgement may
// or may not be there). A killed process does not lose the page cache, so this proves the
// ordering — acknowledge only after write + fdatasync — and recovery of whatever the kill
// left; losing power is beyond this machine.
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include "sluice/storage/log.hh"
#include "tests/unit/storage/log_crash_payload.hh"
#include "tests/unit/storage/storage_fixture.hh"

using namespace sluice;
using sluice::testing::scratch_directory;

namespace {

struct acknowledgement {
    std::uint32_t appender = 0;
    std::uint64_t count = 0;
};

// Starts the writer with its stdout on a pipe, reads for `run_for`, kills it with SIGKILL,
// then reads what it had written before dying. Returns the complete lines.
std::string run_and_kill_writer(const std::string& path, bool direct, std::chrono::milliseconds run_for,
                                int* wait_status) {
    int pipe_ends[2];
    BOOST_REQUIRE_EQUAL(::pipe2(pipe_ends, O_CLOEXEC), 0);
    const pid_t writer = ::fork();
    BOOST_REQUIRE(writer >= 0);
    if (writer == 0) {
        ::dup2(pipe_ends[1], STDOUT_FILENO);  // dup2 clears O_CLOEXEC on the copy
        ::execl(SLUICE_LOG_CRASH_WRITER, SLUICE_LOG_CRASH_WRITER, path.c_str(), direct ? "direct" : "buffered",
                static_cast<char*>(nullptr));
        std::fprintf(stderr, "cannot run %s: %s (build it: ninja log_crash_writer)\n", SLUICE_LOG_CRASH_WRITER,
                     std::strerror(errno));
        ::_exit(127);
    }
    ::close(pipe_ends[1]);
    std::string output;
    char chunk[65536];
    const auto kill_at = std::chrono::steady_clock::now() + run_for;
    bool killed = false;
    for (;;) {
        if (!killed && std::chrono::steady_clock::now() >= kill_at) {
            ::kill(writer, SIGKILL);
            killed = true;
        }
        pollfd readable{pipe_ends[0], POLLIN, 0};
        if (::poll(&readable, 1, killed ? 5000 : 50) <= 0) {
            if (killed) break;  // nothing for 5 s after the kill: give up reading
            continue;
        }
        const ssize_t got = ::read(pipe_ends[0], chunk, sizeof chunk);
        if (got <= 0) break;  // EOF: the writer is gone and the pipe drained
        output.append(chunk, std::size_t(got));
    }
    ::close(pipe_ends[0]);
    BOOST_REQUIRE_EQUAL(::waitpid(writer, wait_status, 0), writer);
    return output.substr(0, output.rfind('\n') + 1);  // drop a line cut short, if any
}

void kill_appending_writer_then_check_every_acknowledged_record(bool direct) {
    scratch_directory scratch;
    const std::string path = scratch.file("log");
    int wait_status = 0;
    const std::string lines = run_and_kill_writer(path, direct, std::chrono::milliseconds(1000), &wait_status);
    BOOST_TEST((WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL),
               "the writer ended before it was killed (status " << wait_status << ")");
    std::map<std::uint64_t, acknowledgement> acknowledged;  // by sequence number
    std::istringstream in(lines);
    std::uint64_t sequence = 0;
    acknowledgement ack;
    while (in >> sequence >> ack.appender >> ack.count) acknowledged[sequence] = ack;
    BOOST_TEST_MESSAGE("kill -9 (" << (direct ? "O_DIRECT" : "buffered") << "): " << acknowledged.size()
                                   << " acknowledged records before the kill");
    BOOST_REQUIRE_MESSAGE(acknowledged.size() > 100, "too few acknowledgements to test anything");

    storage::log_contents contents;
    storage::recovery_report reopened;
    storage::append_result after;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        contents = co_await storage::log::read_all(path);
        auto opened = co_await storage::log::open(path, {.direct = direct});
        if (!opened.status.ok()) co_return 1;
        reopened = opened.recovery;
        const auto payload = testing::crash_test_payload(999, 0);
        after = co_await opened.opened->append(payload);
        (void)co_await opened.opened->close();
        co_return 0;
    });
    BOOST_REQUIRE_MESSAGE(contents.status.ok(), contents.status.message());
    BOOST_TEST_MESSAGE("recovered: " << contents.recovery.describe());
    int missing = 0, wrong = 0;
    for (const auto& [seq, from] : acknowledged) {
        if (seq >= contents.records.size()) {
            ++missing;
            continue;
        }
        const auto& record = contents.records[seq];
        wrong += record.sequence != seq || record.payload != testing::crash_test_payload(from.appender, from.count);
    }
    BOOST_TEST(missing == 0, missing << " acknowledged records missing after recovery");
    BOOST_TEST(wrong == 0, wrong << " acknowledged records corrupt or out of place");
    // Recovery by open agrees with the read-only scan, and the log goes on after it.
    BOOST_TEST(reopened.records == contents.records.size());
    BOOST_TEST(after.status.ok(), after.status.message());
    BOOST_TEST(after.sequence == contents.records.size());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_crash)

BOOST_AUTO_TEST_CASE(every_acknowledged_record_survives_kill_9_of_a_buffered_appender) {
    kill_appending_writer_then_check_every_acknowledged_record(false);
}

BOOST_AUTO_TEST_CASE(every_acknowledged_record_survives_kill_9_of_an_o_direct_appender,
                     *boost::unit_test::precondition(testing::direct_io_available)) {
    kill_appending_writer_then_check_every_acknowledged_record(true);
}

BOOST_AUTO_TEST_SUITE_END()
