// sluice-fwd: an L2 forwarder. Each shard owns one queue of every port and forwards,
// run to completion, what arrives on port 2k to port 2k+1 and back, swapping the MAC
// addresses. Counters are printed when it stops (after --duration, or on SIGINT/SIGTERM).
//
//   sluice-fwd --ports net_ring0,net_ring1 --duration 10 -- --no-huge --vdev=net_ring0 --vdev=net_ring1

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "apps/fwd/forwarder.hh"
#include "sluice/core/app.hh"
#include "sluice/core/cross_core.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/submit_to.hh"
#include "sluice/dpdk/bring_up.hh"
#include "sluice/net/packet_pool.hh"

using namespace sluice;

namespace {

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
        items.emplace_back(text.substr(start, end - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return items;
}

}  // namespace

int main(int argc, char** argv) {
    app program("sluice-fwd", "L2 forwarder: swaps MAC addresses and sends each frame out of the paired port");
    std::vector<std::string> port_names;
    unsigned burst = 32, descriptors = 1024, mbufs = 8191;
    unsigned duration_seconds = 0;  // 0: until a signal
    unsigned tx_first = 0;
    unsigned stats_period = 0;
    auto& options = program.options();
    options.add_option("ports", "A,B[,C,D...]", "ports to forward between, in pairs (A<->B, C<->D), as EAL names them",
                       [&](std::string_view text) -> result<void> {
                           port_names = split_list(text);
                           for (const auto& name : port_names) {
                               if (name.empty()) return error{"--ports has an empty name; write --ports net_ring0,net_ring1"};
                           }
                           if (port_names.size() % 2 != 0) {
                               return error{"--ports needs an even number of ports (they forward in pairs), got " +
                                            std::to_string(port_names.size()) + "; e.g. --ports net_ring0,net_ring1"};
                           }
                           return {};
                       },
                       "net_ring0,net_ring1");
    options.add_count("burst", "frames per receive burst (default 32)", burst, 1, 256, "32");
    options.add_count("descriptors", "rx and tx descriptors per queue (default 1024)", descriptors, 32, 16384, "1024");
    options.add_count("mbufs", "mbufs in each shard's pool (default 8191)", mbufs, 512, 4'000'000, "8191");
    options.add_count("duration", "stop after this many seconds (default: at SIGINT or SIGTERM)", duration_seconds, 1,
                      86400, "10");
    options.add_count("tx-first",
                      "at start, send N bursts of 64-byte frames out of every port from every shard "
                      "(as testpmd --tx-first; on loopback vdevs they then circulate)",
                      tx_first, 1, 64, "1");
    options.add_count("stats-period", "print the forwarding rate every N seconds", stats_period, 1, 3600, "1");

    // Owned here so they outlive the runtime; torn down in reverse after it stops.
    std::unique_ptr<dpdk::bring_up> dpdk_setup;
    std::vector<std::unique_ptr<fwd::forwarder>> forwarders;

    program.on_prepare([&](runtime_config& config) -> result<void> {
        if (port_names.empty()) return error{"no ports given; add --ports A,B (e.g. --ports net_ring0,net_ring1)"};
        dpdk::bring_up_options setup;
        setup.program = "sluice-fwd";
        setup.pool_prefix = "sluice_fwd_";
        setup.eal_args = options.rest();
        setup.port_names = port_names;
        setup.pool_shape.count = mbufs;
        setup.port.rx_descriptors = setup.port.tx_descriptors = std::uint16_t(descriptors);
        auto started = dpdk::bring_up::start(setup, config);
        if (!started) return started.failure();
        dpdk_setup = std::move(*started);
        const std::vector<net::device*> devices = dpdk_setup->devices();
        forwarders.resize(config.cpus.size());
        config.shard_hooks.push_back({
            [&, devices](shard& s) -> result<void> {
                forwarders[s.id()] = std::make_unique<fwd::forwarder>(devices, s.id(), std::uint16_t(burst));
                s.add_poller(*forwarders[s.id()], loop_stage::receive);
                for (net::device* device : devices) {
                    if (auto sent = fwd::send_first_bursts(*device, s.id(), dpdk_setup->pools()[s.id()].mempool(), tx_first,
                                                           std::uint16_t(burst));
                        !sent) {
                        return sent.failure();
                    }
                }
                return {};
            },
            [&](shard& s) {
                s.remove_poller(*forwarders[s.id()]);
                std::fputs(forwarders[s.id()]->report(s.id()).c_str(), stdout);
            },
        });
        return {};
    });

    clock::time_point started_at{}, stopped_at{};
    const int exit_code = program.run(argc, argv, [&]() -> task<int> {
        started_at = clock::now();
        const clock::time_point end = duration_seconds != 0 ? started_at + std::chrono::seconds(duration_seconds)
                                                            : clock::time_point::max();
        const auto step = std::chrono::seconds(stats_period != 0 ? stats_period : 1);
        std::uint64_t last_total = 0;
        clock::time_point last_at = started_at;
        while (clock::now() < end) {  // without --duration, until a signal stops the runtime
            co_await sleep_until(std::min(end, clock::now() + step));
            if (stats_period == 0) continue;
            // Each shard's counters belong to it: read them there.
            std::uint64_t total = 0;
            for (unsigned s = 0; s < forwarders.size(); ++s) {
                auto sent_on_shard = [&forwarders, s] { return forwarders[s]->sent(); };
                total += co_await submit_to(s, std::move(sent_on_shard));
            }
            const clock::time_point now = clock::now();
            const double seconds = std::chrono::duration<double>(now - last_at).count();
            std::printf("sluice-fwd: forwarding at %.3f Mpps\n", double(total - last_total) / seconds / 1e6);
            std::fflush(stdout);
            last_total = total;
            last_at = now;
        }
        co_return 0;
    });
    stopped_at = clock::now();
    if (exit_code == 0 && !forwarders.empty()) {
        std::uint64_t forwarded = 0;
        for (const auto& f : forwarders) {
            for (const auto& direction : f->counters()) forwarded += direction.sent;
        }
        const double seconds = std::chrono::duration<double>(stopped_at - started_at).count();
        std::printf("sluice-fwd: total: forwarded %llu frames in %.3f s: %.3f Mpps\n",
                    static_cast<unsigned long long>(forwarded), seconds, seconds > 0 ? double(forwarded) / seconds / 1e6 : 0.0);
    }
    std::fflush(stdout);
    dpdk_setup.reset();  // closed ports give every rx mbuf back before the pools go
    return exit_code;
}
