// The engine's ring set-up, its storage-stage poller, and the bookkeeping that keeps each
// request's waiter reachable until its CQE. Sources: io_uring_setup(2) (SETUP_* flags and
// the kernels that added them), io_uring_enter(2) (GETEVENTS with DEFER_TASKRUN),
// io_uring_prep_cancel(3), and liburing's io_uring_submit_and_get_events(3).
#include "sluice/storage/engine.hh"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sluice/core/cpu_list.hh"
#include "sluice/storage/detail/opcodes.hh"
#include "sluice/storage/setup_error.hh"

namespace sluice::storage {

namespace {

thread_local engine* current_engine = nullptr;
thread_local std::unique_ptr<engine> hooked_engine;  // the engine hook() made on this shard

struct setup_attempt {
    unsigned flags;
    ring_mode mode;
    const char* name;
};

// Best first. SINGLE_ISSUER (6.0) lets the kernel skip locking for a ring only this
// thread submits to; DEFER_TASKRUN (6.1, needs SINGLE_ISSUER) runs completion work only
// when we ask for events, so the kernel never interrupts the loop; COOP_TASKRUN (5.19)
// with TASKRUN_FLAG avoids the interrupt and flags the SQ ring when work is pending.
// TASKRUN_FLAG with DEFER_TASKRUN has the kernel set IORING_SQ_TASKRUN when completion
// work waits, so a turn with nothing to submit and no flag skips io_uring_enter.
constexpr setup_attempt setup_attempts[] = {
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG, ring_mode::defer_taskrun,
     "single_issuer+defer_taskrun"},
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, ring_mode::defer_taskrun,
     "single_issuer+defer_taskrun"},
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, ring_mode::coop_taskrun,
     "single_issuer+coop_taskrun"},
    {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, ring_mode::coop_taskrun, "coop_taskrun"},
    {0, ring_mode::plain, "plain"},
};

// What the file API needs from the kernel (all present since 5.6; READ_FIXED since 5.1).
constexpr unsigned required_opcodes[] = {
    IORING_OP_READ,  IORING_OP_WRITE,     IORING_OP_READV,  IORING_OP_WRITEV,       IORING_OP_READ_FIXED,
    IORING_OP_WRITE_FIXED, IORING_OP_FSYNC, IORING_OP_FALLOCATE, IORING_OP_OPENAT, IORING_OP_CLOSE,
    IORING_OP_ASYNC_CANCEL,
};

struct io_worker_placement {
    std::vector<unsigned> cpus;  // empty: leave the kernel's default
    bool shard_yields = false;
};

// Where io-wq workers run: io_worker_cpus if given; else the CPUs no shard uses; else
// (every CPU has a shard, or yield_to_io_workers) this shard's own, which then yields to
// them: on another shard's CPU a worker would wait for that spinning shard's time slice.
// The main thread's mask stands for the process's: shard threads are pinned to one CPU.
io_worker_placement place_io_workers(const shard& owner, const engine_options& options) {
    if (!options.io_worker_cpus.empty()) return {options.io_worker_cpus, options.yield_to_io_workers};
    if (options.yield_to_io_workers) return {{owner.cpu()}, true};
    cpu_set_t process;
    CPU_ZERO(&process);
    if (::sched_getaffinity(::getpid(), sizeof process, &process) != 0) return {};
    const std::vector<unsigned>& shard_cpus = owner.config().cpus;
    std::vector<unsigned> spare;
    for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &process) && std::find(shard_cpus.begin(), shard_cpus.end(), cpu) == shard_cpus.end()) {
            spare.push_back(cpu);
        }
    }
    if (spare.empty()) return {{owner.cpu()}, true};
    return {spare, false};
}

// Requests io_uring never tries inline: they go straight to an io-wq worker.
bool always_goes_to_worker(std::uint8_t opcode) noexcept {
    switch (opcode) {
    case IORING_OP_FSYNC:
    case IORING_OP_FALLOCATE:
    case IORING_OP_SYNC_FILE_RANGE:
    case detail::op_ftruncate:
        return true;
    default: return false;
    }
}

}  // namespace

const char* to_string(ring_mode mode) noexcept {
    switch (mode) {
    case ring_mode::defer_taskrun: return "defer_taskrun";
    case ring_mode::coop_taskrun: return "coop_taskrun";
    case ring_mode::plain: return "plain";
    }
    return "?";
}

engine* engine::current() noexcept { return current_engine; }

