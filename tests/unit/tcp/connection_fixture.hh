// The fixture of the TCP core's specification suites: one connection, a sink that records
// what it sends, a virtual clock, and a peer spelled out segment by segment. `send(...)`
// delivers a segment to the connection; `expect_sent(...)` takes the next segment it sent
// and checks it; failures point at the test's line (source_location). Factories put the
// connection in each state of RFC 9293 3.3.2. Needs EAL (mbufs): the suite's main starts it.
#pragma once

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "sluice/core/clock.hh"
#include "sluice/core/source_location.hh"
#include "sluice/net/tcp/connection.hh"
#include "sluice/net/tcp/segment.hh"
#include "tests/unit/tcp/tcp_test_support.hh"

// GCC 12 warns about members a designated initializer leaves out even when they have
// defaults (fixed in GCC 13); `expected{.flags = ack}` is the point of the type.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif

namespace sluice::net::tcp::testing {

using namespace std::chrono_literals;

inline constexpr std::uint8_t fin = wire::tcp_fin;
inline constexpr std::uint8_t syn = wire::tcp_syn;
inline constexpr std::uint8_t rst = wire::tcp_rst;
inline constexpr std::uint8_t psh = wire::tcp_psh;
inline constexpr std::uint8_t ack = wire::tcp_ack;

inline std::string flag_names(std::uint8_t flags) {
    std::string out;
    if (flags & syn) out += "S";
    if (flags & fin) out += "F";
    if (flags & rst) out += "R";
    if (flags & psh) out += "P";
    if (flags & ack) out += ".";
    return out.empty() ? "none" : out;
}

struct recording_sink final : segment_sink {
    std::deque<outgoing_segment> sent;
    void send(const four_tuple&, outgoing_segment&& out, clock::time_point) override { sent.push_back(std::move(out)); }
};

// What a test expects of a sent segment; unset fields are not checked.
struct expected {
    std::uint8_t flags = 0;
    std::optional<seq> sequence;
    std::optional<seq> acknowledgment;
    std::optional<std::size_t> length;  // payload bytes
    std::optional<std::uint16_t> window;
};

struct connection_fixture {
    static constexpr std::uint32_t our_iss = 1000;
    static constexpr std::uint32_t peer_iss = 5000;
    static constexpr std::uint16_t peer_mss = 1460;

    test_pool pool{2047};
    connection_options options;
    recording_sink sink;
    std::unique_ptr<connection> tcp;
    clock::time_point now = clock::time_point(1000s);
    four_tuple tuple{wire::ipv4_address{0xc6120001u}, 40000, wire::ipv4_address{0xc6130001u}, 80};

    // The peer's side of the sequence space, as a test script keeps it.
    seq peer_next{peer_iss + 1};  // the next sequence number the peer sends
    seq our_next{our_iss + 1};    // what the peer acknowledges

    connection_fixture() {
        options.congestion = congestion_algorithm::newreno;
        // Each topic suite scripts one mechanism; loss_probe_test.cc turns the probe on.
        options.tail_loss_probe = false;
    }

    connection& make(const connection_options& chosen) {
        tcp = std::make_unique<connection>(tuple, chosen, sink);
        return *tcp;
    }
    connection& make() { return make(options); }

    // --- the peer's segments ------------------------------------------------------------
    segment peer(std::uint8_t flags, std::size_t length = 0, std::uint16_t window = 65535) const {
        segment s;
        s.sequence = peer_next;
        s.acknowledgment = our_next;
        s.flags = flags;
        s.window = window;
        if (length > 0) s.payload = payload(peer_next, length);
        return s;
    }
    void send(segment s) { tcp->on_segment(std::move(s), now); }
    // The peer sends `length` bytes in order (and FIN when asked) and moves its counter.
    void send_data(std::size_t length, std::uint8_t extra_flags = 0, std::uint16_t window = 65535) {
        send(peer(ack | extra_flags, length, window));
        peer_next += std::uint32_t(length) + ((extra_flags & fin) ? 1 : 0);
    }
    void send_ack_of(seq acknowledged, std::uint16_t window = 65535) {
        segment s = peer(ack, 0, window);
        s.acknowledgment = acknowledged;
        send(std::move(s));
    }

    // --- what the connection sent -------------------------------------------------------
    outgoing_segment expect_sent(const expected& want, sluice::source_location where = sluice::source_location::current()) {
        const std::string at = std::string(" (test line ") + std::to_string(where.line()) + ")";
        BOOST_REQUIRE_MESSAGE(!sink.sent.empty(), "nothing was sent" << at);
        outgoing_segment got = std::move(sink.sent.front());
        sink.sent.pop_front();
        BOOST_CHECK_MESSAGE(got.flags == want.flags,
                            "flags " << flag_names(got.flags) << ", expected " << flag_names(want.flags) << at);
        if (want.sequence) {
            BOOST_CHECK_MESSAGE(got.sequence == *want.sequence,
                                "sequence " << got.sequence.value << ", expected " << want.sequence->value << at);
        }
        if (want.acknowledgment) {
            BOOST_CHECK_MESSAGE(got.acknowledgment == *want.acknowledgment, "acknowledgment " << got.acknowledgment.value
                                                                                              << ", expected "
                                                                                              << want.acknowledgment->value
                                                                                              << at);
        }
        if (want.length) {
            BOOST_CHECK_MESSAGE(got.payload.size() == *want.length,
                                "payload " << got.payload.size() << " bytes, expected " << *want.length << at);
        }
        if (want.window) {
            BOOST_CHECK_MESSAGE(got.window == *want.window, "window " << got.window << ", expected " << *want.window << at);
        }
        return got;
    }
    void expect_nothing_sent(sluice::source_location where = sluice::source_location::current()) {
        BOOST_CHECK_MESSAGE(sink.sent.empty(), "sent " << sink.sent.size() << " segment(s), first "
                                                       << (sink.sent.empty() ? "" : flag_names(sink.sent.front().flags))
                                                       << " (test line " << where.line() << ")");
        sink.sent.clear();
    }

