// tcp_connection_fuzz: one net::tcp::connection driven by a sequence of events decoded from
// the input: segments from the peer, timers, and the application's write, read, shutdown,
// close and abort, with the clock moving between them.
//
// Decoding (every read past the input's end gives zeros):
//   setup: flags (bit 0 passive: accept_syn, else open; 1 window scale; 2 timestamps;
//          3 SACK; 4 Nagle; 5 no delayed ACK; 6 CUBIC, else NewReno; 7 keepalive), buffer
//          sizes (send 2^(10+b&7), receive 2^(10+b>>3&7)), our MSS (2 bytes), our ISS and
//          the peer's (4 bytes each); passive: the SYN's options byte and its fields.
//   then steps, up to 256: an opcode byte; its low 3 bits pick the event, its high 5 bits
//   move the clock 2^(n-1) microseconds first (the timers due then run, as the loop runs
//   them). A segment: flags, a sequence number relative to RCV.NXT (or the peer's ISS
//   before its SYN is known) and an acknowledgment relative to SND.UNA or SND.NXT, both
//   as small or large signed offsets or raw values, a window, a payload length, options
//   (timestamps, SACK blocks relative to SND.UNA, MSS, window scale, SACK-permitted).
//   Payload bytes are a function of their sequence number, as are the bytes we write.
// Checked after every step, aborting on a break:
// - the state is one of the eleven, never LISTEN; SND.UNA <= SND.NXT (mod 2^32);
// - readable() <= the receive capacity, and RCV.NXT - (IRS + 1) is what was read plus
//   readable() (plus one once the peer's FIN is in), so no byte is lost or made up;
// - each byte read is the byte the peer sent at its sequence number;
// - next_deadline() is never before now, and after on_timer(now) it is after now;
// - no segment reaches the sink whose sequence passes what was ever queued (SYN, the bytes
//   written, FIN once asked for); its payload is the bytes written at those numbers; a SYN
//   carries our ISS, a FIN comes only after shutdown or close; nothing is sent in CLOSED;
// - once the connection is destroyed every mbuf is back in the pool.
// Run: tools/fuzz, or build-fuzz/tests/fuzz/tcp_connection_fuzz CORPUS_DIR (libFuzzer flags);
// SLUICE_FUZZ_TRACE=1 build-fuzz/tests/fuzz/tcp_connection_fuzz INPUT prints each step.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/net/buffer.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/packet_pool.hh"
#include "sluice/net/tcp/connection.hh"
#include "sluice/net/tcp/segment.hh"
#include "sluice/net/tcp/state.hh"
#include "tests/fuzz/fuzz_support.hh"

namespace {

using namespace sluice;
using namespace sluice::net;
using namespace sluice::net::tcp;

constexpr std::size_t max_steps = 256;
constexpr clock::time_point never = clock::time_point::max();

// The byte at sequence number s: the peer's, and ours (different, so a mix-up shows).
std::byte peer_byte(seq s) { return std::byte(s.value % 251); }
std::byte our_byte(seq s) { return std::byte((s.value * 7u + 3u) % 253u); }

struct recording_sink final : segment_sink {
    std::deque<outgoing_segment> sent;
    void send(const four_tuple&, outgoing_segment&& out, clock::time_point) override { sent.push_back(std::move(out)); }
};

class driver {
public:
    driver(fuzz::input_reader& in, recording_sink& sink) : in_(in), sink_(sink) {}

