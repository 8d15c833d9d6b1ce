// tcp_socket and tcp_listener: the coroutine face of one shard's connection_table.
#include "sluice/net/tcp_socket.hh"

#include <algorithm>
#include <string>
#include <utility>

#include "sluice/core/shard.hh"

namespace sluice::net {

std::string_view describe(tcp_error error) noexcept {
    switch (error) {
        case tcp_error::refused: return "connection refused: nothing listens on that port";
        case tcp_error::reset: return "connection reset by the peer";
        case tcp_error::timed_out: return "connection timed out: the peer did not answer";
        case tcp_error::closed: return "the socket is closed";
        case tcp_error::aborted: return "the connection was aborted on this side";
        case tcp_error::already_waiting: return "another task is already waiting on this socket";
        case tcp_error::no_local_port: return "no free local port towards that peer on this shard";
        case tcp_error::connection_limit: return "the shard's TCP connection table is full (stack_limits::tcp)";
        case tcp_error::no_mbufs: return "the packet pool is empty; raise the shard's mbuf count";
    }
    return "unknown TCP error";
}

tcp::connection_options connection_options_for(const stack& owner, const tcp_socket_options& options) noexcept {
    tcp::connection_options chosen;
    chosen.nodelay = options.nodelay;
    chosen.keepalive = options.keepalive;
    chosen.send_buffer = options.send_buffer;
    chosen.receive.capacity = options.receive_buffer;
    chosen.congestion = options.congestion;
    chosen.rto.minimum = options.minimum_rto;
    chosen.delayed_ack = options.delayed_ack;
    chosen.tail_loss_probe = options.tail_loss_probe;
    chosen.loss_probe_minimum = options.loss_probe_minimum;
    if (!options.segmentation_offload) chosen.segmentation_bytes = 1;  // one MSS a segment
    return owner.tcp_layer().options_for_interface(chosen);
}

namespace {

tcp::connection_table& table_of(stack& owner) { return owner.tcp_layer().table(); }

// RFC 6335 6: the dynamic port range; each shard starts its scan somewhere else.
constexpr std::uint16_t first_ephemeral = 49152;
constexpr std::uint16_t last_ephemeral = 65535;

// Resumed in this turn's task stage (run to completion), never from inside the table.
void wake(std::coroutine_handle<>& slot) noexcept {
    if (slot) this_shard().schedule(std::exchange(slot, {}));
}

// Waits until the connection's events (or close) wake `slot`.
struct wait_awaiter {
    std::coroutine_handle<>* slot;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> waiting) noexcept { *slot = waiting; }
    void await_resume() const noexcept {}
};

}  // namespace

// --- the state a socket shares with its tasks -----------------------------------------

namespace detail {

void tcp_socket_state::on_events(const tcp::connection_events& events) {
    if (events.established || events.closed) wake(opener);
    if (events.readable || events.closed) wake(reader);
    if (events.writable || events.closed) wake(writer);
}

void tcp_socket_state::updated() noexcept {
    if (entry != nullptr) table_of(*owner).updated(*entry, clock::now());
}

void tcp_socket_state::close() noexcept {
    if (entry == nullptr) return;
    tcp::connection_entry* closing = std::exchange(entry, nullptr);
    last_error = closing->conn.error();
    table_of(*owner).release(*closing, clock::now());
    wake(opener);
    wake(reader);
    wake(writer);
}

tcp_error tcp_socket_state::ended_error() const noexcept {
    switch (entry != nullptr ? entry->conn.error() : last_error) {
        case tcp::connection_error::refused: return tcp_error::refused;
        case tcp::connection_error::reset: return tcp_error::reset;
        case tcp::connection_error::timed_out: return tcp_error::timed_out;
        case tcp::connection_error::aborted: return tcp_error::aborted;
        case tcp::connection_error::none: return tcp_error::closed;
    }
    return tcp_error::closed;
}

void tcp_listener_state::on_acceptable() { wake(acceptor); }

}  // namespace detail

// --- tcp_socket -------------------------------------------------------------------------

tcp_socket::tcp_socket(stack& owner, tcp::connection_entry& entry) : state_(new detail::tcp_socket_state) {
    state_->owner = &owner;
    state_->entry = &entry;
    state_->tuple = entry.conn.tuple();
    entry.user = &*state_;
}

tcp_socket::~tcp_socket() { close(); }