engine::engine(shard& owner, const engine_options&) : owner_(owner), shard_id_(owner.id()) {}

result<std::unique_ptr<engine>> engine::create(shard& owner, const engine_options& options) {
    std::unique_ptr<engine> made(new engine(owner, options));
    engine& self = *made;
    self.entries_ = std::max(options.entries, 8u);

    const char* mode_name = nullptr;
    for (const auto& attempt : setup_attempts) {
        if (attempt.mode < options.best_mode) continue;
        io_uring_params params{};
        // SUBMIT_ALL (5.18): one bad SQE does not stop the rest of the turn's batch.
        params.flags = attempt.flags | IORING_SETUP_SUBMIT_ALL;
        if (options.sqpoll) {
            params.flags |= IORING_SETUP_SQPOLL;
            params.sq_thread_idle = options.sqpoll_idle_ms;
        }
        const int rc = io_uring_queue_init_params(self.entries_, &self.ring_, &params);
        if (rc == 0) {
            self.mode_ = attempt.mode;
            self.taskrun_flag_ = (attempt.flags & IORING_SETUP_TASKRUN_FLAG) != 0;
            mode_name = attempt.name;
            break;
        }
        if (rc != -EINVAL) {  // EINVAL: flags this kernel lacks, or SQPOLL with DEFER_TASKRUN
            return error{describe_setup_failure(-rc, self.shard_id_, read_io_uring_disabled_setting())};
        }
    }
    if (!mode_name) return error{describe_setup_failure(EINVAL, self.shard_id_, read_io_uring_disabled_setting())};
    self.ring_ready_ = true;
    self.sqpoll_ = options.sqpoll;

    if (io_uring_probe* probe = io_uring_get_probe_ring(&self.ring_)) {
        for (unsigned op = 0; op <= probe->last_op && op < self.supported_.size(); ++op) {
            self.supported_[op] = io_uring_opcode_supported(probe, int(op));
        }
        io_uring_free_probe(probe);
    }
    for (unsigned op : required_opcodes) {
        if (!self.supports(op)) {
            return error{"storage: io_uring on shard " + std::to_string(self.shard_id_) + " lacks opcode " +
                         std::to_string(op) + ": the kernel is too old for Sluice's storage (needs 5.19 or later)"};
        }
    }

    if (options.buffer_count > 0) {
        auto pool = buffer_pool::create(self.shard_id_, options.buffer_count, options.buffer_size);
        if (!pool) return pool.failure();
        self.pool_ = std::move(pool).value();
        if (options.register_buffers) {
            const auto regions = self.pool_->regions();
            const int rc = io_uring_register_buffers(&self.ring_, regions.data(), unsigned(regions.size()));
            if (rc < 0) {
                return error{describe_buffer_registration_failure(
                    -rc, self.shard_id_, self.pool_->count() * self.pool_->buffer_size())};
            }
            self.pool_->mark_registered(true);
        }
    }

    // No table (an old kernel, a low RLIMIT_NOFILE) costs speed, not function: files then
    // go by descriptor, and the description says so.
    if (options.registered_files > 0 && io_uring_register_files_sparse(&self.ring_, options.registered_files) == 0) {
        self.file_slot_used_.assign(options.registered_files, false);
    }

    // Best effort: without it the workers share the shard's CPU, slower but correct.
    const io_worker_placement workers = place_io_workers(owner, options);
    if (!workers.cpus.empty()) {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (unsigned cpu : workers.cpus) {
            if (cpu < CPU_SETSIZE) CPU_SET(cpu, &set);
        }
        if (CPU_COUNT(&set) > 0 && io_uring_register_iowq_aff(&self.ring_, sizeof set, &set) == 0) {
            self.io_worker_cpus_ = format_cpu_list(workers.cpus);
        }
    }
    self.yield_to_io_workers_ = workers.shard_yields;

    self.max_in_flight_ = options.max_in_flight == 0 ? self.entries_ : std::min(options.max_in_flight, self.entries_);
    self.max_submit_batch_ = std::min(options.max_submit_batch, self.entries_);
    self.slots_.resize(self.max_in_flight_ + cancel_slots);
    for (std::size_t i = 0; i < self.slots_.size(); ++i) {
        auto& slot = self.slots_[i];
        slot.bypasses_bound = i >= self.max_in_flight_;
        auto& list = slot.bypasses_bound ? self.free_cancel_slots_ : self.free_slots_;
        slot.next_free = list;
        list = &slot;
    }

    self.description_ = "storage: io_uring on shard " + std::to_string(self.shard_id_) + ": " + mode_name +
                        (self.sqpoll_ ? "+sqpoll" : "") + " (" + std::to_string(self.entries_) + " entries, " +
                        std::to_string(self.max_in_flight_) + " in flight, " +
                        (self.max_submit_batch_ != 0 ? "submit batches <= " + std::to_string(self.max_submit_batch_)
                                                     : std::string("one submit per turn"));
    if (self.pool_) {
        self.description_ += ", " + std::to_string(self.pool_->count()) + " x " +
                             std::to_string(self.pool_->buffer_size() / 1024) + " KiB " +
                             (self.pool_->registered() ? "registered " : "") + "buffers";
    }
    self.description_ += self.file_slot_used_.empty()
                             ? ", no file table"
                             : ", " + std::to_string(self.file_slot_used_.size()) + " registered file slots";
    if (!self.io_worker_cpus_.empty()) self.description_ += ", io-wq on cpus " + self.io_worker_cpus_;
    if (self.yield_to_io_workers_) self.description_ += ", yields to io-wq";
    self.description_ += ")";

    owner.add_poller(self, loop_stage::storage);
    if (shard::current() == &owner) current_engine = &self;
    return made;
}