    void run() {
        setup();
        for (std::size_t step = 0; step < max_steps && !in_.empty(); ++step) {
            const std::uint8_t op = in_.u8();
            if (const unsigned shift = op >> 3; shift != 0) advance(std::chrono::microseconds(std::uint64_t(1) << (shift - 1)));
            const tcp_state before = conn_->state();
            switch (op & 7) {
                case 0:
                case 1:
                case 2: deliver_segment(); break;
                case 3: fire_timer(); break;
                case 4: write(); break;
                case 5: read(); break;
                case 6: close_in_some_way(); break;
                case 7: path_mtu(); break;
            }
            check(before);
            if (trace_) {
                std::fprintf(stderr, "step %zu op %u: %s -> %s, SND.UNA %u SND.NXT %u RCV.NXT %u, readable %zu, written %u, read %u\n",
                             step, unsigned(op & 7), std::string(to_string(before)).c_str(),
                             std::string(to_string(conn_->state())).c_str(), conn_->send_unacknowledged().value,
                             conn_->send_next().value, conn_->receive_next().value, conn_->readable(), written_, read_);
            }
        }
    }

private:
    void setup() {
        const std::uint8_t flags = in_.u8();
        const std::uint8_t sizes = in_.u8();
        options_.window_scale = (flags & 0x02) != 0;
        options_.timestamps = (flags & 0x04) != 0;
        options_.sack = (flags & 0x08) != 0;
        options_.nodelay = (flags & 0x10) == 0;
        options_.delayed_ack = (flags & 0x20) == 0;
        options_.congestion = (flags & 0x40) != 0 ? congestion_algorithm::cubic : congestion_algorithm::newreno;
        options_.keepalive = (flags & 0x80) != 0;
        options_.keepalive_idle = std::chrono::seconds(10);
        options_.keepalive_interval = std::chrono::seconds(1);
        options_.time_wait = std::chrono::seconds(2);
        options_.send_buffer = std::size_t(1) << (10 + (sizes & 7));
        options_.receive.capacity = std::size_t(1) << (10 + ((sizes >> 3) & 7));
        options_.receive.max_out_of_order_segments = 8;
        options_.mss = std::uint16_t(std::clamp<unsigned>(in_.u16(), 64, 9000));
        iss_ = seq(in_.u32());
        peer_iss_ = seq(in_.u32());
        conn_ = std::make_unique<connection>(four_tuple{wire::ipv4_address{0xc6120001u}, 80, wire::ipv4_address{0xc6130001u}, 40000},
                                             options_, sink_);
        if ((flags & 0x01) != 0) {
            segment syn;
            syn.sequence = peer_iss_;
            syn.flags = wire::tcp_syn;
            syn.window = in_.u16();
            syn.options = decode_options(in_.u8());
            conn_->accept_syn(syn, iss_, now_);
            irs_ = peer_iss_;
        } else {
            conn_->open(iss_, now_);
        }
        check(tcp_state::listen);  // an OPEN call: it may send from CLOSED, as a listener would

    }

    // The options byte: bit 0 timestamps, bits 1-3 SACK blocks (0-4), 4 MSS, 5 window
    // scale, 6 SACK-permitted; their values follow in the input.
    wire::tcp_options decode_options(std::uint8_t which) {
        wire::tcp_options options;
        if ((which & 0x01) != 0) {
            peer_timestamp_ += in_.u8();
            options.timestamps = wire::tcp_timestamps{peer_timestamp_, in_.u32()};
        }
        options.sack_count = std::uint8_t(std::min<unsigned>((which >> 1) & 7, wire::tcp_options::max_sack_blocks));
        for (std::size_t b = 0; b < options.sack_count; ++b) {
            const seq left = conn_ ? conn_->send_unacknowledged() + in_.u16() : seq(in_.u32());
            options.sack[b] = {left.value, (left + in_.u16()).value};
        }
        if ((which & 0x10) != 0) options.mss = in_.u16();
        if ((which & 0x20) != 0) options.window_scale = in_.u8();
        options.sack_permitted = (which & 0x40) != 0;
        return options;
    }

    // A sequence number near `base`: a small or large signed offset, or any value.
    seq near(seq base) {
        const std::uint8_t how = in_.u8();
        switch (how & 3) {
            case 0: return base + std::uint32_t(std::int32_t(std::int8_t(how)) >> 2);
            case 1: return base + std::uint32_t(std::int32_t(std::int16_t(in_.u16())));
            case 2: return base + std::uint32_t(std::int32_t(std::int16_t(in_.u16())) * 1024);
            default: return seq(in_.u32());
        }
    }

    void deliver_segment() {
        if (conn_->state() == tcp_state::closed) return;  // the table frees it: no segment reaches it
        segment s;
        s.flags = in_.u8();
        const bool peer_known = irs_.has_value();
        s.sequence = near(peer_known ? conn_->receive_next() : peer_iss_);
        const std::uint8_t ack_base = in_.u8();
        s.acknowledgment = near((ack_base & 1) != 0 ? conn_->send_next() : conn_->send_unacknowledged());
        s.window = in_.u16();
        const std::size_t length = in_.u16() % 4097;
        s.options = decode_options(in_.u8());
        if (length != 0) {
            const seq data_start = s.sequence + ((s.flags & wire::tcp_syn) != 0 ? 1 : 0);
            std::vector<std::byte> bytes(length);
            for (std::size_t i = 0; i < length; ++i) bytes[i] = peer_byte(data_start + std::uint32_t(i));
            auto made = packet::copy_of(bytes);
            SLUICE_FUZZ_CHECK(made.ok(), "no mbufs for a %zu-byte payload", length);
            s.payload = std::move(*made).into_buffer();
        }
        const tcp_state before = conn_->state();
        const seq syn_at = s.sequence;
        const bool syn = (s.flags & wire::tcp_syn) != 0;
        conn_->on_segment(std::move(s), now_);
        // The peer's ISS is known once its SYN took us out of SYN-SENT.
        if (!irs_ && before == tcp_state::syn_sent && syn &&
            (conn_->state() == tcp_state::syn_received || is_synchronized(conn_->state()))) {
            irs_ = syn_at;
        }
    }

