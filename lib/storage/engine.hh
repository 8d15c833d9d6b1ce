// sluice::storage::engine: one shard's io_uring (docs/architecture.md, rule 7) — set up on the shard's
// own thread with the best flags the kernel offers, polled in the loop's `storage` stage
// (one submit per turn, completions reaped without blocking), with a bound on requests in
// flight past which callers wait in FIFO order. The engine, its ring and its buffer pool
// belong to that shard; other shards reach them with submit_to.
#pragma once

#include <liburing.h>

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sluice/core/config.hh"
#include "sluice/core/result.hh"
#include "sluice/core/shard.hh"
#include "sluice/storage/buffer_pool.hh"
#include "sluice/storage/detail/operation.hh"

namespace sluice::storage {

// How completions reach the shard, best first. The engine tries them in this order from
// `engine_options::best_mode` down and keeps the first the kernel accepts.
enum class ring_mode {
    defer_taskrun,  // SINGLE_ISSUER | DEFER_TASKRUN (6.1): completion work runs only when we reap
    coop_taskrun,   // SINGLE_ISSUER (6.0, if offered) | COOP_TASKRUN | TASKRUN_FLAG (5.19)
    plain,          // no hints: the kernel interrupts the thread to post completions
};

struct engine_options {
    unsigned entries = 256;         // submission-queue size (the completion queue is twice it)
    unsigned max_in_flight = 0;     // requests in the kernel at once; 0 = entries (at most entries)
    // SQEs handed to the kernel per io_uring_enter at most: once a turn has prepared this
    // many, they go at once instead of at the turn's end. A burst of completions then
    // does not return to the device as one burst of submissions: on virtio-blk, batches
    // of 10 cost 10 % of QD32 IOPS against batches of 4 (docs/benchmarks.md). 0 = no cap:
    // one submission per turn.
    unsigned max_submit_batch = 4;
    ring_mode best_mode = ring_mode::defer_taskrun;  // lower it to force (and test) a fallback
    bool sqpoll = false;            // a kernel thread polls the SQ: no io_uring_enter to submit
    unsigned sqpoll_idle_ms = 10;
    std::vector<unsigned> shards;   // hook(): the shards that get an engine; empty = all
    std::size_t buffer_count = 16;  // pool buffers per shard (0: no pool)
    std::size_t buffer_size = 64 * 1024;
    bool register_buffers = true;   // register the pool with the ring (fixed-buffer reads/writes)
    // Slots in the ring's file table (5.19 sparse tables): a file opened on this shard takes
    // one, so its requests skip the kernel's per-request file lookup and reference count.
    // Files past the table work unregistered. 0 = no table.
    unsigned registered_files = 64;
    // CPUs for the kernel's io-wq workers (requests the kernel cannot start without
    // blocking: fsync, buffered misses, tmpfs). Empty = the process's CPUs that no shard
    // uses; if there are none, the shard's own, as with yield_to_io_workers (a worker on
    // another spinning shard's CPU would wait for that shard's time slice to end).
    std::vector<unsigned> io_worker_cpus;
    // The other way to give io-wq workers a CPU: they run on the shard's own (unless
    // io_worker_cpus names others), and the shard calls sched_yield once per turn while a
    // request that always goes to a worker (fsync, fdatasync, fallocate, ftruncate) is in
    // flight, so the worker runs at once with no cross-CPU wake-up. The worker's time is
    // then taken from the shard. write+fdatasync on the 2-vCPU VM: fdatasync p50 18-21
    // against 25-28 us, p99.99 0.2-0.4 against 0.4-0.6 ms (docs/benchmarks.md).
    bool yield_to_io_workers = false;
    bool report = true;             // print the set-up line on stderr
};

struct engine_counters {
    std::uint64_t submitted = 0;        // SQEs handed to the kernel
    std::uint64_t submit_calls = 0;     // io_uring_submit* calls (one per busy turn, more past max_submit_batch)
    std::uint64_t submit_batches = 0;   // those calls that handed over at least one SQE
    std::uint64_t completed = 0;        // CQEs reaped
    std::uint64_t waited_for_slot = 0;  // operations that queued behind the in-flight bound
    std::uint64_t abandoned = 0;        // waiters destroyed while their request was in the kernel
    std::uint64_t submit_errors = 0;    // io_uring_submit returned an error (retried next turn)
    std::uint64_t files_unregistered = 0;  // opens that found the file table full (or refused)
    std::uint64_t yields = 0;  // sched_yield calls while io-wq served a request (yield_to_io_workers)
};

namespace detail {
struct in_flight_slot {
    operation* owner = nullptr;  // null once the waiter is gone: the CQE is then only counted
    std::uint32_t generation = 0;  // bumped per use: user_data names one use of one slot
    int buffer_index = -1;
    bool bypasses_bound = false;
    bool goes_to_worker = false;  // an opcode io_uring always hands to an io-wq worker
    in_flight_slot* next_free = nullptr;
};
}  // namespace detail

class engine final : private poller {
public:
    // Control path, on `owner`'s thread: sets up the ring, probes opcodes, maps and
    // registers the buffer pool, and plugs the engine into owner's storage stage. A
    // failure is one line naming the fix (io_uring disabled, memlock limit...).
    static result<std::unique_ptr<engine>> create(shard& owner, const engine_options& options);

    // A runtime hook that creates an engine on each chosen shard when it starts and
    // destroys it when the shard stops. Add it to runtime_config::shard_hooks.
    static shard_hook hook(engine_options options);

