// sluice-bench-net's TCP figures (docs/benchmarks.md, "TCP"):
//   tcp/receive_in_order/checksum:device|software — one full-size segment (1448 bytes of
//     data, timestamps on) through tcp_protocol::receive: header checks, demultiplexing,
//     the connection's in-order path, the application reading it, and every second one
//     acknowledged (a packet built and handed to IPv4). Reports ns_per_segment; segments
//     are built before the clock starts (manual time over batches of 32, the size of one
//     receive burst: the driver has just written each mbuf, so a bigger batch would
//     measure cache misses the real loop does not have).
//   tcp/send_bulk/offload:none|checksum|tso — the application writes 64 KiB and the
//     peer's ACK of all of it comes back: the send buffer's copy, the segments built and
//     handed to IPv4, the ACK's processing. Reports ns_per_mss (per 1448 bytes of data)
//     and packets_per_write: 46 without TSO, 2 with it (45 MSS for the device to cut, and
//     the rest). none sums every segment in software; checksum and tso leave it to the device.
//   tcp/idle_connection_memory/connections:10000 — established connections on one
//     shard's table, idle, buffers empty: heap bytes per connection (bytes_per_connection).
// No NIC: IPv4 output is a sink that frees what it is given.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <rte_mbuf.h>

#include <array>
#include <chrono>
#include <optional>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "perf/tcp_benchmarks.hh"
#include "sluice/core/clock.hh"
#include "sluice/net/ipv4_output.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/tcp/tcp_protocol.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/checksum.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/tcp.hh"