    void fire_timer() {
        const clock::time_point due = conn_->next_deadline();
        if (due == never || conn_->state() == tcp_state::closed) return;
        now_ = std::max(now_, due);
        run_timers();
    }

    void advance(clock::duration by) {
        now_ += by;
        if (conn_->state() != tcp_state::closed) run_timers();
    }

    // Every timer due by now, as the loop runs them; each run must push the deadline on.
    void run_timers() {
        while (conn_->next_deadline() <= now_ && conn_->state() != tcp_state::closed) {
            const tcp_state before = conn_->state();
            conn_->on_timer(now_);
            check(before);
            SLUICE_FUZZ_CHECK(conn_->next_deadline() > now_ || conn_->state() == tcp_state::closed,
                              "next_deadline %lld ns is not after now %lld ns after on_timer",
                              static_cast<long long>(conn_->next_deadline().time_since_epoch().count()),
                              static_cast<long long>(now_.time_since_epoch().count()));
        }
    }

    void write() {
        const std::size_t n = in_.u16() % 8193;
        std::vector<std::byte> bytes(n);
        for (std::size_t i = 0; i < n; ++i) bytes[i] = our_byte(iss_ + 1 + written_ + std::uint32_t(i));
        const auto taken = conn_->write(bytes, now_);
        SLUICE_FUZZ_CHECK(taken.ok(), "write failed: %s", std::string(describe(taken.error())).c_str());
        SLUICE_FUZZ_CHECK(*taken <= n, "write took %zu of %zu bytes", *taken, n);
        SLUICE_FUZZ_CHECK(*taken == 0 || !fin_asked_, "write took %zu bytes after shutdown", *taken);
        written_ += std::uint32_t(*taken);
    }

    void read() {
        const std::size_t max = in_.u16();
        const buffer got = conn_->read(max, now_);
        SLUICE_FUZZ_CHECK(got.size() <= max, "read %zu bytes, asked for at most %zu", got.size(), max);
        if (got.empty()) return;
        SLUICE_FUZZ_CHECK(irs_.has_value(), "read %zu bytes before the peer's SYN", got.size());
        std::vector<std::byte> bytes(got.size());
        SLUICE_FUZZ_CHECK(got.copy_out(0, bytes) == bytes.size(), "copy_out short");
        const seq first = *irs_ + 1 + read_;
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            SLUICE_FUZZ_CHECK(bytes[i] == peer_byte(first + std::uint32_t(i)), "byte %zu of a read (sequence %u) is wrong", i,
                              (first + std::uint32_t(i)).value);
        }
        read_ += std::uint32_t(bytes.size());
    }

    void close_in_some_way() {
        const tcp_state state = conn_->state();
        // A FIN is ours to send once asked for in a state that still sends.
        switch (in_.u8() % 4) {
            case 0:
                if (state != tcp_state::closed) fin_asked_ = true;
                conn_->shutdown_send(now_);
                break;
            case 1:
                if (state != tcp_state::closed) fin_asked_ = true;
                conn_->close(now_);
                break;
            case 2: conn_->abort(now_); break;
            default: conn_->set_keepalive(!conn_->options().keepalive, now_); break;
        }
    }

    void path_mtu() {
        const std::uint16_t mtu = in_.u16();
        const seq quoted = conn_->send_unacknowledged() + in_.u16();
        if (conn_->state() != tcp_state::closed) conn_->on_path_mtu(mtu, quoted, now_);
    }

    void check(tcp_state before) {
        const connection& c = *conn_;
        const tcp_state state = c.state();
        SLUICE_FUZZ_CHECK(std::uint8_t(state) <= std::uint8_t(tcp_state::time_wait) && state != tcp_state::listen,
                          "state %u", unsigned(state));
        check_sent(before);
        if (state == tcp_state::closed) return;
        SLUICE_FUZZ_CHECK(c.send_next() - c.send_unacknowledged() >= 0, "SND.UNA %u is past SND.NXT %u",
                          c.send_unacknowledged().value, c.send_next().value);
        SLUICE_FUZZ_CHECK(c.send_next() - (iss_ + 1 + written_ + (fin_asked_ ? 1 : 0)) <= 0,
                          "SND.NXT %u is past what was queued (ISS %u, %u written, FIN %d)", c.send_next().value,
                          iss_.value, written_, int(fin_asked_));
        SLUICE_FUZZ_CHECK(c.readable() <= options_.receive.capacity, "readable %zu over the capacity %zu", c.readable(),
                          options_.receive.capacity);
        SLUICE_FUZZ_CHECK(c.unsent_or_unacknowledged() <= options_.send_buffer, "send buffer holds %zu of %zu",
                          c.unsent_or_unacknowledged(), options_.send_buffer);
        if (irs_) {
            const std::int64_t in_order = c.receive_next() - (*irs_ + 1);
            const std::int64_t accounted = std::int64_t(read_) + std::int64_t(c.readable());
            SLUICE_FUZZ_CHECK(in_order == accounted || in_order == accounted + 1,
                              "RCV.NXT is %lld past IRS + 1, but %u bytes were read and %zu are readable",
                              static_cast<long long>(in_order), read_, c.readable());
        }
        SLUICE_FUZZ_CHECK(c.next_deadline() >= now_, "next_deadline is in the past");
    }