shard_hook engine::hook(engine_options options) {
    shard_hook hook;
    // Called on every shard's thread at once: it only reads the captured options.
    hook.start = [options](shard& owner) -> result<void> {
        if (!options.shards.empty() &&
            std::find(options.shards.begin(), options.shards.end(), owner.id()) == options.shards.end()) {
            return {};
        }
        auto made = create(owner, options);
        if (!made) return made.failure();
        if (options.report) std::fprintf(stderr, "%s\n", made.value()->description().c_str());
        hooked_engine = std::move(made).value();
        return {};
    };
    hook.stop = [](shard&) { hooked_engine.reset(); };
    return hook;
}

engine::~engine() {
    owner_.remove_poller(*this);
    if (current_engine == this) current_engine = nullptr;
    if (!ring_ready_) return;
    drain();
    if (pool_ && pool_->registered()) io_uring_unregister_buffers(&ring_);
    if (!file_slot_used_.empty()) io_uring_unregister_files(&ring_);
    io_uring_queue_exit(&ring_);
}

// user_data = generation << 32 | (slot index + 1): 0 stays free for requests whose CQE
// nobody waits for, and a cancel aimed at one use of a slot cannot hit the next use.
std::uint64_t engine::user_data_of(const detail::in_flight_slot& slot) const noexcept {
    return (std::uint64_t(slot.generation) << 32) | std::uint64_t(&slot - slots_.data() + 1);
}

detail::in_flight_slot* engine::slot_of(std::uint64_t user_data) noexcept {
    const std::uint64_t index = user_data & 0xffffffffu;
    if (index == 0 || index > slots_.size()) return nullptr;
    return &slots_[index - 1];
}

io_uring_sqe& engine::next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    // The SQ holds `entries` and at most that many requests are admitted, but cancels
    // ride on top: when it is full, hand the batch to the kernel now (rare).
    while (!sqe) {
        if (sqpoll_) {
            io_uring_sqring_wait(&ring_);
            ++counters_.submit_calls;
        } else {
            hand_over();
        }
        sqe = io_uring_get_sqe(&ring_);
    }
    return *sqe;
}

void engine::hand_over() noexcept {
    const int rc = io_uring_submit(&ring_);
    ++counters_.submit_calls;
    if (rc > 0) {
        counters_.submitted += unsigned(rc);
        ++counters_.submit_batches;
    }
    if (rc < 0) ++counters_.submit_errors;  // the SQEs stay; the turn's own submit retries
}

void engine::admit(detail::operation& op) {
    detail::in_flight_slot*& list = op.bypasses_bound ? free_cancel_slots_ : free_slots_;
    detail::in_flight_slot* slot = list;
    list = slot->next_free;
    slot->next_free = nullptr;
    slot->owner = &op;
    slot->buffer_index = op.buffer_index;
    ++slot->generation;
    if (op.bypasses_bound) ++cancels_in_flight_;
    else ++in_flight_;
    if (op.buffer_index >= 0 && pool_) pool_->io_started(unsigned(op.buffer_index));

    io_uring_sqe& sqe = next_sqe();
    op.prepare(op, sqe);
    io_uring_sqe_set_data64(&sqe, user_data_of(*slot));
    slot->goes_to_worker = !op.bypasses_bound && always_goes_to_worker(sqe.opcode);
    if (slot->goes_to_worker) ++worker_requests_in_flight_;
    op.slot = slot;
    op.state = detail::operation::phase::in_flight;
    if (max_submit_batch_ != 0 && io_uring_sq_ready(&ring_) >= max_submit_batch_) hand_over();
}

