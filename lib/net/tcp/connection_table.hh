// sluice::net::tcp::connection_table: one shard's TCP endpoints — its connections by
// four-tuple, its listeners by port, and the timers of all of them in one deadline heap.
// It demultiplexes each arriving segment (RFC 9293 3.10.7), answers segments for no
// connection with RST (3.10.7.1), accepts SYNs for listeners up to their backlog and
// beyond it with SYN cookies (RFC 4987 3.6), bounds every resource with a counter when a
// bound is hit, and frees a connection once it is closed and nobody holds it. Sans-I/O:
// segments leave through the segment_sink; the loop runs on_timer at next_deadline().
// Owned by one shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "sluice/core/clock.hh"
#include "sluice/net/tcp/connection.hh"
#include "sluice/net/tcp/deadline_heap.hh"
#include "sluice/net/tcp/four_tuple.hh"
#include "sluice/net/tcp/isn.hh"
#include "sluice/net/tcp/listener.hh"
#include "sluice/net/tcp/segment.hh"
#include "sluice/net/tcp/syn_cookies.hh"

namespace sluice::net::tcp {

struct table_limits {
    std::size_t max_connections = 65536;  // every connection of the shard, TIME-WAIT included
    std::size_t max_time_wait = 16384;    // more are closed at once instead of waiting
    bool syn_cookies = true;              // answer SYNs beyond a full SYN queue statelessly
};

struct table_counters {
    std::uint64_t active_opens = 0;
    std::uint64_t passive_opens = 0;       // SYNs that made a SYN-RECEIVED connection
    std::uint64_t resets_for_no_connection = 0;
    std::uint64_t connection_limit = 0;    // opens refused at max_connections
    std::uint64_t syn_dropped = 0;         // SYN queue full and cookies off
    std::uint64_t syn_cookies_sent = 0;
    std::uint64_t syn_cookies_accepted = 0;
    std::uint64_t syn_cookies_rejected = 0;  // an ACK whose cookie did not check: reset
    std::uint64_t time_wait_overflow = 0;  // closed at once: max_time_wait reached
    std::uint64_t time_wait_reused = 0;    // a new SYN took over a TIME-WAIT tuple (RFC 6191)
    std::uint64_t freed = 0;
};

// What a socket implements to hear about its connection.
class connection_user {
public:
    virtual ~connection_user() = default;
    // What changed (connection::take_events). Only wakes tasks: must not call the table.
    virtual void on_events(const connection_events& events) = 0;
};

// One connection and the table's bookkeeping of it.
class connection_entry {
public:
    connection_entry(const four_tuple& tuple, const connection_options& options, segment_sink& sink)
        : conn(tuple, options, sink) {}

    connection conn;
    tcp::deadline_slot deadline_slot;
    listener* parent = nullptr;        // a passive child not yet accepted
    connection_user* user = nullptr;   // the socket holding it, if any
    bool half_open = false;            // counted in parent's SYN queue
    bool in_accept_queue = false;      // in parent's accept queue
    bool held = false;                 // a socket holds it (until release())
    bool counted_time_wait = false;
};

class connection_table {
public:
    connection_table(segment_sink& sink, const table_limits& limits = {});
    connection_table(const connection_table&) = delete;
    connection_table& operator=(const connection_table&) = delete;
    ~connection_table();

    // --- opening ------------------------------------------------------------------------
    // Active open on `tuple` (the caller chose the local port): SYN sent. Null when the
    // tuple is in use or the table is full. The caller holds the entry until release().
    connection_entry* connect(const four_tuple& tuple, const connection_options& options, clock::time_point now);
    // A listener on `port` (every local address); null when the port already listens.
    listener* listen(std::uint16_t port, std::size_t backlog, const connection_options& options);
    // Stops listening: connections not yet accepted are reset and freed.
    void unlisten(listener& which, clock::time_point now);
    // The oldest established connection of `which` not yet accepted, now held by the
    // caller; null when none.
    connection_entry* accept(listener& which);

    // --- from the stack and the loop ----------------------------------------------------
    void deliver(const four_tuple& tuple, segment&& incoming, clock::time_point now);
    clock::time_point next_deadline() const noexcept { return timers_.next(); }
    void on_timer(clock::time_point now);

    // --- from a socket ------------------------------------------------------------------
    // After the socket called its connection (write, read, close, ...): files its new
    // deadline, hands out its events, frees it if it closed and nobody holds it.
    void updated(connection_entry& entry, clock::time_point now);
    // The socket is gone: a live connection is closed gracefully (or reset when data was
    // left unread) and freed when it finishes; a closed one is freed now.
    void release(connection_entry& entry, clock::time_point now);

    // --- looking ------------------------------------------------------------------------
    connection_entry* find(const four_tuple& tuple) noexcept;
    listener* listener_on(std::uint16_t port) noexcept;
    std::size_t size() const noexcept { return connections_.size(); }
    std::size_t time_wait_count() const noexcept { return time_wait_; }
    const table_counters& counters() const noexcept { return counters_; }
    // Every connection's counters summed, those freed and those alive (a walk of the
    // table: for reports, not the data path).
    connection_counters connection_totals() const noexcept;
    const table_limits& limits() const noexcept { return limits_; }

private:
    connection_entry* add(const four_tuple& tuple, const connection_options& options);
    void on_listen(listener& which, const four_tuple& tuple, segment&& incoming, clock::time_point now);
    void syn_with_cookie(listener& which, const four_tuple& tuple, const segment& syn, clock::time_point now);
    bool accept_cookie(listener& which, const four_tuple& tuple, segment& incoming, clock::time_point now);
    bool time_wait_yields_to(const connection& old, const segment& syn) const noexcept;
    void reset_for_no_connection(const four_tuple& tuple, const segment& incoming, clock::time_point now);
    void settle(connection_entry& entry, clock::time_point now);
    void free(connection_entry& entry);

    segment_sink& sink_;
    table_limits limits_;
    isn_generator isn_;
    syn_cookies cookies_;
    std::unordered_map<four_tuple, std::unique_ptr<connection_entry>, four_tuple_hash> connections_;
    std::unordered_map<std::uint16_t, std::unique_ptr<listener>> listeners_;
    deadline_heap<connection_entry> timers_;
    std::size_t time_wait_ = 0;
    table_counters counters_;
    connection_counters freed_totals_;
};

}  // namespace sluice::net::tcp