    // This shard's engine (made by hook() or create()), or null.
    static engine* current() noexcept;

    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;
    // Cancels whatever is still in the kernel and waits (bounded) for every CQE.
    ~engine() override;

    unsigned shard_id() const noexcept { return shard_id_; }
    ring_mode mode() const noexcept { return mode_; }
    bool sqpoll() const noexcept { return sqpoll_; }
    // "storage: io_uring on shard 0: single_issuer+defer_taskrun, 256 entries, ..."
    const std::string& description() const noexcept { return description_; }
    bool supports(unsigned opcode) const noexcept { return opcode < supported_.size() && supported_[opcode]; }

    // Null when options.buffer_count is 0.
    buffer_pool* buffers() noexcept { return pool_.get(); }

    unsigned max_in_flight() const noexcept { return max_in_flight_; }
    unsigned max_submit_batch() const noexcept { return max_submit_batch_; }
    unsigned in_flight() const noexcept { return in_flight_; }
    std::size_t waiting() const noexcept { return waiting_count_; }
    const engine_counters& counters() const noexcept { return counters_; }

    // co_await submit(prepare, fd, buffer): `prepare(io_uring_sqe&)` fills the SQE when
    // the request is admitted (at once, or when a slot frees); the await yields cqe->res.
    // `fd` names the file for cancel_waiting(); `buffer` a pool buffer kept busy until the CQE.
    template <typename Prepare>
    [[nodiscard]] detail::operation_awaiter<Prepare> submit(Prepare prepare, int fd = -1, int buffer = -1) {
        return detail::operation_awaiter<Prepare>(*this, std::move(prepare), fd, buffer);
    }
    // Same, for a cancel request: it has slots of its own, so it never waits behind the
    // requests it is meant to cancel.
    template <typename Prepare>
    [[nodiscard]] detail::operation_awaiter<Prepare> submit_cancel(Prepare prepare) {
        return detail::operation_awaiter<Prepare>(*this, std::move(prepare), -1, -1, true);
    }

    // Settles every request for `fd` still waiting for a slot with -ECANCELED; returns how
    // many. (Those already in the kernel need IORING_OP_ASYNC_CANCEL: see file.hh.)
    std::size_t cancel_waiting(int fd) noexcept;

    // Control path: puts `fd` in a free slot of the ring's file table and returns the slot,
    // or -1 when there is no table, it is full, or the kernel refuses (then use the fd).
    int register_file(int fd) noexcept;
    // Empties a slot register_file() gave; requests already in the kernel keep the file.
    void unregister_file(int slot) noexcept;
    unsigned registered_file_slots() const noexcept { return unsigned(file_slot_used_.size()); }
    unsigned registered_files_in_use() const noexcept { return file_slots_in_use_; }
    // The CPUs io-wq workers were confined to, as "0,2-3"; empty when left to the kernel.
    const std::string& io_worker_cpus() const noexcept { return io_worker_cpus_; }

private:
    friend bool detail::start_operation(engine&, detail::operation&);
    friend void detail::abandon_operation(engine&, detail::operation&) noexcept;

    static constexpr unsigned cancel_slots = 8;

    engine(shard& owner, const engine_options& options);
    bool poll() override;
    void admit(detail::operation& op);
    void admit_waiting();
    void complete(const io_uring_cqe& cqe) noexcept;
    io_uring_sqe& next_sqe();
    void hand_over() noexcept;  // submits the prepared SQEs now, mid-turn
    std::uint64_t user_data_of(const detail::in_flight_slot& slot) const noexcept;
    detail::in_flight_slot* slot_of(std::uint64_t user_data) noexcept;
    void enqueue(detail::operation& op) noexcept;
    void unlink(detail::operation& op) noexcept;
    unsigned reap() noexcept;
    void drain() noexcept;

    shard& owner_;
    unsigned shard_id_;
    io_uring ring_{};
    bool ring_ready_ = false;
    ring_mode mode_ = ring_mode::plain;
    bool taskrun_flag_ = false;  // the kernel flags the SQ ring when completion work waits
    bool sqpoll_ = false;
    unsigned entries_ = 0;
    unsigned max_in_flight_ = 0;
    unsigned max_submit_batch_ = 0;  // 0: no cap
    unsigned in_flight_ = 0;          // bounded requests in the kernel
    unsigned cancels_in_flight_ = 0;  // cancel requests in the kernel (own slots)
    unsigned worker_requests_in_flight_ = 0;  // of in_flight_, those an io-wq worker serves
    bool yield_to_io_workers_ = false;  // the option, or no spare CPU for the workers
    std::string description_;
    std::bitset<256> supported_;
    std::vector<detail::in_flight_slot> slots_;
    detail::in_flight_slot* free_slots_ = nullptr;
    detail::in_flight_slot* free_cancel_slots_ = nullptr;
    detail::operation* waiting_head_ = nullptr;  // FIFO of operations waiting for a slot
    detail::operation* waiting_tail_ = nullptr;
    std::size_t waiting_count_ = 0;
    std::unique_ptr<buffer_pool> pool_;
    std::vector<bool> file_slot_used_;  // the ring's file table; empty when there is none
    std::string io_worker_cpus_;        // where io-wq workers may run ("" = not set)
    unsigned file_slots_in_use_ = 0;
    engine_counters counters_;
};

const char* to_string(ring_mode mode) noexcept;

}  // namespace sluice::storage