void engine::enqueue(detail::operation& op) noexcept {
    op.state = detail::operation::phase::waiting_for_slot;
    op.next_waiting = nullptr;
    op.previous_waiting = waiting_tail_;
    if (waiting_tail_) waiting_tail_->next_waiting = &op;
    else waiting_head_ = &op;
    waiting_tail_ = &op;
    ++waiting_count_;
}

void engine::unlink(detail::operation& op) noexcept {
    if (op.previous_waiting) op.previous_waiting->next_waiting = op.next_waiting;
    else waiting_head_ = op.next_waiting;
    if (op.next_waiting) op.next_waiting->previous_waiting = op.previous_waiting;
    else waiting_tail_ = op.previous_waiting;
    op.next_waiting = op.previous_waiting = nullptr;
    --waiting_count_;
}

void engine::admit_waiting() {
    while (waiting_head_ && in_flight_ < max_in_flight_) {
        detail::operation& next = *waiting_head_;
        unlink(next);
        admit(next);
    }
}

std::size_t engine::cancel_waiting(int fd) noexcept {
    std::size_t cancelled = 0;
    for (detail::operation* op = waiting_head_; op;) {
        detail::operation* next = op->next_waiting;
        if (op->fd == fd) {
            unlink(*op);
            op->result = -ECANCELED;
            op->state = detail::operation::phase::done;
            owner_.schedule(op->waiter);
            ++cancelled;
        }
        op = next;
    }
    return cancelled;
}

void engine::complete(const io_uring_cqe& cqe) noexcept {
    ++counters_.completed;
    detail::in_flight_slot* slot = slot_of(io_uring_cqe_get_data64(&cqe));
    if (!slot) return;  // a cancel sent for an abandoned request
    if (slot->buffer_index >= 0 && pool_) pool_->io_finished(unsigned(slot->buffer_index));
    if (detail::operation* op = slot->owner) {
        op->result = cqe.res;
        op->state = detail::operation::phase::done;
        op->slot = nullptr;
        owner_.schedule(op->waiter);  // resumes in this turn's ready stage or the next
    }
    slot->owner = nullptr;
    slot->buffer_index = -1;
    if (slot->bypasses_bound) {
        --cancels_in_flight_;
        slot->next_free = free_cancel_slots_;
        free_cancel_slots_ = slot;
    } else {
        --in_flight_;
        if (slot->goes_to_worker) --worker_requests_in_flight_;
        slot->goes_to_worker = false;
        slot->next_free = free_slots_;
        free_slots_ = slot;
    }
}

unsigned engine::reap() noexcept {
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        complete(*cqe);
        ++seen;
    }
    if (seen) io_uring_cq_advance(&ring_, seen);
    return seen;
}

int engine::register_file(int fd) noexcept {
    if (file_slots_in_use_ == file_slot_used_.size()) {
        ++counters_.files_unregistered;
        return -1;
    }
    const auto free_slot = std::find(file_slot_used_.begin(), file_slot_used_.end(), false);
    const int slot = int(free_slot - file_slot_used_.begin());
    if (io_uring_register_files_update(&ring_, unsigned(slot), &fd, 1) != 1) {
        ++counters_.files_unregistered;
        return -1;
    }
    *free_slot = true;
    ++file_slots_in_use_;
    return slot;
}

void engine::unregister_file(int slot) noexcept {
    if (slot < 0 || std::size_t(slot) >= file_slot_used_.size() || !file_slot_used_[std::size_t(slot)]) return;
    int empty = -1;
    io_uring_register_files_update(&ring_, unsigned(slot), &empty, 1);
    file_slot_used_[std::size_t(slot)] = false;
    --file_slots_in_use_;
}

