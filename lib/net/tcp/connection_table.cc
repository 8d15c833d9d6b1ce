// connection_table: demultiplexing (RFC 9293 3.10.7.1-2), passive opens with a SYN queue
// and SYN cookies (RFC 4987 3.6), TIME-WAIT reuse (RFC 6191), and the lifetime of entries.
#include "sluice/net/tcp/connection_table.hh"

#include <algorithm>
#include <vector>

namespace sluice::net::tcp {

connection_table::connection_table(segment_sink& sink, const table_limits& limits) : sink_(sink), limits_(limits) {}

connection_table::~connection_table() {
    for (auto& [tuple, entry] : connections_) timers_.remove(*entry);
}

connection_entry* connection_table::add(const four_tuple& tuple, const connection_options& options) {
    if (connections_.size() >= limits_.max_connections) {
        ++counters_.connection_limit;
        return nullptr;
    }
    auto [where, added] = connections_.try_emplace(tuple);
    if (!added) return nullptr;
    where->second = std::make_unique<connection_entry>(tuple, options, sink_);
    return where->second.get();
}

connection_entry* connection_table::connect(const four_tuple& tuple, const connection_options& options,
                                            clock::time_point now) {
    connection_entry* entry = add(tuple, options);
    if (entry == nullptr) return nullptr;
    ++counters_.active_opens;
    entry->held = true;
    entry->conn.open(isn_.next(tuple, now), now);
    settle(*entry, now);
    return entry;
}

listener* connection_table::listen(std::uint16_t port, std::size_t backlog, const connection_options& options) {
    if (port == 0) return nullptr;
    auto [where, added] = listeners_.try_emplace(port);
    if (!added) return nullptr;
    where->second = std::make_unique<listener>(port, backlog, options);
    return where->second.get();
}

void connection_table::unlisten(listener& which, clock::time_point now) {
    // Children not yet accepted have no socket to close them: reset them now.
    std::vector<connection_entry*> children;
    for (auto& [tuple, entry] : connections_) {
        if (entry->parent == &which) children.push_back(entry.get());
    }
    for (connection_entry* child : children) {
        if (child->half_open) --which.half_open_;
        child->parent = nullptr;
        child->half_open = false;
        child->in_accept_queue = false;
        child->conn.abort(now);
        settle(*child, now);
    }
    listeners_.erase(which.port());
}

connection_entry* connection_table::accept(listener& which) {
    if (which.ready_.empty()) return nullptr;
    connection_entry* entry = which.ready_.front();
    which.ready_.pop_front();
    entry->parent = nullptr;
    entry->in_accept_queue = false;
    // It may have been reset while it waited: it was kept for this, and the socket sees it.
    entry->held = true;
    ++which.counters_.accepted;
    return entry;
}

connection_entry* connection_table::find(const four_tuple& tuple) noexcept {
    const auto found = connections_.find(tuple);
    return found == connections_.end() ? nullptr : found->second.get();
}

listener* connection_table::listener_on(std::uint16_t port) noexcept {
    const auto found = listeners_.find(port);
    return found == listeners_.end() ? nullptr : found->second.get();
}

void connection_table::deliver(const four_tuple& tuple, segment&& incoming, clock::time_point now) {
    if (connection_entry* entry = find(tuple)) {
        // RFC 6191: a SYN for a tuple in TIME-WAIT may open a new connection when it is
        // clearly newer (higher timestamp, or a sequence number past the old one).
        if (entry->conn.state() == tcp_state::time_wait && incoming.has(wire::tcp_syn) &&
            !incoming.has(wire::tcp_ack) && time_wait_yields_to(entry->conn, incoming)) {
            if (listener* which = listener_on(tuple.local_port)) {
                ++counters_.time_wait_reused;
                free(*entry);
                return on_listen(*which, tuple, std::move(incoming), now);
            }
        }
        entry->conn.on_segment(std::move(incoming), now);
        return settle(*entry, now);
    }
    if (listener* which = listener_on(tuple.local_port)) return on_listen(*which, tuple, std::move(incoming), now);
    reset_for_no_connection(tuple, incoming, now);
}

// RFC 9293 3.10.7.2, LISTEN.
void connection_table::on_listen(listener& which, const four_tuple& tuple, segment&& incoming, clock::time_point now) {
    if (incoming.has(wire::tcp_rst)) return;  // first: an RST is ignored
    if (incoming.has(wire::tcp_ack)) {
        // second: an ACK is either the third segment of a cookie handshake or bogus.
        if (limits_.syn_cookies && !incoming.has(wire::tcp_syn) && accept_cookie(which, tuple, incoming, now)) return;
        return reset_for_no_connection(tuple, incoming, now);
    }
    if (!incoming.has(wire::tcp_syn)) return;  // fourth, "other text or control": drop
    // A SYN with FIN (or a broadcast source) is not an open anyone should make.
    if (incoming.has(wire::tcp_fin) || tuple.remote.is_broadcast() || tuple.remote.is_multicast()) return;
    ++which.counters_.syns_received;
    if (which.syn_queue_full() || which.accept_queue_full()) {
        ++which.counters_.backlog_full;
        if (limits_.syn_cookies) return syn_with_cookie(which, tuple, incoming, now);
        ++counters_.syn_dropped;
        return;
    }
    connection_entry* entry = add(tuple, which.options());
    if (entry == nullptr) return;
    ++counters_.passive_opens;
    entry->parent = &which;
    entry->half_open = true;
    ++which.half_open_;
    entry->conn.accept_syn(incoming, isn_.next(tuple, now), now);
    settle(*entry, now);
}

// RFC 4987 3.6: the SYN-ACK's ISN encodes what we must remember; nothing is kept.
void connection_table::syn_with_cookie(listener& which, const four_tuple& tuple, const segment& syn,
                                       clock::time_point now) {
    const std::uint16_t peer_mss = syn.options.mss.value_or(536);
    const syn_cookie cookie = cookies_.make(tuple, syn.sequence, peer_mss, now);
    const connection_options& options = which.options();
    outgoing_segment out;
    out.sequence = cookie.isn;
    out.acknowledgment = syn.sequence + 1;
    out.flags = wire::tcp_syn | wire::tcp_ack;
    out.window = connection::syn_window(options);
    out.options.mss = options.mss;
    // Options only come back through the timestamp echo: without timestamps, none.
    if (syn.options.timestamps && options.timestamps) {
        syn_cookie_options kept;
        if (syn.options.window_scale && options.window_scale) kept.window_scale = *syn.options.window_scale;
        kept.sack_permitted = syn.options.sack_permitted && options.sack;
        const std::uint32_t value = syn_cookies::encode_options(connection::timestamp_for(cookie.isn, now), kept);
        out.options.timestamps = wire::tcp_timestamps{value, syn.options.timestamps->value};
        if (kept.window_scale) out.options.window_scale = connection::window_shift_for(options);
        out.options.sack_permitted = kept.sack_permitted;
    }
    ++counters_.syn_cookies_sent;
    sink_.send(tuple, std::move(out), now);
}

bool connection_table::accept_cookie(listener& which, const four_tuple& tuple, segment& incoming,
                                     clock::time_point now) {
    const auto mss = cookies_.check(tuple, incoming.sequence - 1, incoming.acknowledgment - 1, now);
    if (!mss) {
        ++counters_.syn_cookies_rejected;
        return false;
    }
    if (which.accept_queue_full()) {
        ++which.counters_.accept_queue_full;
        return true;  // dropped: the peer retransmits, and may find room
    }
    connection_entry* entry = add(tuple, which.options());
    if (entry == nullptr) return true;
    ++counters_.syn_cookies_accepted;
    const syn_cookie_options kept = incoming.options.timestamps
                                        ? syn_cookies::decode_options(incoming.options.timestamps->echo_reply)
                                        : syn_cookie_options{};
    entry->parent = &which;
    entry->half_open = true;
    ++which.half_open_;  // settle() moves it to the accept queue and takes it off again
    const seq our_isn = incoming.acknowledgment - 1;
    entry->conn.accept_cookie(std::move(incoming), our_isn, *mss, kept.window_scale, kept.sack_permitted, now);
    settle(*entry, now);
    return true;
}

bool connection_table::time_wait_yields_to(const connection& old, const segment& syn) const noexcept {
    if (old.timestamps_enabled() && syn.options.timestamps) {
        return std::int32_t(syn.options.timestamps->value - old.recent_timestamp()) > 0;
    }
    return syn.sequence > old.receive_next();
}

// RFC 9293 3.10.7.1: a segment for no connection gets RST, never an RST.
void connection_table::reset_for_no_connection(const four_tuple& tuple, const segment& incoming,
                                               clock::time_point now) {
    if (incoming.has(wire::tcp_rst)) return;
    outgoing_segment out;
    if (incoming.has(wire::tcp_ack)) {
        out.sequence = incoming.acknowledgment;
        out.flags = wire::tcp_rst;
    } else {
        out.sequence = seq(0);
        out.acknowledgment = incoming.sequence + incoming.length();
        out.flags = wire::tcp_rst | wire::tcp_ack;
    }
    ++counters_.resets_for_no_connection;
    sink_.send(tuple, std::move(out), now);
}

void connection_table::on_timer(clock::time_point now) {
    while (connection_entry* due = timers_.top()) {
        if (due->deadline_slot.deadline > now) break;
        due->conn.on_timer(now);
        settle(*due, now);
    }
}

void connection_table::updated(connection_entry& entry, clock::time_point now) { settle(entry, now); }

void connection_table::release(connection_entry& entry, clock::time_point now) {
    entry.held = false;
    entry.user = nullptr;
    if (entry.conn.state() != tcp_state::closed) entry.conn.close(now);
    settle(entry, now);
}

// After anything happened to `entry`: its events go out, its deadline is re-filed, and a
// closed entry that nobody holds is freed.
void connection_table::settle(connection_entry& entry, clock::time_point now) {
    const connection_events events = entry.conn.take_events();
    if (entry.half_open && (events.established || entry.conn.state() == tcp_state::closed)) {
        listener& parent = *entry.parent;
        entry.half_open = false;
        --parent.half_open_;
        if (entry.conn.state() == tcp_state::closed) {
            entry.parent = nullptr;  // never established: nobody will accept it
        } else if (parent.accept_queue_full()) {
            ++parent.counters_.accept_queue_full;
            entry.parent = nullptr;
            entry.conn.abort(now);
        } else {
            entry.in_accept_queue = true;
            parent.ready_.push_back(&entry);
            if (parent.user_ != nullptr) parent.user_->on_acceptable();
        }
    }
    if (entry.user != nullptr && (events.established || events.readable || events.writable || events.closed)) {
        entry.user->on_events(events);
    }
    // TIME-WAIT is bounded: past max_time_wait a connection closes instead of waiting.
    if (entry.conn.state() == tcp_state::time_wait && !entry.counted_time_wait) {
        if (time_wait_ >= limits_.max_time_wait) {
            ++counters_.time_wait_overflow;
            entry.conn.abort(now);  // no segment leaves from TIME-WAIT: it just ends
        } else {
            entry.counted_time_wait = true;
            ++time_wait_;
        }
    }
    // A child that closed while queued for accept stays until accept() hands it over.
    if (entry.conn.state() == tcp_state::closed && !entry.held && !entry.in_accept_queue) return free(entry);
    timers_.set(entry, entry.conn.next_deadline());
}

void connection_table::free(connection_entry& entry) {
    timers_.remove(entry);
    if (entry.counted_time_wait) --time_wait_;
    if (entry.half_open) --entry.parent->half_open_;
    ++counters_.freed;
    freed_totals_ += entry.conn.counters();
    connections_.erase(entry.conn.tuple());
}

connection_counters connection_table::connection_totals() const noexcept {
    connection_counters totals = freed_totals_;
    for (const auto& [tuple, entry] : connections_) totals += entry->conn.counters();
    return totals;
}

}  // namespace sluice::net::tcp