namespace sluice::bench {

namespace {

using net::wire::ipv4_address;
namespace wire = net::wire;
namespace tcp = net::tcp;

const ipv4_address local = ipv4_address::from_octets(198, 18, 0, 1);
const ipv4_address remote = ipv4_address::from_octets(198, 18, 0, 2);

// IPv4 as far as TCP sees it: takes each segment and frees it.
struct discard_output final : net::ipv4_output {
    std::uint64_t sent = 0;
    std::vector<net::packet> kept;  // what the handshake sent, when asked to keep it
    bool keep = false;
    net::send_status send(ipv4_address, std::uint8_t, net::packet&& segment, net::l4_checksum_offload,
                          clock::time_point) override {
        ++sent;
        if (keep) kept.push_back(std::move(segment));
        return net::send_status::sent;
    }
    net::send_status send_with(const net::datagram_options&, ipv4_address, std::uint8_t, net::packet&&,
                               clock::time_point) override {
        return net::send_status::sent;
    }
    ipv4_address source_address() const noexcept override { return local; }
    std::size_t max_unfragmented_payload() const noexcept override { return 1480; }
    net::offload_flags offloads() const noexcept override { return offered; }
    net::offload_flags offered;
};

// A TCP segment from remote:port to local:80 as it arrives: header (with timestamps),
// payload, checksum filled; `device_checked` marks it as the NIC's rx offload would.
net::packet make_segment(std::uint16_t remote_port, std::uint32_t sequence, std::uint32_t acknowledgment,
                         std::uint8_t flags, std::size_t payload, std::uint32_t timestamp, bool device_checked,
                         std::optional<std::uint16_t> mss = std::nullopt) {
    wire::tcp_options options;
    options.timestamps = wire::tcp_timestamps{timestamp, 0};
    if (mss) {
        options.mss = *mss;
        options.window_scale = 7;
        options.sack_permitted = true;
    }
    const std::size_t header_length = wire::tcp_header::min_length + options.length();
    std::vector<std::byte> bytes(header_length + payload, std::byte{0x5a});
    wire::tcp_header header;
    header.source_port = remote_port;
    header.destination_port = 80;
    header.sequence = sequence;
    header.acknowledgment = acknowledgment;
    header.data_offset_words = std::uint8_t(header_length / 4);
    header.flags = flags;
    header.window = 65535;
    header.emit(bytes);
    options.emit(std::span(bytes).subspan(wire::tcp_header::min_length));
    const std::span<const std::byte> whole(bytes);
    const std::span<const std::byte> pieces[] = {whole};
    wire::store_be16(bytes, wire::tcp_header::checksum_offset, wire::tcp_checksum(remote, local, pieces));
    auto made = net::packet::copy_of(bytes);
    if (!made) return {};
    if (device_checked) made->mbuf()->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    return std::move(*made);
}

wire::ipv4_header header_from_remote(std::size_t tcp_length) {
    wire::ipv4_header ip;
    ip.source = remote;
    ip.destination = local;
    ip.protocol = wire::ip_protocol_tcp;
    ip.total_length = std::uint16_t(20 + tcp_length);
    return ip;
}

// Drives the passive open of remote:port -> local:80 to ESTABLISHED; our ISN comes back
// in the SYN-ACK the output kept. Returns it, or nothing.
std::optional<std::uint32_t> establish(tcp::tcp_protocol& layer, discard_output& output, std::uint16_t port,
                                       std::uint32_t peer_isn, clock::time_point now) {
    output.keep = true;
    output.kept.clear();
    net::packet syn = make_segment(port, peer_isn, 0, wire::tcp_syn, 0, 1, true, 1460);
    const std::size_t syn_length = syn.length();
    layer.receive(header_from_remote(syn_length), std::move(syn), now);
    output.keep = false;
    if (output.kept.empty()) return std::nullopt;
    std::array<std::byte, wire::tcp_header::max_length> synack{};
    const std::size_t length = output.kept.front().copy_out(0, synack);
    output.kept.clear();
    const auto parsed = wire::tcp_header::parse(std::span(synack.data(), length));
    if (!parsed) return std::nullopt;
    const std::uint32_t ours = parsed->sequence;
    net::packet third = make_segment(port, peer_isn + 1, ours + 1, wire::tcp_ack, 0, 2, true);
    const std::size_t third_length = third.length();
    layer.receive(header_from_remote(third_length), std::move(third), now);
    return ours;
}

// Listens on 80 with `options` and drives remote:40000's passive open through accept:
// the connection and our ISN, or an error for SkipWithError.
struct accepted {
    tcp::connection_entry* entry = nullptr;
    std::uint32_t ours = 0;
    const char* error = nullptr;
};
accepted accept_one(tcp::tcp_protocol& layer, discard_output& output, const tcp::connection_options& options,
                    std::uint32_t peer_isn, clock::time_point now) {
    auto* listening = layer.table().listen(80, 16, options);
    const auto ours = establish(layer, output, 40000, peer_isn, now);
    if (!ours || listening == nullptr) return {nullptr, 0, "the handshake did not complete"};
    tcp::connection_entry* entry = layer.table().accept(*listening);
    if (entry == nullptr) return {nullptr, 0, "no connection to accept"};
    return {entry, *ours, nullptr};
}

void receive_in_order(benchmark::State& state, bool device_checked) {
    discard_output output;
    wire::drop_counters dropped;
    tcp::tcp_protocol layer(output, dropped);
    tcp::connection_options options = layer.options_for_interface();
    options.receive.capacity = 4 << 20;
    clock::time_point now = clock::now();
    const std::uint32_t peer_isn = 1000;
    const accepted opened = accept_one(layer, output, options, peer_isn, now);
    if (opened.error != nullptr) return state.SkipWithError(opened.error);
    tcp::connection_entry* entry = opened.entry;
    const std::uint32_t ours = opened.ours;
    constexpr std::size_t batch = 32, data = 1448;
    std::uint32_t next = peer_isn + 1;
    std::uint32_t timestamp = 3;
    std::uint64_t segments = 0;
    double seconds = 0;
    for (auto _ : state) {
        std::vector<net::packet> segments_in(batch);
        for (auto& segment : segments_in) {
            segment = make_segment(40000, next, ours + 1, wire::tcp_ack, data, timestamp++, device_checked);
            next += data;
        }
        const auto start = std::chrono::steady_clock::now();
        for (auto& segment : segments_in) {
            const std::size_t length = segment.length();
            now += std::chrono::microseconds(1);
            layer.receive(header_from_remote(length), std::move(segment), now);
            net::buffer got = entry->conn.read(data, now);  // the application takes it
            benchmark::DoNotOptimize(got);
            layer.table().updated(*entry, now);
        }
        const auto took = std::chrono::steady_clock::now() - start;
        state.SetIterationTime(std::chrono::duration<double>(took).count());
        seconds += std::chrono::duration<double>(took).count();
        segments += batch;
    }
    state.counters["ns_per_segment"] = benchmark::Counter(segments ? seconds * 1e9 / double(segments) : 0);
    state.counters["acks_per_segment"] = benchmark::Counter(double(output.sent) / double(segments ? segments : 1));
    state.counters["dropped"] = benchmark::Counter(double(dropped.total()));
    layer.table().release(*entry, now);
}

enum class send_offload { none, checksum, tso };

void send_bulk(benchmark::State& state, send_offload offload) {
    discard_output output;
    output.offered.tx_ipv4_checksum = output.offered.tx_tcp_checksum = offload != send_offload::none;
    output.offered.tx_tcp_segmentation = offload == send_offload::tso;
    wire::drop_counters dropped;
    tcp::tcp_protocol layer(output, dropped);
    tcp::connection_options options = layer.options_for_interface();
    options.send_buffer = 1 << 20;
    clock::time_point now = clock::now();
    const std::uint32_t peer_isn = 1000;
    const accepted opened = accept_one(layer, output, options, peer_isn, now);
    if (opened.error != nullptr) return state.SkipWithError(opened.error);
    tcp::connection_entry* entry = opened.entry;
    const std::uint32_t ours = opened.ours;
    const std::vector<std::byte> chunk(64 * 1024, std::byte{0x5a});
    constexpr int writes_per_batch = 16;
    std::uint32_t timestamp = 3;
    std::uint64_t written = 0, writes = 0;
    const std::uint64_t packets_before = output.sent;
    double seconds = 0;
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < writes_per_batch; ++i) {
            now += std::chrono::microseconds(10);
            auto taken = entry->conn.write(chunk, now);
            if (!taken || *taken != chunk.size()) return state.SkipWithError("the send buffer had no room");
            written += *taken;
            ++writes;
            layer.table().updated(*entry, now);
            // The peer acknowledges everything sent so far, window open (scaled by 2^7).
            const std::uint32_t acknowledged = ours + 1 + std::uint32_t(entry->conn.counters().bytes_sent);
            net::packet ack = make_segment(40000, peer_isn + 1, acknowledged, wire::tcp_ack, 0, timestamp++, true);
            const std::size_t length = ack.length();
            layer.receive(header_from_remote(length), std::move(ack), now);
            layer.table().updated(*entry, now);
        }
        const auto took = std::chrono::steady_clock::now() - start;
        state.SetIterationTime(std::chrono::duration<double>(took).count());
        seconds += std::chrono::duration<double>(took).count();
    }
    const double mss_sent = double(written) / 1448.0;
    state.counters["ns_per_mss"] = benchmark::Counter(mss_sent > 0 ? seconds * 1e9 / mss_sent : 0);
    state.counters["packets_per_write"] =
        benchmark::Counter(double(output.sent - packets_before) / double(writes ? writes : 1));
    state.counters["unsent_bytes"] =
        benchmark::Counter(double(written - entry->conn.counters().bytes_sent));
    layer.table().release(*entry, now);
}

