// One shard of sluice-load. Open loop: a min-heap of connections by the intended time of
// their next request; the dispatcher sends every request that is due, each turn, whatever
// the server is doing, and latency counts from the intended time (so a stall is measured
// in full: no coordinated omission). Closed loop: the next request leaves when an answer
// comes, and its intended time is when it left (as sockperf and wrk measure).
#include "apps/load/load_shard.hh"

#include <algorithm>
#include <functional>

#include "apps/load/workloads.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/net/rss.hh"

namespace sluice::load {

struct load_shard::connection {
    unsigned index = 0;  // in the whole run
    unsigned slot = 0;   // in this shard's connections_
    std::unique_ptr<workload> work;
    std::unique_ptr<net::udp_socket> udp;
    std::unique_ptr<net::tcp_socket> tcp;
    in_flight pending;
    arrival_schedule schedule;
    std::vector<std::byte> request;   // one request, built in place
    std::vector<std::byte> queued;    // TCP: requests the writer has not taken yet
    std::vector<std::byte> writing;   // TCP: what the writer is handing to the socket
    std::vector<std::byte> received;  // TCP: the start of an answer that has not all come
    std::vector<std::byte> datagram;  // UDP: a datagram's bytes when they span mbufs
    wake_signal writable;
    bool parked = false;  // out of the heap: --depth answers outstanding
    // Requests intended before this waited on the server (--depth was full until then):
    // their lateness is the server's, not the generator's lag.
    clock::time_point held_until{};
    bool closed = false;
    bool reconnecting = false;  // the server ended the stream; a successor is being opened

