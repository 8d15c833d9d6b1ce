// sluice-bench-net: packet-path figures that need no NIC:
// `sim_wire/macswap/frame:64` — 64-byte frames circulating between two ports of one
// simulated wire, each delivery received, MAC-swapped and sent back out by the same
// shard (thread), as sluice-fwd does. Reports `mpps_per_shard`: frames forwarded per
// second by one shard, wire included. `tcp/...` — TCP's per-segment cost and memory per
// idle connection (perf/tcp_benchmarks.cc). Usage: sluice-bench-net [Google Benchmark flags].
#include <benchmark/benchmark.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "sluice/core/clock.hh"
#include "sluice/core/topology.hh"
#include "sluice/dpdk/eal.hh"
#include "sluice/net/packet_pool.hh"
#include "sluice/sim/wire.hh"
#include "perf/tcp_benchmarks.hh"

namespace {

rte_mempool* bench_pool = nullptr;

// Receives a burst on `from`, swaps MACs, sends it out of `from` again: addressed to the
// other port now, the wire carries it there.
std::uint16_t bounce(sluice::sim::port& from, rte_mbuf** frames) {
    const std::uint16_t n = from.rx_burst(0, frames, 32);
    for (std::uint16_t i = 0; i < n; ++i) {
        auto* header = rte_pktmbuf_mtod(frames[i], rte_ether_hdr*);
        std::swap(header->src_addr, header->dst_addr);
    }
    const std::uint16_t sent = from.tx_burst(0, frames, n);
    for (std::uint16_t i = sent; i < n; ++i) rte_pktmbuf_free(frames[i]);
    return n;
}

void sim_wire_macswap(benchmark::State& state) {
    sluice::sim::wire_config config;
    config.seed = 1;
    config.pool = bench_pool;
    sluice::sim::wire wire(config);
    const sluice::net::ethernet_address a_mac{{0x02, 0, 0, 0, 0, 0xa}}, b_mac{{0x02, 0, 0, 0, 0, 0xb}};
    auto& a = wire.add_port("a", a_mac);
    auto& b = wire.add_port("b", b_mac);

    // One burst of 32 frames from a to b starts the circulation (as --tx-first).
    rte_mbuf* frames[32];
    if (rte_pktmbuf_alloc_bulk(bench_pool, frames, 32) != 0) {
        state.SkipWithError("no mbufs");
        return;
    }
    for (auto* frame : frames) {
        auto* header = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(frame, 64));
        std::memset(header, 0, 64);
        std::memcpy(header->src_addr.addr_bytes, a_mac.bytes.data(), 6);
        std::memcpy(header->dst_addr.addr_bytes, b_mac.bytes.data(), 6);
        header->ether_type = rte_cpu_to_be_16(0x88b5);
    }
    if (a.tx_burst(0, frames, 32) != 32) {
        state.SkipWithError("the wire refused the first burst");
        return;
    }
    std::uint64_t forwarded = 0;
    const auto start = sluice::clock::now();
    for (auto _ : state) {
        forwarded += bounce(b, frames);
        forwarded += bounce(a, frames);
    }
    const double seconds = std::chrono::duration<double>(sluice::clock::now() - start).count();
    // Take what is still on the wire (no delay is configured: all of it is deliverable)
    // so the pool is whole for the next run.
    for (;;) {
        const std::uint16_t from_a = a.rx_burst(0, frames, 32);
        rte_pktmbuf_free_bulk(frames, from_a);
        const std::uint16_t from_b = b.rx_burst(0, frames, 32);
        rte_pktmbuf_free_bulk(frames, from_b);
        if (from_a + from_b == 0) break;
    }
    state.counters["mpps_per_shard"] = benchmark::Counter(seconds > 0 ? double(forwarded) / seconds / 1e6 : 0);
}

}  // namespace

int main(int argc, char** argv) {
    sluice::calibrate_clock();
    auto environment = sluice::dpdk::eal::start("sluice-bench-net", {"--no-huge", "--no-pci", "-m", "512"});
    if (!environment) {
        std::fprintf(stderr, "sluice-bench-net: %s\n", environment.message().c_str());
        return 1;
    }
    {
        auto topo = sluice::topology::discover();
        if (topo) (void)topo->bind_current_thread(topo->allowed_cpus().front());
        sluice::net::packet_pool_config pool_config;
        pool_config.name = "bench_net";
        pool_config.count = 8191;
        auto pool = sluice::net::packet_pool::create(pool_config);
        if (!pool) {
            std::fprintf(stderr, "sluice-bench-net: %s\n", pool.message().c_str());
            return 1;
        }
        bench_pool = pool->mempool();
        sluice::net::packet_pool::scoped_current current(*pool);
        benchmark::Initialize(&argc, argv);
        if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
        benchmark::RegisterBenchmark("sim_wire/macswap/frame:64", sim_wire_macswap);
        sluice::bench::register_tcp_benchmarks();
        benchmark::RunSpecifiedBenchmarks();
        benchmark::Shutdown();
    }
    return 0;
}