    // Moves the clock and runs the connection's timer when it is due (as the loop does).
    void advance(clock::duration by) {
        const clock::time_point until = now + by;
        while (tcp->next_deadline() <= until) {
            now = std::max(now, tcp->next_deadline());
            tcp->on_timer(now);
        }
        now = until;
    }

    // --- states -------------------------------------------------------------------------
    // Active open up to ESTABLISHED: SYN, SYN-ACK (MSS 1460 and the options asked for), ACK.
    void make_established(const connection_options& chosen, bool peer_options = true) {
        make(chosen);
        tcp->open(seq(our_iss), now);
        expect_sent({.flags = syn, .sequence = seq(our_iss)});
        segment synack = peer(syn | ack);
        synack.sequence = seq(peer_iss);
        synack.acknowledgment = seq(our_iss + 1);
        synack.options.mss = peer_mss;
        if (peer_options) {
            synack.options.window_scale = 7;
            synack.options.sack_permitted = true;
            synack.options.timestamps = wire::tcp_timestamps{100, 0};
        }
        send(std::move(synack));
        expect_sent({.flags = ack, .sequence = seq(our_iss + 1), .acknowledgment = seq(peer_iss + 1)});
        BOOST_REQUIRE(tcp->state() == tcp_state::established);
        tcp->take_events();
    }
    // An active open from `iss` with the plainest options whose SYN timed out `timeouts`
    // times before the SYN-ACK came (Karn then leaves no RTT sample).
    void make_established_from(seq iss, unsigned timeouts) {
        options.window_scale = false;
        options.sack = false;
        options.timestamps = false;
        make(options);
        tcp->open(iss, now);
        sink.sent.clear();
        for (unsigned i = 0; i < timeouts; ++i) {
            advance(tcp->rtt().rto());
            expect_sent({.flags = syn, .sequence = iss});
        }
        segment synack = peer(syn | ack);
        synack.sequence = seq(peer_iss);
        synack.acknowledgment = iss + 1;
        synack.options.mss = peer_mss;
        send(std::move(synack));
        sink.sent.clear();
        BOOST_REQUIRE(tcp->state() == tcp_state::established);
    }
    // Without window scale, SACK or timestamps: the plainest connection, easiest to script.
    void make_established() {
        options.window_scale = false;
        options.sack = false;
        options.timestamps = false;
        make_established(options, false);
    }
    // Passive open up to SYN-RECEIVED: the peer's SYN accepted, our SYN-ACK sent.
    void make_syn_received() {
        options.window_scale = false;
        options.sack = false;
        options.timestamps = false;
        make(options);
        segment s = peer(syn);
        s.sequence = seq(peer_iss);
        s.acknowledgment = seq(0);
        s.flags = syn;
        s.options.mss = peer_mss;
        tcp->accept_syn(s, seq(our_iss), now);
        expect_sent({.flags = syn | ack, .sequence = seq(our_iss), .acknowledgment = seq(peer_iss + 1)});
        BOOST_REQUIRE(tcp->state() == tcp_state::syn_received);
    }
    // We close first: FIN sent, FIN-WAIT-1.
    void make_fin_wait_1() {
        make_established();
        tcp->shutdown_send(now);
        expect_sent({.flags = fin | ack, .sequence = our_next});
        BOOST_REQUIRE(tcp->state() == tcp_state::fin_wait_1);
    }
    // Our FIN acknowledged: FIN-WAIT-2.
    void make_fin_wait_2() {
        make_fin_wait_1();
        send_ack_of(our_next + 1);
        our_next += 1;
        expect_nothing_sent();
        BOOST_REQUIRE(tcp->state() == tcp_state::fin_wait_2);
    }
    // The peer closes first: its FIN acknowledged, CLOSE-WAIT.
    void make_close_wait() {
        make_established();
        send_data(0, fin);
        expect_sent({.flags = ack, .acknowledgment = peer_next});
        BOOST_REQUIRE(tcp->state() == tcp_state::close_wait);
    }
    // Then we close: FIN sent, LAST-ACK.
    void make_last_ack() {
        make_close_wait();
        tcp->shutdown_send(now);
        expect_sent({.flags = fin | ack, .sequence = our_next});
        BOOST_REQUIRE(tcp->state() == tcp_state::last_ack);
    }
    // Both FINs crossed: CLOSING.
    void make_closing() {
        make_fin_wait_1();
        segment their_fin = peer(fin | ack);
        their_fin.acknowledgment = our_next;  // not acknowledging our FIN yet
        send(std::move(their_fin));
        peer_next += 1;
        expect_sent({.flags = ack, .acknowledgment = peer_next});
        BOOST_REQUIRE(tcp->state() == tcp_state::closing);
    }
    void make_time_wait() {
        make_fin_wait_2();
        send_data(0, fin);
        expect_sent({.flags = ack, .acknowledgment = peer_next});
        BOOST_REQUIRE(tcp->state() == tcp_state::time_wait);
    }

    // The application writes `n` more pattern bytes (numbered by their sequence numbers).
    std::uint32_t written = 0;
    void write(std::size_t n) {
        const auto bytes = pattern(seq(our_iss + 1 + written), n);
        written += std::uint32_t(n);
        auto taken = tcp->write(bytes, now);
        BOOST_REQUIRE(taken.ok());
        BOOST_REQUIRE_EQUAL(*taken, n);
    }
};

}  // namespace sluice::net::tcp::testing
