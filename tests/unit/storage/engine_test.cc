// The engine itself: it reports the set-up it got, batches a turn's requests into one
// submit call (or into calls of max_submit_batch SQEs), and keeps at most max_in_flight requests in the kernel — ten times as many
// concurrent callers wait in FIFO order and every one of them completes.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/submit_to.hh"
#include "sluice/storage/engine.hh"
#include "sluice/storage/file.hh"
#include "tests/unit/storage/storage_fixture.hh"

using namespace sluice;
using namespace sluice::storage;
using namespace std::chrono_literals;
using sluice::testing::scratch_directory;

BOOST_AUTO_TEST_SUITE(storage_engine)

BOOST_AUTO_TEST_CASE(reports_the_ring_set_up_it_got) {
    std::string description;
    ring_mode mode = ring_mode::plain;
    testing::run_with_storage(2, testing::quiet_options(), [&]() -> task<int> {
        description = engine::current()->description();
        mode = engine::current()->mode();
        co_return 0;
    });
    BOOST_TEST_MESSAGE(description);
    BOOST_TEST(description.find("storage: io_uring on shard 0: ") == 0, description);
    BOOST_TEST(description.find(to_string(mode)) != std::string::npos, description);
    BOOST_TEST(description.find("registered buffers") != std::string::npos, description);
}

BOOST_AUTO_TEST_CASE(engines_live_only_on_the_chosen_shards) {
    auto options = testing::quiet_options();
    options.shards = {1};
    bool on_zero = true, on_one = false;
    testing::run_with_storage(2, options, [&]() -> task<int> {
        on_zero = engine::current() != nullptr;
        on_one = co_await submit_to(1, [] { return engine::current() != nullptr; });
        co_return 0;
    });
    BOOST_TEST(!on_zero);
    BOOST_TEST(on_one);
}

BOOST_AUTO_TEST_CASE(ten_times_the_in_flight_bound_all_complete_with_nothing_dropped) {
    scratch_directory scratch;
    auto options = testing::quiet_options();
    options.entries = 8;
    options.max_in_flight = 4;
    constexpr int callers = 40;
    int completed = 0, correct = 0;
    unsigned most_in_flight = 0;
    std::uint64_t waited = 0, submits = 0, submitted = 0;
    testing::run_with_storage(1, options, [&]() -> task<int> {
        auto opened = co_await file::open(scratch.file("pressure"), {.direct = false, .create = true});
        file& f = opened.opened;
        engine& ring = *engine::current();
        const auto submits_before = ring.counters().submit_calls;
        for (int i = 0; i < callers; ++i) {
            spawn([&, i]() -> task<void> {
                std::array<std::byte, 512> block;
                block.fill(std::byte(i));
                const io_result wrote = co_await f.write(std::uint64_t(i) * block.size(), block);
                most_in_flight = std::max(most_in_flight, ring.in_flight());
                if (wrote.value() == std::int64_t(block.size())) ++correct;
                ++completed;
            });
        }
        for (int waits = 0; completed < callers && waits < 5000; ++waits) co_await sleep_for(1ms);
        waited = ring.counters().waited_for_slot;
        submits = ring.counters().submit_calls - submits_before;
        submitted = ring.counters().submitted;
        // Read it all back in one request: every caller's block is there.
        std::vector<std::byte> back(callers * 512);
        const io_result read = co_await f.read(0, back);
        for (int i = 0; i < callers && read.value() == std::int64_t(back.size()); ++i) {
            if (std::any_of(back.begin() + i * 512, back.begin() + (i + 1) * 512,
                            [i](std::byte b) { return b != std::byte(i); })) {
                correct = -1000;
            }
        }
        co_return 0;
    });
    BOOST_TEST(completed == callers);
    BOOST_TEST(correct == callers);
    BOOST_TEST(most_in_flight <= 4u);
    BOOST_TEST(waited >= std::uint64_t(callers - 4));
    BOOST_TEST(submitted >= std::uint64_t(callers));
    BOOST_TEST_MESSAGE(callers << " writes in " << submits << " submit calls");
}

