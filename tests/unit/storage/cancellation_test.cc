// Cancellation: a request the kernel holds (a read from an empty FIFO never completes on
// its own) ends with -ECANCELED when its file's requests are cancelled, and so does one
// still waiting for an in-flight slot; a task destroyed while its request is in the kernel
// leaves the request to the engine, which reaps its CQE before the ring goes away.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/storage/engine.hh"
#include "sluice/storage/file.hh"
#include "tests/unit/storage/storage_fixture.hh"

using namespace sluice;
using namespace sluice::storage;
using namespace std::chrono_literals;
using sluice::testing::scratch_directory;

namespace {

std::string make_fifo(const scratch_directory& scratch) {
    const std::string path = scratch.file("fifo");
    BOOST_REQUIRE_EQUAL(::mkfifo(path.c_str(), 0600), 0);
    return path;
}

// O_RDWR: opening a FIFO this way does not wait for a peer (fifo(7)).
constexpr open_options fifo_options{.mode = access::read_write, .direct = false};

}  // namespace

BOOST_AUTO_TEST_SUITE(cancellation)

BOOST_AUTO_TEST_CASE(a_request_in_the_kernel_ends_with_ecanceled) {
    scratch_directory scratch;
    const std::string fifo = make_fifo(scratch);
    std::int64_t read_result = 1, cancelled = -1;
    bool reader_done = false;
    testing::run_with_storage(1, testing::quiet_options(), [&]() -> task<int> {
        auto opened = co_await file::open(fifo, fifo_options);
        file& f = opened.opened;
        spawn([&]() -> task<void> {
            char into[16];
            read_result = (co_await f.read(0, std::as_writable_bytes(std::span(into)))).value();
            reader_done = true;
        });
        co_await sleep_for(5ms);  // the read is in the kernel, waiting for data
        cancelled = (co_await f.cancel_pending()).value();
        for (int waits = 0; !reader_done && waits < 1000; ++waits) co_await sleep_for(1ms);
        co_return 0;
    });
    BOOST_TEST(reader_done);
    BOOST_TEST(read_result == -ECANCELED);
    BOOST_TEST(cancelled == 1);
}

BOOST_AUTO_TEST_CASE(requests_waiting_for_a_slot_are_cancelled_too) {
    scratch_directory scratch;
    const std::string fifo = make_fifo(scratch);
    auto options = testing::quiet_options();
    options.max_in_flight = 1;
    std::int64_t results[3] = {1, 1, 1};
    int done = 0;
    std::size_t waiting_before = 0;
    std::int64_t cancelled = -1;
    testing::run_with_storage(1, options, [&]() -> task<int> {
        auto opened = co_await file::open(fifo, fifo_options);
        file& f = opened.opened;
        for (int i = 0; i < 3; ++i) {
            spawn([&, i]() -> task<void> {
                char into[8];
                results[i] = (co_await f.read(0, std::as_writable_bytes(std::span(into)))).value();
                ++done;
            });
        }
        co_await sleep_for(5ms);
        waiting_before = engine::current()->waiting();  // one in the kernel, two queued
        cancelled = (co_await f.cancel_pending()).value();
        for (int waits = 0; done < 3 && waits < 1000; ++waits) co_await sleep_for(1ms);
        co_return 0;
    });
    BOOST_TEST(waiting_before == 2u);
    BOOST_TEST(cancelled == 3);
    BOOST_TEST(done == 3);
    for (auto result : results) BOOST_TEST(result == -ECANCELED);
}

BOOST_AUTO_TEST_CASE(a_task_destroyed_mid_request_leaves_its_cqe_to_the_engine) {
    scratch_directory scratch;
    const std::string fifo = make_fifo(scratch);
    bool resumed = false;
    std::uint64_t abandoned = 0;
    unsigned in_flight_at_stop = 99;
    // Runs after the shard's tasks are destroyed and before the engine is: the reader's
    // frame is gone, its request is not.
    shard_hook observe;
    observe.start = [](shard&) -> result<void> { return {}; };
    observe.stop = [&](shard&) {
        abandoned = engine::current()->counters().abandoned;
        in_flight_at_stop = engine::current()->in_flight();
    };
    testing::run_with_storage(
        1, testing::quiet_options(),
        [&]() -> task<int> {
            auto opened = co_await file::open(fifo, fifo_options);
            spawn([&, f = std::move(opened.opened)]() mutable -> task<void> {
                char into[8];
                (void)co_await f.read(0, std::as_writable_bytes(std::span(into)));
                resumed = true;  // never: nobody writes to the FIFO
            });
            co_await sleep_for(5ms);
            co_return 0;  // the runtime stops and destroys the reader mid-request
        },
        {observe});
    BOOST_TEST(!resumed);
    BOOST_TEST(abandoned == 1u);
    BOOST_TEST(in_flight_at_stop == 1u);  // still held: the engine's teardown reaps it
}

BOOST_AUTO_TEST_SUITE_END()
