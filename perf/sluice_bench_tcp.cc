// sluice-bench-tcp: a TCP client on Sluice, one shard, for perf/tcp-vs-kernel and the
// integration tests where Sluice is the client (docs/benchmarks.md, "TCP").
//
//   sluice-bench-tcp --port net_memif0 --address 198.18.0.2/24 --connect 198.18.0.1:11111
//       [--mode ping-pong|stream|transfer] [--message-size 64] [--seconds 10]
//       [--mebibytes 256] [--retry-for 0] [--hold 0] -- EAL arguments
//
//   ping-pong  sockperf's TCP messages (14-byte header, pong requested), one in flight;
//              half the round trip of each into an HDR histogram, as sockperf reports it;
//              prints p50 ... p99.99 and max in µs and round trips per second
//   stream     64 KiB writes for --seconds, whatever comes back read and dropped; prints
//              the goodput the peer acknowledged, in Gbit/s
//   transfer   --mebibytes of a fixed pattern (64 KiB blocks, block k the base pattern
//              rotated by k mod 251: tools/rig/tcp_clients.py makes the same), half-closed
//              after the last byte; reads the echo to the end and checks every byte
// Each prints one line "sluice-bench-tcp: {json}" last; exit 1 when the run failed.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "sluice/core/app.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/dpdk/bring_up.hh"
#include "sluice/metrics/hdr_histogram.hh"
#include "sluice/net/interface.hh"
#include "sluice/net/interface_options.hh"
#include "sluice/net/tcp_socket.hh"

using namespace sluice;