bool engine::poll() {
    const unsigned pending = io_uring_sq_ready(&ring_);
    const bool busy = in_flight_ + cancels_in_flight_ != 0;
    if (pending == 0 && !busy && io_uring_cq_ready(&ring_) == 0) return false;

    const bool kernel_has_work =
        (IO_URING_READ_ONCE(*ring_.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0;
    if (mode_ == ring_mode::defer_taskrun) {
        // One io_uring_enter both submits the turn's batch and runs the deferred
        // completion work (IORING_ENTER_GETEVENTS) without waiting for any. With nothing
        // to hand over and no completion work flagged, the turn makes no system call.
        if (pending != 0 || !taskrun_flag_ || kernel_has_work) {
            const int rc = io_uring_submit_and_get_events(&ring_);
            ++counters_.submit_calls;
            if (rc > 0) {
                counters_.submitted += unsigned(rc);
                ++counters_.submit_batches;
            }
            if (rc < 0) ++counters_.submit_errors;  // EAGAIN/EBUSY/EINTR: the SQEs stay; next turn
        }
    } else if (pending != 0) {
        hand_over();
    } else if (kernel_has_work) {
        // COOP_TASKRUN + TASKRUN_FLAG: completions are waiting for us to enter the kernel.
        io_uring_get_events(&ring_);
        ++counters_.submit_calls;
    }
    const unsigned reaped = reap();
    admit_waiting();
    // The worker serving it is runnable (or will be, once the device answers) on this
    // CPU; yielding lets it run now instead of when the scheduler next takes the CPU.
    if (yield_to_io_workers_ && worker_requests_in_flight_ != 0) {
        sched_yield();
        ++counters_.yields;
    }
    // Requests still in the kernel count as work: were this turn "idle", an adaptive
    // shard could sleep (up to max_sleep, 1 ms) before reaping their completions.
    return reaped != 0 || pending != 0 || in_flight_ + cancels_in_flight_ != 0;
}

void engine::drain() noexcept {
    // Requests still waiting for a slot never reached the kernel: settle them in place.
    while (waiting_head_) {
        detail::operation& op = *waiting_head_;
        unlink(op);
        op.result = -ECANCELED;
        op.state = detail::operation::phase::done;
    }
    if (in_flight_ + cancels_in_flight_ != 0) {
        io_uring_sqe& sqe = next_sqe();
        io_uring_prep_cancel64(&sqe, 0, IORING_ASYNC_CANCEL_ANY);
        io_uring_sqe_set_data64(&sqe, 0);
    }
    io_uring_submit(&ring_);
    // Every CQE must arrive before the ring (and the buffers the kernel may still write)
    // goes: bounded, since a request the kernel cannot cancel still finishes on its own.
    unsigned quiet_waits = 0;
    while (in_flight_ + cancels_in_flight_ != 0 && quiet_waits < 50) {
        __kernel_timespec wait{0, 100'000'000};
        io_uring_cqe* cqe = nullptr;
        if (io_uring_wait_cqe_timeout(&ring_, &cqe, &wait) == -ETIME) ++quiet_waits;
        reap();
    }
    if (in_flight_ + cancels_in_flight_ != 0) {
        std::fprintf(stderr, "storage: shard %u: %u requests still in the kernel after 5 s at shutdown\n", shard_id_,
                     in_flight_ + cancels_in_flight_);
    }
}

namespace detail {

bool start_operation(engine& owner, operation& op) {
    if (op.bypasses_bound) {
        if (!owner.free_cancel_slots_) {
            op.result = -EBUSY;  // every cancel slot busy: say so rather than wait behind them
            op.state = operation::phase::done;
            return false;
        }
        owner.admit(op);
        return true;
    }
    if (owner.in_flight_ < owner.max_in_flight_ && !owner.waiting_head_) {
        owner.admit(op);
    } else {
        owner.enqueue(op);  // back-pressure: admitted in order as completions free slots
        ++owner.counters_.waited_for_slot;
    }
    return true;
}

void abandon_operation(engine& owner, operation& op) noexcept {
    if (op.state == operation::phase::waiting_for_slot) {
        owner.unlink(op);
    } else if (op.state == operation::phase::in_flight) {
        // The frame goes, the request stays: the slot forgets its owner, so the CQE only
        // frees the slot, and the kernel is asked to stop the request early.
        in_flight_slot& slot = *op.slot;
        slot.owner = nullptr;
        ++owner.counters_.abandoned;
        io_uring_sqe& sqe = owner.next_sqe();
        io_uring_prep_cancel64(&sqe, owner.user_data_of(slot), 0);
        io_uring_sqe_set_data64(&sqe, 0);
    }
    op.slot = nullptr;
    op.state = operation::phase::done;
}

}  // namespace detail

}  // namespace sluice::storage
