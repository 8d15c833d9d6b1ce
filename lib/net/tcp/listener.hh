// sluice::net::tcp::listener: a passive open on one port of one shard (RFC 9293 3.10.1,
// LISTEN): the options its connections take, its backlog, the children still in
// SYN-RECEIVED, and the accept queue of those that completed the handshake. The shard's
// connection_table owns every connection; the listener only points at its children.
// Owned by the table, on one shard.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sluice/core/fifo.hh"
#include "sluice/net/tcp/connection.hh"

namespace sluice::net::tcp {

class connection_entry;

// What a listening socket implements to hear that accept() will find a connection.
class listener_user {
public:
    virtual ~listener_user() = default;
    // A connection joined the accept queue. Only wakes a task: must not call the table.
    virtual void on_acceptable() = 0;
};

struct listener_counters {
    std::uint64_t syns_received = 0;
    std::uint64_t accepted = 0;           // handed to the application
    std::uint64_t backlog_full = 0;       // SYNs met with a full SYN queue (cookies or drop)
    std::uint64_t accept_queue_full = 0;  // handshakes completed with no room to queue: reset
};

class listener {
public:
    listener(std::uint16_t port, std::size_t backlog, const connection_options& options)
        : port_(port), backlog_(backlog == 0 ? 1 : backlog), options_(options), ready_(backlog_) {}
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    // The most connections waiting in each of the SYN queue and the accept queue.
    std::size_t backlog() const noexcept { return backlog_; }
    const connection_options& options() const noexcept { return options_; }
    connection_options& options() noexcept { return options_; }

    // Children in SYN-RECEIVED, and established ones not yet accepted.
    std::size_t half_open() const noexcept { return half_open_; }
    std::size_t pending() const noexcept { return ready_.size(); }
    bool syn_queue_full() const noexcept { return half_open_ >= backlog_; }
    bool accept_queue_full() const noexcept { return ready_.size() >= backlog_; }

    void set_user(listener_user* user) noexcept { user_ = user; }
    listener_user* user() const noexcept { return user_; }
    const listener_counters& counters() const noexcept { return counters_; }

private:
    friend class connection_table;

    std::uint16_t port_;
    std::size_t backlog_;
    connection_options options_;
    std::size_t half_open_ = 0;
    fifo<connection_entry*> ready_;  // the accept queue, oldest first
    listener_user* user_ = nullptr;
    listener_counters counters_;
};

}  // namespace sluice::net::tcp