namespace {

struct turn_submits {
    int done = 0;
    std::uint64_t batches = 0;  // submit calls that carried SQEs
    std::uint64_t sqes = 0;
};

// Sixteen writers prepare their SQEs in one turn's ready stage; counts the submit calls
// that carried them. Calls that only reap (DEFER_TASKRUN enters the kernel every busy
// turn) do not count.
turn_submits sixteen_writes_in_one_turn(unsigned max_submit_batch) {
    scratch_directory scratch;
    turn_submits seen;
    auto options = testing::quiet_options();
    options.max_submit_batch = max_submit_batch;
    testing::run_with_storage(1, options, [&]() -> task<int> {
        auto opened = co_await file::open(scratch.file("batched"), {.direct = false, .create = true});
        file& f = opened.opened;
        engine& ring = *engine::current();
        const auto submitted_before = ring.counters().submitted;
        const auto batches_before = ring.counters().submit_batches;
        for (int i = 0; i < 16; ++i) {
            spawn([&, i]() -> task<void> {
                const std::byte one{1};
                (void)co_await f.write(std::uint64_t(i), std::span(&one, 1));
                ++seen.done;
            });
        }
        co_await yield();
        while (seen.done < 16) co_await sleep_for(100us);
        seen.batches = ring.counters().submit_batches - batches_before;
        seen.sqes = ring.counters().submitted - submitted_before;
        co_return 0;
    });
    BOOST_TEST_MESSAGE("max_submit_batch " << max_submit_batch << ": 16 writes in " << seen.batches
                                           << " submit calls carrying " << seen.sqes << " SQEs");
    return seen;
}

}  // namespace

BOOST_AUTO_TEST_CASE(requests_made_in_one_turn_are_submitted_together) {
    const turn_submits seen = sixteen_writes_in_one_turn(0);
    BOOST_TEST(seen.done == 16);
    BOOST_TEST(seen.sqes == 16u);
    BOOST_TEST(seen.batches == 1u);
}

BOOST_AUTO_TEST_CASE(a_turn_hands_its_requests_over_in_batches_of_max_submit_batch) {
    const turn_submits seen = sixteen_writes_in_one_turn(4);
    BOOST_TEST(seen.done == 16);
    BOOST_TEST(seen.sqes == 16u);
    BOOST_TEST(seen.batches == 4u);
}

// With yield_to_io_workers the io-wq workers get the shard's CPU, and the shard yields
// while an fdatasync (which always goes to a worker) is in flight; a read (served inline
// or by the device) never makes it yield, and without the option nothing does.
BOOST_AUTO_TEST_CASE(yields_to_io_workers_only_while_they_serve_a_request) {
    scratch_directory scratch;
    for (const bool yield_mode : {true, false}) {
        auto options = testing::quiet_options();
        options.yield_to_io_workers = yield_mode;
        // Named CPUs: with none spare (a 1-CPU machine) the engine would yield on its own.
        if (!yield_mode) options.io_worker_cpus = {0};
        std::uint64_t yields_after_read = 0, yields_after_sync = 0;
        std::string description;
        unsigned shard_cpu = 0;
        int synced = -1;
        testing::run_with_storage(1, options, [&]() -> task<int> {
            auto opened = co_await file::open(scratch.file("yield"), {.direct = false, .create = true});
            file& f = opened.opened;
            engine& ring = *engine::current();
            description = ring.description();
            shard_cpu = this_shard().cpu();
            std::array<std::byte, 16> bytes{};
            (void)co_await f.write(0, bytes);
            const auto before = ring.counters().yields;
            (void)co_await f.read(0, bytes);
            yields_after_read = ring.counters().yields - before;
            const io_result done = co_await f.fdatasync();
            synced = done.error_number();
            yields_after_sync = ring.counters().yields - before;
            co_return 0;
        });
        BOOST_TEST_MESSAGE(description);
        BOOST_TEST(synced == 0);
        BOOST_TEST(yields_after_read == 0u);
        if (yield_mode) {
            BOOST_TEST(yields_after_sync > 0u);
            BOOST_TEST(description.find("yields to io-wq") != std::string::npos, description);
            BOOST_TEST(description.find("io-wq on cpus " + std::to_string(shard_cpu)) != std::string::npos, description);
        } else {
            BOOST_TEST(yields_after_sync == 0u);
            BOOST_TEST(description.find("yields to io-wq") == std::string::npos, description);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