task<tcp_result<std::unique_ptr<tcp_socket>>> tcp_socket::connect(stack& owner, wire::ipv4_address address,
                                                                   std::uint16_t port, clock::duration timeout,
                                                                   tcp_socket_options options) {
    tcp::connection_table& table = table_of(owner);
    if (table.size() >= table.limits().max_connections) co_return tcp_error::connection_limit;
    const tcp::connection_options chosen = connection_options_for(owner, options);
    // A free local port (RFC 6056's simple scan, from a start that moves on each call);
    // with several shards on an RSS port, one whose replies hash back to this shard.
    static thread_local std::uint16_t next_port = first_ephemeral;
    const wire::ipv4_address local = owner.config().address.address;
    const auto available = [&](std::uint16_t port_number) {
        return table.find(tcp::four_tuple{local, port_number, address, port}) == nullptr;
    };
    std::optional<std::uint16_t> chosen_port;
    if (const flow_steering* steering = owner.active_open_steering()) {
        active_open open;
        open.local_addr = local.value;
        open.remote_addr = address.value;
        open.remote_port = port;
        open.range = {first_ephemeral, last_ephemeral};
        open.start_hint = next_port;
        chosen_port = choose_local_port_for_shard(steering->hasher, steering->table, steering->shard, open, available);
    } else {
        for (unsigned tried = 0; tried <= unsigned(last_ephemeral - first_ephemeral); ++tried) {
            const std::uint16_t candidate = std::uint16_t(first_ephemeral + (next_port - first_ephemeral + tried) %
                                                                               (last_ephemeral - first_ephemeral + 1));
            if (available(candidate)) {
                chosen_port = candidate;
                break;
            }
        }
    }
    tcp::connection_entry* entry = nullptr;
    if (chosen_port) {
        next_port = *chosen_port == last_ephemeral ? first_ephemeral : std::uint16_t(*chosen_port + 1);
        entry = table.connect(tcp::four_tuple{local, *chosen_port, address, port}, chosen, clock::now());
        if (entry == nullptr) co_return tcp_error::connection_limit;
    }
    if (entry == nullptr) co_return tcp_error::no_local_port;
    std::unique_ptr<tcp_socket> socket(new tcp_socket(owner, *entry));
    hold self = socket->state_;
    // The timeout aborts the open; the socket then sees the connection end like any other.
    bool expired = false;
    timer deadline([&] {
        expired = true;
        if (self->entry != nullptr && self->entry->conn.state() == tcp::tcp_state::syn_sent) {
            self->entry->conn.abort(clock::now());
            self->updated();
        }
    });
    deadline.arm_in(timeout);
    while (self->entry != nullptr && self->entry->conn.state() == tcp::tcp_state::syn_sent) {
        co_await wait_awaiter{&self->opener};
    }
    deadline.cancel();
    if (self->entry == nullptr) co_return tcp_error::closed;
    if (self->entry->conn.state() == tcp::tcp_state::closed) {
        if (expired) co_return tcp_error::timed_out;
        co_return self->ended_error();
    }
    co_return std::move(socket);
}

task<tcp_result<buffer>> tcp_socket::read_some(std::size_t max) { return read_some_on(state_, max); }

task<tcp_result<buffer>> tcp_socket::read_some_on(hold self, std::size_t max) {
    if (self->reader) co_return tcp_error::already_waiting;
    for (;;) {
        if (self->entry == nullptr) co_return tcp_error::closed;
        tcp::connection& conn = self->entry->conn;
        buffer got = conn.read(max, clock::now());
        if (!got.empty()) {
            self->updated();
            co_return std::move(got);
        }
        if (conn.peer_finished()) co_return buffer{};  // end of stream
        if (conn.state() == tcp::tcp_state::closed) co_return self->ended_error();
        co_await wait_awaiter{&self->reader};
    }
}

task<tcp_result<buffer>> tcp_socket::read_exactly(std::size_t n) {
    buffer whole;
    while (whole.size() < n) {
        auto got = co_await read_some_on(state_, n - whole.size());
        if (!got) co_return got.error();
        if (got->empty()) co_return tcp_error::closed;  // the stream ended first
        whole.append(std::move(*got));
    }
    co_return std::move(whole);
}

task<tcp_result<void>> tcp_socket::write_all(std::span<const std::byte> bytes) { return write_all_on(state_, bytes); }