    // Every segment sent since the last check.
    void check_sent(tcp_state before) {
        const seq queued_end = iss_ + 1 + written_ + (fin_asked_ ? 1 : 0);
        while (!sink_.sent.empty()) {
            const outgoing_segment out = std::move(sink_.sent.front());
            sink_.sent.pop_front();
            SLUICE_FUZZ_CHECK(before != tcp_state::closed, "a segment (flags 0x%02x) sent in CLOSED", unsigned(out.flags));
            SLUICE_FUZZ_CHECK(out.options.length() <= wire::tcp_options::max_length, "options of %zu bytes",
                              out.options.length());
            if (out.has(wire::tcp_rst)) {
                // A reset takes its number from the segment it answers (RFC 9293 3.10.7.1).
                SLUICE_FUZZ_CHECK(out.payload.empty(), "a reset carries %zu bytes", out.payload.size());
                continue;
            }
            if (out.has(wire::tcp_syn)) SLUICE_FUZZ_CHECK(out.sequence == iss_, "a SYN at %u, ISS %u", out.sequence.value, iss_.value);
            if (out.has(wire::tcp_fin)) SLUICE_FUZZ_CHECK(fin_asked_, "a FIN nobody asked for");
            const seq end = out.sequence + out.length();
            SLUICE_FUZZ_CHECK(end - queued_end <= 0,
                              "a segment [%u, %u) (flags 0x%02x) passes what was queued, up to %u", out.sequence.value,
                              end.value, unsigned(out.flags), queued_end.value);
            // A keepalive probe (RFC 1122 4.2.3.6) is an empty ACK at SND.UNA - 1 on purpose: ISS - 1
            // while our SYN is unacknowledged (FIN-WAIT-1 entered from SYN-RECEIVED).
            const bool probe = out.flags == wire::tcp_ack && out.payload.empty() &&
                               out.sequence == conn_->send_unacknowledged() - 1;
            SLUICE_FUZZ_CHECK(end - iss_ >= 0 || probe, "a segment [%u, %u) before the ISS %u", out.sequence.value,
                              end.value, iss_.value);
            if (out.payload.empty()) continue;
            std::vector<std::byte> bytes(out.payload.size());
            SLUICE_FUZZ_CHECK(out.payload.copy_out(0, bytes) == bytes.size(), "copy_out short");
            const seq first = out.sequence + (out.has(wire::tcp_syn) ? 1 : 0);
            for (std::size_t i = 0; i < bytes.size(); ++i) {
                SLUICE_FUZZ_CHECK(bytes[i] == our_byte(first + std::uint32_t(i)), "sent byte at sequence %u is wrong",
                                  (first + std::uint32_t(i)).value);
            }
        }
    }

    fuzz::input_reader& in_;
    recording_sink& sink_;
    connection_options options_;
    std::unique_ptr<connection> conn_;
    clock::time_point now_ = clock::time_point(std::chrono::seconds(1000));
    seq iss_;
    seq peer_iss_;
    std::optional<seq> irs_;         // the peer's ISS, once the connection took its SYN
    std::uint32_t written_ = 0;      // bytes write() took
    std::uint32_t read_ = 0;         // bytes read() returned
    bool fin_asked_ = false;         // shutdown_send or close called before CLOSED
    std::uint32_t peer_timestamp_ = 1;
    const bool trace_ = std::getenv("SLUICE_FUZZ_TRACE") != nullptr;  // a line per step, to read a crash's input
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::start_eal_once("tcp_connection_fuzz");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    net::packet_pool& pool = fuzz::start_eal_once("tcp_connection_fuzz");
    {
        recording_sink sink;
        fuzz::input_reader in({data, size});
        driver(in, sink).run();
    }
    SLUICE_FUZZ_CHECK(pool.available() == pool.capacity(), "%u mbufs not returned after the connection was destroyed",
                      pool.capacity() - pool.available());
    return 0;
}
