// sluice::net::tcp_socket and tcp_listener: TCP for coroutines on one shard's stack.
// `co_await tcp_socket::connect(...)` opens, `co_await listener.accept()` takes what a
// listener got; read_some() hands back views of the received mbufs (no copy), write_all()
// copies once into the send buffer and waits for room (back-pressure), write() queues a
// buffer without copying. Create, use and destroy a socket on the shard that owns its stack.
//
// Lifetime (the rule every socket keeps): close(), abort() or the destructor resume every
// task waiting on the socket with tcp_error::closed, and each later call answers the same.
// One task may read and one may write at a time; a second gets already_waiting.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "sluice/core/clock.hh"
#include "sluice/core/result.hh"
#include "sluice/core/task.hh"
#include "sluice/core/timer.hh"
#include "sluice/net/buffer.hh"
#include "sluice/net/stack.hh"
#include "sluice/net/tcp/connection_table.hh"
#include "sluice/net/wire/outcome.hh"

namespace sluice::net {

enum class tcp_error : std::uint8_t {
    refused,          // the peer answered the SYN with RST: nothing listens there
    reset,            // the peer reset the connection
    timed_out,        // no answer: connect's timeout, or retransmissions/keepalive gave up
    closed,           // this socket was closed (or the connection ended) while or before waiting
    aborted,          // this side reset it (abort())
    already_waiting,  // another task already reads (or writes) on this socket
    no_local_port,    // connect: every local port towards that peer is in use on this shard
    connection_limit, // connect: the shard's connection table is full
    no_mbufs,         // write: the packet pool is empty; retry later
};
std::string_view describe(tcp_error error) noexcept;

template <typename T>
using tcp_result = wire::outcome<T, tcp_error>;

// What a socket asks of its connection beyond the interface's defaults (docs/user-guide.md,
// "TCP").
struct tcp_socket_options {
    bool nodelay = true;
    bool keepalive = false;
    std::size_t send_buffer = 256 * 1024;
    std::size_t receive_buffer = 256 * 1024;
    tcp::congestion_algorithm congestion = tcp::congestion_algorithm::cubic;
    clock::duration minimum_rto = std::chrono::milliseconds(10);
    bool delayed_ack = true;
    // Segments of up to 64 KiB for the device to cut, where it offers TSO; off: one MSS
    // a segment (for a capture that must show the frames as the stack built them).
    bool segmentation_offload = true;
    // RFC 8985 7: probe a silent tail after 2 SRTT (at least loss_probe_minimum) rather than
    // wait for the RTO; needs SACK. Off: only the RTO finds a lost last segment.
    bool tail_loss_probe = true;
    clock::duration loss_probe_minimum = std::chrono::milliseconds(2);
};

namespace detail {

// What a socket and the tasks waiting on it share: the connection, the waiting handles,
// and a plain count of holders (one shard: no atomics). A task holds it across its waits,
// so destroying the socket while a task waits leaves the task a closed state to wake to.
struct tcp_socket_state final : tcp::connection_user {
    stack* owner = nullptr;
    tcp::connection_entry* entry = nullptr;  // null once closed
    tcp::four_tuple tuple;
    std::coroutine_handle<> reader;
    std::coroutine_handle<> writer;
    std::coroutine_handle<> opener;
    tcp::connection_error last_error = tcp::connection_error::none;
    unsigned holders = 0;