task<tcp_result<void>> tcp_socket::write_all_on(hold self, std::span<const std::byte> bytes) {
    if (self->writer) co_return tcp_error::already_waiting;
    while (!bytes.empty()) {
        if (self->entry == nullptr) co_return tcp_error::closed;
        tcp::connection& conn = self->entry->conn;
        if (conn.state() == tcp::tcp_state::closed) co_return self->ended_error();
        if (conn.send_room() == 0 && !tcp::can_send(conn.state()) && conn.state() != tcp::tcp_state::syn_sent &&
            conn.state() != tcp::tcp_state::syn_received) {
            co_return tcp_error::closed;  // our side was shut down
        }
        if (conn.send_room() > 0) {
            auto taken = conn.write(bytes, clock::now());
            self->updated();
            if (!taken) co_return tcp_error::no_mbufs;
            bytes = bytes.subspan(*taken);
            if (bytes.empty()) break;
        }
        co_await wait_awaiter{&self->writer};  // back-pressure: the peer must acknowledge first
    }
    co_return tcp_result<void>{};
}

task<tcp_result<void>> tcp_socket::write(buffer bytes) { return write_on(state_, std::move(bytes)); }

task<tcp_result<void>> tcp_socket::write_on(hold self, buffer bytes) {
    if (self->writer) co_return tcp_error::already_waiting;
    while (!bytes.empty()) {
        if (self->entry == nullptr) co_return tcp_error::closed;
        tcp::connection& conn = self->entry->conn;
        if (conn.state() == tcp::tcp_state::closed) co_return self->ended_error();
        const std::size_t room = conn.send_room();
        if (room == 0 && !tcp::can_send(conn.state()) && conn.state() != tcp::tcp_state::syn_sent &&
            conn.state() != tcp::tcp_state::syn_received) {
            co_return tcp_error::closed;  // our side was shut down
        }
        if (room > 0) {
            // What fits now goes now (a view of the same mbufs); the rest waits for room.
            auto [now_part, later_part] = std::move(bytes).split(std::min(room, bytes.size()));
            const bool queued = conn.write(std::move(now_part), clock::now());
            self->updated();
            if (!queued) co_return tcp_error::closed;
            bytes = std::move(later_part);
            if (bytes.empty()) break;
        }
        co_await wait_awaiter{&self->writer};
    }
    co_return tcp_result<void>{};
}

void tcp_socket::shutdown() {
    if (state_->entry == nullptr) return;
    state_->entry->conn.shutdown_send(clock::now());
    state_->updated();
}

void tcp_socket::close() noexcept { state_->close(); }

void tcp_socket::abort() noexcept {
    if (state_->entry == nullptr) return;
    state_->entry->conn.abort(clock::now());
    state_->close();
}

void tcp_socket::set_nodelay(bool on) noexcept {
    if (state_->entry != nullptr) state_->entry->conn.set_nodelay(on);
}

void tcp_socket::set_keepalive(bool on) noexcept {
    if (state_->entry == nullptr) return;
    state_->entry->conn.set_keepalive(on, clock::now());
    state_->updated();
}

// --- tcp_listener -----------------------------------------------------------------------

tcp_listener::tcp_listener(stack& owner, tcp::listener& listening)
    : state_(new detail::tcp_listener_state), port_(listening.port()) {
    state_->owner = &owner;
    state_->listening = &listening;
    listening.set_user(&*state_);
}

tcp_listener::~tcp_listener() { close(); }

result<std::unique_ptr<tcp_listener>> tcp_listener::listen(stack& owner, std::uint16_t port, std::size_t backlog,
                                                           tcp_socket_options options) {
    if (port == 0) return error{"TCP port 0 cannot listen; choose a port from 1 to 65535"};
    tcp::listener* listening = table_of(owner).listen(port, backlog, connection_options_for(owner, options));
    if (listening == nullptr) {
        return error{"TCP port " + std::to_string(port) + " already listens on shard " +
                     std::to_string(shard::current() ? shard::current()->id() : 0) + "; close that listener first"};
    }
    return std::unique_ptr<tcp_listener>(new tcp_listener(owner, *listening));
}

task<tcp_result<std::unique_ptr<tcp_socket>>> tcp_listener::accept() { return accept_on(state_); }

task<tcp_result<std::unique_ptr<tcp_socket>>> tcp_listener::accept_on(hold self) {
    if (self->acceptor) co_return tcp_error::already_waiting;
    for (;;) {
        if (self->listening == nullptr) co_return tcp_error::closed;
        if (tcp::connection_entry* entry = table_of(*self->owner).accept(*self->listening)) {
            co_return std::unique_ptr<tcp_socket>(new tcp_socket(*self->owner, *entry));
        }
        co_await wait_awaiter{&self->acceptor};
    }
}

void tcp_listener::close() noexcept {
    if (state_->listening == nullptr) return;
    tcp::listener* listening = std::exchange(state_->listening, nullptr);
    listening->set_user(nullptr);
    table_of(*state_->owner).unlisten(*listening, clock::now());
    wake(state_->acceptor);
}

}  // namespace sluice::net