void idle_connection_memory(benchmark::State& state) {
    const auto count = std::size_t(state.range(0));
    for (auto _ : state) {
        discard_output output;
        wire::drop_counters dropped;
        tcp::table_limits limits;
        limits.max_connections = count + 16;
        auto layer = std::make_unique<tcp::tcp_protocol>(output, dropped, limits);
        auto* listening = layer->table().listen(80, count + 16, layer->options_for_interface());
        const clock::time_point now = clock::now();
        const std::size_t before = mallinfo2().uordblks;
        std::size_t established = 0;
        for (std::size_t i = 0; i < count; ++i) {
            if (establish(*layer, output, std::uint16_t(1024 + i), 7000 + std::uint32_t(i) * 977, now)) ++established;
        }
        const std::size_t after = mallinfo2().uordblks;
        if (listening == nullptr || listening->pending() != count || established != count) {
            return state.SkipWithError("not every connection was established");
        }
        state.counters["bytes_per_connection"] = benchmark::Counter(double(after - before) / double(count));
        state.counters["connection_object_bytes"] = benchmark::Counter(double(sizeof(tcp::connection_entry)));
    }
}

}  // namespace

void register_tcp_benchmarks() {
    benchmark::RegisterBenchmark("tcp/receive_in_order/checksum:device",
                                 [](benchmark::State& state) { receive_in_order(state, true); })
        ->UseManualTime();
    benchmark::RegisterBenchmark("tcp/receive_in_order/checksum:software",
                                 [](benchmark::State& state) { receive_in_order(state, false); })
        ->UseManualTime();
    for (const auto& [name, offload] : {std::pair{"tcp/send_bulk/offload:none", send_offload::none},
                                        std::pair{"tcp/send_bulk/offload:checksum", send_offload::checksum},
                                        std::pair{"tcp/send_bulk/offload:tso", send_offload::tso}}) {
        benchmark::RegisterBenchmark(name, [offload](benchmark::State& state) { send_bulk(state, offload); })
            ->UseManualTime();
    }
    benchmark::RegisterBenchmark("tcp/idle_connection_memory", idle_connection_memory)
        ->ArgName("connections")
        ->Arg(10000)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
}

}  // namespace sluice::bench
