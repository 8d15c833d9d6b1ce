// sluice::storage::detail::operation: one request on a shard's io_uring, from the moment a
// task awaits it to the CQE that resumes it. It lives in the awaiting coroutine's frame;
// the engine (same shard only) links it into its wait queue or points an in-flight slot at
// it, and a frame destroyed mid-flight detaches it, so no CQE ever lands on a freed frame.
#pragma once

#include <liburing.h>

#include <coroutine>
#include <cstdint>
#include <utility>

namespace sluice::storage {

class engine;

namespace detail {

struct in_flight_slot;

struct operation {
    enum class phase : std::uint8_t { created, waiting_for_slot, in_flight, done };

    // Fills the SQE once the engine admits this operation (the bound on in-flight
    // requests may keep it waiting first).
    void (*prepare)(operation& self, io_uring_sqe& sqe) = nullptr;
    std::coroutine_handle<> waiter;
    engine* owner = nullptr;
    operation* next_waiting = nullptr;  // the engine's FIFO of operations waiting for a slot
    operation* previous_waiting = nullptr;
    in_flight_slot* slot = nullptr;     // set while the kernel has it
    int fd = -1;                        // the file it targets (-1: none), for cancel-by-file
    int buffer_index = -1;              // pool buffer it reads or writes, kept busy until the CQE
    bool bypasses_bound = false;        // a cancel request: must not queue behind what it cancels
    std::int32_t result = 0;            // cqe->res: >= 0 on success, -errno on failure
    phase state = phase::created;
};

// Engine side of the awaiter (engine.cc): admit now or queue (true: the caller stays
// suspended), or settle at once (false: `result` is already set); detach on early
// destruction.
bool start_operation(engine& owner, operation& op);
void abandon_operation(engine& owner, operation& op) noexcept;

// co_await engine.submit(prepare, ...): suspends until the CQE, then yields cqe->res.
template <typename Prepare>
class operation_awaiter : public operation {
public:
    operation_awaiter(engine& owner_engine, Prepare fill, int target_fd, int buffer, bool cancel_request = false)
        : fill_(std::move(fill)) {
        owner = &owner_engine;
        bypasses_bound = cancel_request;
        fd = target_fd;
        buffer_index = buffer;
        prepare = [](operation& self, io_uring_sqe& sqe) { static_cast<operation_awaiter&>(self).fill_(sqe); };
    }
    operation_awaiter(const operation_awaiter&) = delete;
    operation_awaiter& operator=(const operation_awaiter&) = delete;
    ~operation_awaiter() {
        if (state == phase::waiting_for_slot || state == phase::in_flight) abandon_operation(*owner, *this);
    }

    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> awaiting) {
        waiter = awaiting;
        return start_operation(*owner, *this);
    }
    std::int32_t await_resume() const noexcept { return result; }

private:
    Prepare fill_;
};

}  // namespace detail
}  // namespace sluice::storage