namespace {

constexpr std::size_t block_bytes = 64 * 1024;

// The transfer pattern's base: block k is base[k % 251, k % 251 + 64 KiB).
const std::vector<std::byte>& pattern_base() {
    static const std::vector<std::byte> base = [] {
        std::vector<std::byte> bytes(block_bytes + 251);
        for (std::size_t j = 0; j < bytes.size(); ++j) bytes[j] = std::byte(j & 0xff);
        return bytes;
    }();
    return base;
}
std::span<const std::byte> pattern_block(std::uint64_t k) {
    return std::span(pattern_base()).subspan(std::size_t(k % 251), block_bytes);
}

struct settings {
    std::string mode = "ping-pong";
    net::wire::ipv4_address peer;
    std::uint16_t peer_port = 0;
    unsigned message_size = 64, seconds = 10, mebibytes = 256, retry_for = 0, hold = 0;
    bool verbose = false;
};

double micros(std::int64_t nanoseconds) { return double(nanoseconds) / 1000.0; }

// Connects, retrying a refusal for up to retry_for seconds (the peer may start after us).
task<net::tcp_result<std::unique_ptr<net::tcp_socket>>> open_connection(net::stack& host, const settings& run) {
    const auto give_up = clock::now() + std::chrono::seconds(run.retry_for);
    for (;;) {
        auto opened = co_await net::tcp_socket::connect(host, run.peer, run.peer_port, std::chrono::seconds(5));
        if (opened || opened.error() != net::tcp_error::refused || clock::now() >= give_up) co_return opened;
        co_await sleep_for(std::chrono::milliseconds(100));
    }
}

task<int> ping_pong(net::tcp_socket& socket, const settings& run) {
    std::vector<std::byte> message(run.message_size, std::byte{0});
    // sockperf's header: sequence (8), flags 3 = client | pong requested (2), length (4).
    message[9] = std::byte{3};
    for (int i = 0; i < 4; ++i) message[10 + i] = std::byte((run.message_size >> (24 - 8 * i)) & 0xff);
    metrics::hdr_histogram half_round_trips(1, 10'000'000'000, 3);
    const auto warm_until = clock::now() + std::chrono::milliseconds(400);  // as sockperf
    const auto end = warm_until + std::chrono::seconds(run.seconds);
    std::uint64_t sequence = 0, measured = 0;
    clock::time_point started{};
    while (clock::now() < end) {
        ++sequence;
        for (int i = 0; i < 8; ++i) message[i] = std::byte((sequence >> (56 - 8 * i)) & 0xff);
        const auto sent = clock::now();
        if (!co_await socket.write_all(message)) break;
        auto reply = co_await socket.read_exactly(message.size());
        if (!reply) break;
        const auto now = clock::now();
        if (sent >= warm_until) {
            if (measured == 0) started = sent;
            half_round_trips.record((now - sent).count() / 2);
            ++measured;
        }
    }
    const double seconds = std::chrono::duration<double>(clock::now() - started).count();
    const auto at = [&](double q) { return micros(half_round_trips.value_at_percentile(q)); };
    if (const net::tcp::connection* state = socket.connection()) {
        std::printf("sluice-bench-tcp: retransmitted %llu segments (%llu timeouts)\n",
                    static_cast<unsigned long long>(state->counters().retransmitted_segments),
                    static_cast<unsigned long long>(state->counters().retransmit_timeouts));
    }
    std::printf("sluice-bench-tcp: ping-pong %u B: %llu round trips in %.2f s (%.0f/s); half round trip us: p50 %.2f "
                "p90 %.2f p99 %.2f p99.9 %.2f p99.99 %.2f max %.2f\n",
                run.message_size, static_cast<unsigned long long>(measured), seconds,
                seconds > 0 ? double(measured) / seconds : 0.0, at(50), at(90), at(99), at(99.9), at(99.99),
                micros(half_round_trips.max()));
    std::printf("sluice-bench-tcp: {\"mode\": \"ping-pong\", \"message_size\": %u, \"round_trips\": %llu, "
                "\"seconds\": %.3f, \"p50_us\": %.3f, \"p90_us\": %.3f, \"p99_us\": %.3f, \"p99_9_us\": %.3f, "
                "\"p99_99_us\": %.3f, \"max_us\": %.3f}\n",
                run.message_size, static_cast<unsigned long long>(measured), seconds, at(50), at(90), at(99),
                at(99.9), at(99.99), micros(half_round_trips.max()));
    co_return measured > 0 ? 0 : 1;
}

// Reads and drops (stream) or checks against the pattern (transfer) until the end.
task<void> drain(net::tcp_socket& socket, bool check, std::uint64_t& received, std::uint64_t& mismatched, bool& done) {
    for (;;) {
        auto got = co_await socket.read_some();
        if (!got || got->empty()) break;
        if (check) {
            for (const net::fragment& piece : got->fragments()) {
                for (std::size_t i = 0; i < piece.size(); ++i) {
                    const std::uint64_t at = received + i;
                    if (piece.data()[i] != pattern_block(at / block_bytes)[at % block_bytes]) ++mismatched;
                }
                received += piece.size();
            }
        } else {
            received += got->size();
        }
    }
    done = true;
}

// --verbose: the connection's state once a second, for a run that stalls.
task<void> report_state(net::tcp_socket& socket, const bool& stop) {
    while (!stop) {
        co_await sleep_for(std::chrono::seconds(1));
        const net::tcp::connection* c = socket.connection();
        if (c == nullptr) co_return;
        const auto& n = c->counters();
        std::printf("sluice-bench-tcp: state %s una %u nxt %u snd_wnd %u cwnd %u rcv_nxt %u readable %zu queued %zu; "
                    "segments in %llu out %llu, retransmitted %llu (%llu timeouts), out of window %llu, challenge acks "
                    "%llu (%llu limited), zero-window probes %llu, dup acks %llu\n",
                    std::string(net::tcp::to_string(c->state())).c_str(), c->send_unacknowledged().value,
                    c->send_next().value, c->send_window(), c->congestion_window(), c->receive_next().value,
                    c->readable(), c->unsent_or_unacknowledged(), static_cast<unsigned long long>(n.segments_received),
                    static_cast<unsigned long long>(n.segments_sent),
                    static_cast<unsigned long long>(n.retransmitted_segments),
                    static_cast<unsigned long long>(n.retransmit_timeouts), static_cast<unsigned long long>(n.out_of_window),
                    static_cast<unsigned long long>(n.challenge_acks), static_cast<unsigned long long>(n.challenge_acks_limited),
                    static_cast<unsigned long long>(n.zero_window_probes), static_cast<unsigned long long>(n.duplicate_acks));
        std::fflush(stdout);
    }
}

task<int> stream_or_transfer(net::tcp_socket& socket, const settings& run) {
    const bool transfer = run.mode == "transfer";
    std::uint64_t received = 0, mismatched = 0, written = 0;
    bool done = false;
    spawn(drain(socket, transfer, received, mismatched, done));
    const auto started = clock::now();
    const auto end = started + std::chrono::seconds(run.seconds);
    const std::uint64_t total = std::uint64_t(run.mebibytes) << 20;
    bool failed = false;
    for (std::uint64_t k = 0; transfer ? written < total : clock::now() < end; ++k) {
        if (!co_await socket.write_all(pattern_block(k))) {
            failed = true;
            break;
        }
        written += block_bytes;
    }
    const net::tcp::connection* state = socket.connection();
    const std::uint64_t acknowledged = written - (state ? state->unsent_or_unacknowledged() : 0);
    const double sending = std::chrono::duration<double>(clock::now() - started).count();
    if (transfer) {
        socket.shutdown();
        const auto give_up = clock::now() + std::chrono::seconds(120);
        while (!done && clock::now() < give_up) co_await sleep_for(std::chrono::milliseconds(1));
        const bool whole = !failed && received == written && mismatched == 0;
        std::printf("sluice-bench-tcp: transfer: %llu bytes sent, %llu echoed back, %llu not as sent: %s\n",
                    static_cast<unsigned long long>(written), static_cast<unsigned long long>(received),
                    static_cast<unsigned long long>(mismatched), whole ? "intact" : "FAILED");
        std::printf("sluice-bench-tcp: {\"mode\": \"transfer\", \"sent\": %llu, \"echoed\": %llu, \"mismatched\": %llu, "
                    "\"intact\": %s}\n",
                    static_cast<unsigned long long>(written), static_cast<unsigned long long>(received),
                    static_cast<unsigned long long>(mismatched), whole ? "true" : "false");
        co_return whole ? 0 : 1;
    }
    const double gbps = sending > 0 ? double(acknowledged) * 8 / sending / 1e9 : 0;
    std::printf("sluice-bench-tcp: stream: %.3f Gbit/s acknowledged over %.2f s (%llu bytes; %llu came back)\n", gbps,
                sending, static_cast<unsigned long long>(acknowledged), static_cast<unsigned long long>(received));
    std::printf("sluice-bench-tcp: {\"mode\": \"stream\", \"goodput_gbps\": %.4f, \"seconds\": %.3f, "
                "\"acknowledged\": %llu}\n",
                gbps, sending, static_cast<unsigned long long>(acknowledged));
    co_return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    app program("sluice-bench-tcp", "a TCP client on Sluice: sockperf-style ping-pong, a stream, or a checked transfer");
    settings run;
    net::interface_options interface_options;
    const net::interface_config& interface_config = interface_options.config;
    bool have_peer = false;
    unsigned mbufs = 8191, mbuf_size = 2048;
    auto& options = program.options();
    net::add_interface_options(options, interface_options, "net_memif0", "198.18.0.2/24");
    options.add_option("connect", "A.B.C.D:PORT", "the server to connect to",
                       [&](std::string_view text) -> result<void> {
                           const auto colon = text.rfind(':');
                           const auto address = net::wire::ipv4_address::parse(text.substr(0, colon));
                           unsigned port = 0;
                           if (colon != std::string_view::npos) {
                               for (char c : text.substr(colon + 1)) port = c >= '0' && c <= '9' ? port * 10 + unsigned(c - '0') : 70000;
                           }
                           if (colon == std::string_view::npos || !address || port == 0 || port > 65535) {
                               return error{"--connect " + std::string(text) + ": write ADDRESS:PORT, e.g. --connect 198.18.0.1:11111"};
                           }
                           run.peer = *address;
                           run.peer_port = std::uint16_t(port);
                           have_peer = true;
                           return {};
                       },
                       "198.18.0.1:11111");
    options.add_option("mode", "MODE", "ping-pong (default), stream or transfer",
                       [&](std::string_view text) -> result<void> {
                           if (text != "ping-pong" && text != "stream" && text != "transfer") {
                               return error{"--mode " + std::string(text) + ": choose ping-pong, stream or transfer"};
                           }
                           run.mode = std::string(text);
                           return {};
                       },
                       "ping-pong");
    options.add_count("message-size", "ping-pong message bytes, sockperf's header included (default 64)",
                      run.message_size, 14, 65536, "64");
    options.add_count("seconds", "how long ping-pong or stream measures (default 10)", run.seconds, 1, 3600, "10");
    options.add_count("mebibytes", "how much transfer sends (default 256)", run.mebibytes, 1, 65536, "256");
    options.add_count("retry-for", "seconds to keep retrying a refused connect (default 0)", run.retry_for, 0, 600, "0");
    options.add_count("hold", "seconds to stay up after the run, until SIGINT or SIGTERM (a rig stops it; default 0)",
                      run.hold, 0, 3600, "0");
    options.add_count("mbufs", "mbufs in the pool (default 8191)", mbufs, 512, 4'000'000, "8191");
    options.add_flag("verbose", "print the connection's state once a second", run.verbose);
    options.add_count("mbuf-size", "bytes of frame each mbuf holds (default 2048)", mbuf_size, 256, 65535 - 128, "2048");

    std::unique_ptr<dpdk::bring_up> dpdk_setup;
    std::unique_ptr<net::interface> interface;
    program.on_prepare([&](runtime_config& config) -> result<void> {
        if (auto given = net::check_interface_options(interface_options, "net_memif0", "198.18.0.2/24"); !given) {
            return given.failure();
        }
        if (!have_peer) return error{"no server given; add --connect A.B.C.D:PORT (e.g. --connect 198.18.0.1:11111)"};
        if (config.cpus.size() != 1) return error{"sluice-bench-tcp runs one shard; give one core with --cores"};
        dpdk::bring_up_options setup;
        setup.program = "sluice-bench-tcp";
        setup.pool_prefix = "sluice_bench_tcp_";
        setup.eal_args = options.rest();
        setup.port_names = {interface_options.port_name};
        setup.pool_shape.count = mbufs;
        setup.pool_shape.data_room = std::uint16_t(mbuf_size + net::packet_pool::headroom);
        auto started = dpdk::bring_up::start(setup, config);
        if (!started) return started.failure();
        dpdk_setup = std::move(*started);
        interface = std::make_unique<net::interface>(dpdk_setup->first_port(), interface_config, 1);
        config.shard_hooks.push_back(interface->hook());
        return {};
    });
    const int exit_code = program.run(argc, argv, [&]() -> task<int> {
        std::printf("sluice-bench-tcp: ready on %s, connecting to %s:%u\n", interface_config.address.to_string().c_str(),
                    run.peer.to_string().c_str(), run.peer_port);
        std::fflush(stdout);
        auto opened = co_await open_connection(interface->local(), run);
        if (!opened) {
            std::fprintf(stderr, "sluice-bench-tcp: connect to %s:%u: %s\n", run.peer.to_string().c_str(), run.peer_port,
                         std::string(net::describe(opened.error())).c_str());
            co_return 1;
        }
        auto socket = std::move(*opened);
        bool reported = false;
        if (run.verbose) spawn(report_state(*socket, reported));
        const int status = run.mode == "ping-pong" ? co_await ping_pong(*socket, run)
                                                   : co_await stream_or_transfer(*socket, run);
        reported = true;
        socket->close();
        co_await sleep_for(std::chrono::milliseconds(50));  // the FIN leaves before the shard stops
        const net::stack_counters counters = interface->local().counters();
        std::printf("sluice-bench-tcp: frames in %llu, out %llu; transmit queue full %llu, no mbufs %llu, dropped %llu\n",
                    static_cast<unsigned long long>(counters.frames_received),
                    static_cast<unsigned long long>(counters.frames_sent),
                    static_cast<unsigned long long>(counters.transmit_queue_full),
                    static_cast<unsigned long long>(counters.no_mbufs),
                    static_cast<unsigned long long>(counters.dropped.total()));
        std::fflush(stdout);
        const auto hold_until = clock::now() + std::chrono::seconds(run.hold);
        while (clock::now() < hold_until) co_await sleep_for(std::chrono::milliseconds(100));
        std::fflush(stdout);
        co_return status;
    });
    std::fflush(stdout);
    interface.reset();
    dpdk_setup.reset();
    return exit_code;
}