    void on_events(const tcp::connection_events& events) override;
    void updated() noexcept;
    void close() noexcept;
    tcp_error ended_error() const noexcept;
};

// A counted hold on a tcp_socket_state (or the listener's): copy to hold, drop to let go.
template <typename State>
class state_hold {
public:
    explicit state_hold(State* state) noexcept : state_(state) { ++state_->holders; }
    state_hold(const state_hold& other) noexcept : state_hold(other.state_) {}
    state_hold& operator=(const state_hold&) = delete;
    ~state_hold() {
        if (--state_->holders == 0) delete state_;
    }
    State* operator->() const noexcept { return state_; }
    State& operator*() const noexcept { return *state_; }

private:
    State* state_;
};

struct tcp_listener_state final : tcp::listener_user {
    stack* owner = nullptr;
    tcp::listener* listening = nullptr;  // null once closed
    std::coroutine_handle<> acceptor;
    unsigned holders = 0;
    void on_acceptable() override;
};

}  // namespace detail

class tcp_socket {
public:
    // Opens a connection from the calling shard's `owner` stack to address:port; refused,
    // timed_out (after `timeout`), no_local_port or connection_limit instead.
    static task<tcp_result<std::unique_ptr<tcp_socket>>> connect(stack& owner, wire::ipv4_address address,
                                                                  std::uint16_t port,
                                                                  clock::duration timeout = std::chrono::seconds(5),
                                                                  tcp_socket_options options = {});
    tcp_socket(const tcp_socket&) = delete;
    tcp_socket& operator=(const tcp_socket&) = delete;
    ~tcp_socket();  // close()

    // Up to `max` received bytes as a view of the receive mbufs; an empty buffer once the
    // peer has closed its side and everything before was read (end of stream).
    task<tcp_result<buffer>> read_some(std::size_t max = std::size_t(-1));
    // Exactly n bytes (one view, possibly of many mbufs); closed if the stream ends first.
    task<tcp_result<buffer>> read_exactly(std::size_t n);
    // Copies all of `bytes` into the send buffer, waiting for room as the peer acknowledges.
    // The caller keeps `bytes` alive until the task ends.
    task<tcp_result<void>> write_all(std::span<const std::byte> bytes);
    // Queues `bytes` without a copy (its mbufs go to the device attached), waiting for room.
    task<tcp_result<void>> write(buffer bytes);
    // No more data from us (FIN after what is queued); reading goes on.
    void shutdown();
    // Graceful close: FIN, and the connection finishes in the background (TIME-WAIT too).
    void close() noexcept;
    // RST now; queued data is dropped.
    void abort() noexcept;

    bool is_open() const noexcept { return state_->entry != nullptr; }
    const tcp::four_tuple& tuple() const noexcept { return state_->tuple; }
    // The connection itself, for its state and counters (nullptr once closed).
    const tcp::connection* connection() const noexcept { return state_->entry ? &state_->entry->conn : nullptr; }
    void set_nodelay(bool on) noexcept;
    void set_keepalive(bool on) noexcept;

private:
    friend class tcp_listener;
    using hold = detail::state_hold<detail::tcp_socket_state>;
    tcp_socket(stack& owner, tcp::connection_entry& entry);
    static task<tcp_result<buffer>> read_some_on(hold self, std::size_t max);
    static task<tcp_result<void>> write_all_on(hold self, std::span<const std::byte> bytes);
    static task<tcp_result<void>> write_on(hold self, buffer bytes);

    hold state_;
};

class tcp_listener {
public:
    // Listens on `port` of the calling shard's `owner` stack (call it on every shard to
    // listen on each: RSS gives each shard its flows). One line naming the port when it is
    // 0 or already listening on this shard.
    static result<std::unique_ptr<tcp_listener>> listen(stack& owner, std::uint16_t port, std::size_t backlog = 128,
                                                         tcp_socket_options options = {});
    tcp_listener(const tcp_listener&) = delete;
    tcp_listener& operator=(const tcp_listener&) = delete;
    ~tcp_listener();  // close()

    // The next established connection; closed once the listener closes, already_waiting
    // for a second task.
    task<tcp_result<std::unique_ptr<tcp_socket>>> accept();
    // Stops listening: connections not yet accepted are reset; a waiting accept() resumes.
    void close() noexcept;
    std::uint16_t port() const noexcept { return port_; }
    const tcp::listener* state() const noexcept { return state_->listening; }

private:
    using hold = detail::state_hold<detail::tcp_listener_state>;
    tcp_listener(stack& owner, tcp::listener& listening);
    static task<tcp_result<std::unique_ptr<tcp_socket>>> accept_on(hold self);

    hold state_;
    std::uint16_t port_;
};

// The options a connection takes from a socket's, on `owner`'s interface (its MSS).
tcp::connection_options connection_options_for(const stack& owner, const tcp_socket_options& options) noexcept;

}  // namespace sluice::net