    connection(unsigned i, std::unique_ptr<workload> w, std::size_t depth, arrival_schedule s)
        : index(i), work(std::move(w)), pending(depth), schedule(s) {
        request.resize(work->max_request_size());
    }
};

namespace {

constexpr unsigned send_burst = 32;

constexpr auto earliest_first = [](const std::pair<clock::time_point, unsigned>& a,
                                   const std::pair<clock::time_point, unsigned>& b) { return a.first > b.first; };

}  // namespace

load_shard::load_shard(net::stack& host, const load_settings& settings, unsigned shard_index,
                       unsigned first_connection, unsigned count)
    : host_(host), settings_(settings), shard_index_(shard_index) {
    const double rate = settings.rate / double(settings.connections);
    for (unsigned i = 0; i < count; ++i) {
        const unsigned index = first_connection + i;
        auto made = make_workload(settings.workload);  // checked by main before the shards start
        // Each connection's constant schedule is shifted by its share of a gap, so the
        // shard's sends interleave; Poisson streams get their own seeds.
        arrival_schedule schedule(settings.arrivals, rate, clock::time_point{}, settings.seed * 1'000'003 + index,
                                  double(i) / double(count));
        connections_.push_back(std::make_unique<connection>(index, std::move(*made), settings.depth, schedule));
        connections_.back()->slot = i;
    }
}

load_shard::~load_shard() = default;

result<std::uint16_t> load_shard::local_udp_port(unsigned index) {
    const std::uint16_t hint = std::uint16_t(40000 + index % 20000);
    const net::flow_steering* steering = host_.active_open_steering();
    if (steering == nullptr) return hint;
    // Several shards: pick a port whose answers the NIC's RSS brings back to this shard.
    net::active_open open;
    open.local_addr = settings_.local_address.value;
    open.remote_addr = settings_.server.value;
    open.remote_port = settings_.server_port;
    open.range = {32768, 60999};
    open.start_hint = hint;
    auto unused = [&](std::uint16_t port) {
        return std::none_of(connections_.begin(), connections_.end(),
                            [&](const auto& c) { return c->udp && c->udp->local_port() == port; });
    };
    const auto port = net::choose_local_port_for_shard(steering->hasher, steering->table, steering->shard, open, unused);
    if (!port) return error{"no UDP port on shard " + std::to_string(shard_index_) + " steers answers back to it"};
    return *port;
}

task<result<void>> load_shard::open() {
    const std::string server = settings_.server.to_string() + ":" + std::to_string(settings_.server_port);
    for (auto& c : connections_) {
        if (c->work->transport() == transport::udp) {
            auto port = local_udp_port(c->index);
            if (!port) co_return port.failure();
            auto bound = net::udp_socket::bind(host_, *port, 4096);
            if (!bound) co_return bound.failure();
            c->udp = std::move(*bound);
            continue;
        }
        auto opened = co_await net::tcp_socket::connect(host_, settings_.server, settings_.server_port,
                                                        std::chrono::seconds(5));
        if (!opened) {
            co_return error{"connect to " + server + ": " + std::string(net::describe(opened.error())) +
                            "; is the server running and listening on that TCP port?"};
        }
        c->tcp = std::move(*opened);
    }
    co_return result<void>{};
}

void load_shard::start(clock::time_point start, double rate) {
    record_from_ = start + settings_.warmup;
    end_ = record_from_ + settings_.duration;
    stopping_ = false;
    tally_ = shard_tally();
    const double seconds = std::chrono::duration<double>(settings_.duration).count();
    const auto expected = std::uint64_t(rate * seconds * double(connections_.size()) / double(settings_.connections));
    tally_.latency_stride = tally_.gap_stride = std::max<std::uint64_t>(1, expected / shard_tally::max_sample);
    due_.clear();
    for (auto& c : connections_) {
        c->schedule = arrival_schedule(settings_.arrivals, rate / double(settings_.connections), start,
                                       settings_.seed * 1'000'003 + c->index,
                                       double(c->slot) / double(connections_.size()));
        c->parked = false;
        c->held_until = {};
        if (!settings_.closed_loop && !c->closed) due_.emplace_back(c->schedule.peek(), c->slot);
    }
    std::make_heap(due_.begin(), due_.end(), earliest_first);
    const auto spawn_counted = [this](task<void> work) {
        ++live_tasks_;
        spawn([](load_shard& self, task<void> inner) -> task<void> {
            co_await std::move(inner);
            --self.live_tasks_;
        }(*this, std::move(work)));
    };
    if (!readers_started_) {
        readers_started_ = true;
        for (auto& c : connections_) {
            if (c->udp) {
                spawn_counted(read_datagrams(*c));
            } else if (c->tcp) {
                spawn_counted(read_stream(*c));
                spawn_counted(write_stream(*c));
            }
        }
    }
    spawn_counted(dispatch());
}

bool load_shard::send_one(connection& c, clock::time_point intended, clock::time_point now) {
    const bool measured = intended >= record_from_;
    const std::size_t size = c.work->build_request(c.pending.next_sequence(), c.request);
    const std::span<const std::byte> bytes(c.request.data(), size);
    if (c.udp) {
        const net::send_status status = c.udp->send_to(settings_.server, settings_.server_port, bytes);
        // A full device queue or pool is the generator's own limit: the request stays due
        // and leaves late (schedule lag), instead of being lost.
        if (status == net::send_status::queue_full || status == net::send_status::no_mbufs) return false;
        if (status != net::send_status::sent) {
            if (measured) ++tally_.counts.send_failures, ++tally_.interval_errors;
            if (tally_.counts.send_failures == 1) tally_.note_problem("a send failed: " + std::string(net::describe(status)));
            return true;
        }
    } else {
        c.queued.insert(c.queued.end(), bytes.begin(), bytes.end());
        c.writable.raise();
    }
    c.pending.push(intended);
    if (measured) ++tally_.counts.sent;
    // A request that waited for --depth left late because of the server: not our lag.
    tally_.record_send(now, now - intended, measured && intended >= c.held_until);
    return true;
}

task<void> load_shard::dispatch() {
    clock::time_point next_expiry{};
    if (settings_.closed_loop) {
        const clock::time_point now = clock::now();
        for (auto& c : connections_) {
            for (unsigned i = 0; i < settings_.depth && !c->closed; ++i) send_one(*c, now, now);
        }
    }
    while (!stopping_) {
        const clock::time_point now = clock::now();
        if (now >= end_) break;
        // At most a burst a turn: the transmit stage runs between bursts, so a backlog (after
        // the generator was descheduled) drains through the device queue, not into its overflow.
        unsigned sent_this_turn = 0;
        while (!due_.empty() && due_.front().first <= now && sent_this_turn++ < send_burst) {
            std::pop_heap(due_.begin(), due_.end(), earliest_first);
            const unsigned which = due_.back().second;
            due_.pop_back();
            connection& c = *connections_[which];
            if (c.closed) continue;
            if (c.reconnecting || c.pending.full(settings_.depth)) {
                c.parked = true;  // its reader puts it back when an answer comes
                ++tally_.counts.held_back;
                continue;
            }
            if (!send_one(c, c.schedule.peek(), now)) {
                due_.emplace_back(c.schedule.peek(), which);  // still due; try again next turn
                std::push_heap(due_.begin(), due_.end(), earliest_first);
                break;
            }
            c.schedule.next();
            if (c.schedule.peek() < end_) {
                due_.emplace_back(c.schedule.peek(), which);
                std::push_heap(due_.begin(), due_.end(), earliest_first);
            }
        }
        if (now >= next_expiry) {
            expire_lost_datagrams(now);
            next_expiry = now + std::chrono::milliseconds(1);
        }
        co_await yield();
    }
}

void load_shard::requeue(connection& c) {
    if (!c.parked || c.closed || c.reconnecting || c.pending.full(settings_.depth)) return;
    c.parked = false;
    c.held_until = clock::now();
    if (c.schedule.peek() >= end_) return;
    due_.emplace_back(c.schedule.peek(), c.slot);
    std::push_heap(due_.begin(), due_.end(), earliest_first);
}

void load_shard::answered(connection& c, clock::time_point intended, bool failed, clock::time_point now) {
    if (intended >= record_from_) {
        ++tally_.counts.completed;
        if (failed) ++tally_.counts.failed, ++tally_.interval_errors;
        tally_.record_latency(now - intended);
    }
    if (settings_.closed_loop) {
        if (!stopping_ && now < end_ && !c.closed) send_one(c, now, now);
    } else {
        requeue(c);
    }
}

void load_shard::count_error(std::string problem) {
    ++tally_.interval_errors;
    tally_.note_problem(std::move(problem));
}

// UDP: a request unanswered for --timeout is lost; closed loop sends another in its place.
void load_shard::expire_lost_datagrams(clock::time_point now) {
    for (auto& c : connections_) {
        if (!c->udp) continue;
        while (!c->pending.empty() && c->pending.oldest().intended + settings_.timeout <= now) {
            if (c->pending.oldest().intended >= record_from_) ++tally_.counts.timeouts, ++tally_.interval_errors;
            c->pending.pop_oldest();
            if (settings_.closed_loop && now < end_) send_one(*c, now, now);
        }
        if (!settings_.closed_loop) requeue(*c);
    }
}

task<void> load_shard::read_datagrams(connection& c) {
    for (;;) {
        auto got = co_await c.udp->recv_from();
        if (!got) co_return;  // closed at the end
        const net::buffer& payload = got->payload;
        std::span<const std::byte> bytes;
        if (auto whole = payload.contiguous(0, payload.size())) {
            bytes = *whole;
        } else {
            c.datagram.resize(payload.size());
            bytes = std::span(c.datagram.data(), payload.copy_out(0, c.datagram));
        }
        const auto sequence = c.work->answered_sequence(bytes);
        if (!sequence) {
            ++tally_.counts.malformed;
            count_error("a " + std::to_string(bytes.size()) + "-byte datagram that answers no request of " +
                        std::string(c.work->name()));
            continue;
        }
        const in_flight::entry* entry = c.pending.answer(*sequence);
        if (entry == nullptr) {
            ++tally_.counts.late_answers;
            continue;
        }
        const clock::time_point intended = entry->intended;
        c.pending.drop_answered();
        answered(c, intended, false, got->received_at != clock::time_point{} ? got->received_at : clock::now());
    }
}

task<void> load_shard::read_stream(connection& c) {
    while (!c.closed) {
        auto got = co_await c.tcp->read_some();
        if (!got || got->empty()) {
            if (stopping_ || c.closed) co_return;
            // A server may close a kept-alive connection (nginx after keepalive_requests) or
            // reset it: open another, so the schedule goes on.
            const std::string why = got ? "the server closed it" : std::string(net::describe(got.error()));
            if (!co_await reconnect(c, why)) co_return;
            continue;
        }
        const clock::time_point now = clock::now();
        bool server_closes = false;
        for (const net::fragment& piece : got->fragments()) {
            // Answers are matched in the received mbufs themselves; only a partial answer at
            // the end of a piece is copied aside, to be joined with what comes next.
            std::span<const std::byte> bytes(piece.data(), piece.size());
            if (!c.received.empty()) {
                c.received.insert(c.received.end(), bytes.begin(), bytes.end());
                bytes = c.received;
            }
            const auto used = match_answers(c, bytes, now, server_closes);
            if (!used) co_return;  // framing lost; the connection is closed
            if (bytes.data() == c.received.data()) {
                c.received.erase(c.received.begin(), c.received.begin() + std::ptrdiff_t(*used));
            } else {
                c.received.assign(bytes.begin() + std::ptrdiff_t(*used), bytes.end());
            }
            if (server_closes) break;
        }
        if (server_closes && !stopping_ && !c.closed) {
            if (!co_await reconnect(c, "the server said Connection: close")) co_return;
        }
    }
}

// The whole answers at the front of `bytes`, matched with the oldest requests: how many
// bytes they took, or nothing when the stream's framing is lost (then the connection is
// closed: nothing after a bad answer can be matched).
std::optional<std::size_t> load_shard::match_answers(connection& c, std::span<const std::byte> bytes,
                                                     clock::time_point now, bool& server_closes) {
    std::size_t used = 0;
    while (used < bytes.size() && !server_closes) {
        const std::span<const std::byte> rest = bytes.subspan(used);
        const response_scan scan = c.work->scan_response(rest);
        if (scan.result == response_scan::outcome::incomplete) break;
        if (scan.result == response_scan::outcome::malformed || c.pending.empty()) {
            ++tally_.counts.malformed;
            count_error("connection " + std::to_string(c.index) + ": " +
                        (c.pending.empty() ? std::string("an answer with no request outstanding") : scan.problem));
            c.closed = true;
            c.writable.raise();
            c.tcp->abort();
            return std::nullopt;
        }
        server_closes = c.work->closes_after(rest.first(scan.length));
        used += scan.length;
        const clock::time_point intended = c.pending.oldest().intended;
        c.pending.pop_oldest();
        answered(c, intended, scan.failed, now);
    }
    return used;
}

// Opens a successor for a stream the server ended. Requests the old one still owed go
// again, in order, keeping their intended times: their latency includes the reconnect.
task<bool> load_shard::reconnect(connection& c, std::string why) {
    c.reconnecting = true;
    ++tally_.counts.reconnects;
    if (tally_.counts.reconnects <= 3) tally_.note_problem("connection " + std::to_string(c.index) + ": " + why + "; reconnected");
    c.received.clear();
    c.queued.clear();
    c.tcp.reset();  // its waiting writer resumes with `closed` and leaves the stream to us
    while (!stopping_ && !c.closed) {
        auto opened = co_await net::tcp_socket::connect(host_, settings_.server, settings_.server_port,
                                                        std::chrono::seconds(1));
        if (stopping_ || c.closed) co_return false;  // the run ended meanwhile; `opened` closes
        if (opened) {
            c.tcp = std::move(*opened);
            break;
        }
        ++tally_.counts.connection_errors;
        count_error("connection " + std::to_string(c.index) + ": reconnect: " + std::string(net::describe(opened.error())));
        co_await sleep_for(std::chrono::milliseconds(100));
    }
    if (!c.tcp) co_return false;
    c.pending.for_each([&](const in_flight::entry& owed) {
        const std::size_t size = c.work->build_request(owed.sequence, c.request);
        c.queued.insert(c.queued.end(), c.request.begin(), c.request.begin() + std::ptrdiff_t(size));
        ++tally_.counts.resent;
    });
    c.reconnecting = false;
    c.writable.raise();
    requeue(c);
    co_return true;
}

task<void> load_shard::write_stream(connection& c) {
    for (;;) {
        co_await c.writable.wait();
        while (!c.closed && !c.reconnecting && !c.queued.empty()) {
            std::swap(c.writing, c.queued);
            c.queued.clear();
            auto written = co_await c.tcp->write_all(c.writing);
            if (!written && !c.reconnecting && !stopping_ && !c.closed) {
                // A failed write while reading goes on is the reader's to handle (it sees
                // the same end of stream); nothing more can be written on this socket.
                ++tally_.counts.connection_errors;
                count_error("connection " + std::to_string(c.index) + ": " + std::string(net::describe(written.error())));
            }
        }
        if (c.closed) co_return;
    }
}

task<void> load_shard::drain() {
    // Answers may come until the grace ends; the dispatcher has stopped sending at end_.
    const clock::time_point grace_end = end_ + std::min<clock::duration>(settings_.timeout, std::chrono::seconds(2));
    auto outstanding = [&] {
        std::size_t waiting = 0;
        for (auto& c : connections_) waiting += c->closed ? 0 : c->pending.size();
        return waiting;
    };
    while (clock::now() < grace_end && outstanding() != 0) {
        expire_lost_datagrams(clock::now());
        co_await sleep_for(std::chrono::microseconds(100));
    }
    tally_.counts.scheduled += tally_.counts.sent + tally_.counts.send_failures;
    for (auto& c : connections_) {
        // What is still waiting was never answered (a request sent in the warm-up is not counted).
        const bool stream_out_of_step = c->tcp && !c->pending.empty();
        while (!c->pending.empty()) {
            if (!c->pending.oldest().answered && c->pending.oldest().intended >= record_from_) {
                ++tally_.counts.unanswered;
            }
            c->pending.pop_oldest();
        }
        // Intended before the end but never sent: the generator (or --depth) fell behind.
        while (c->schedule.peek() < end_ && !settings_.closed_loop) {
            if (c->schedule.next() >= record_from_) {
                ++tally_.counts.scheduled;
                if (!c->parked) ++tally_.counts.unsent;
            }
        }
        // A late answer on this stream would be taken for the next request's: close it.
        if (stream_out_of_step && !c->closed) {
            c->closed = true;
            c->writable.raise();
            c->tcp->abort();
        }
    }
}

task<void> load_shard::close() {
    stopping_ = true;
    for (auto& c : connections_) {
        c->closed = true;
        c->writable.raise();
        if (c->udp) c->udp->close();
        if (c->tcp) c->tcp->close();
    }
    // A reconnect in progress ends within its connect timeout (1 s).
    const clock::time_point give_up = clock::now() + std::chrono::seconds(3);
    while (live_tasks_ != 0 && clock::now() < give_up) co_await sleep_for(std::chrono::milliseconds(1));
}

metrics::hdr_histogram load_shard::take_interval_lag() {
    metrics::hdr_histogram taken = make_latency_histogram();
    std::swap(taken, tally_.interval_lag);
    return taken;
}

metrics::hdr_histogram load_shard::take_interval() {
    metrics::hdr_histogram taken = make_latency_histogram();
    std::swap(taken, tally_.interval);
    return taken;
}

}  // namespace sluice::load
