#include "sluice/dpdk/bring_up.hh"

#include <utility>

#include "sluice/core/shard.hh"
#include "sluice/core/topology.hh"

namespace sluice::dpdk {

result<std::unique_ptr<bring_up>> bring_up::start(const bring_up_options& options, runtime_config& config) {
    std::unique_ptr<bring_up> made(new bring_up());
    auto started = eal::start(options.program, options.eal_args);
    if (!started) return started.failure();
    made->environment_ = std::move(*started);
    auto topo = topology::discover();
    if (!topo) return topo.failure();
    auto pools = net::packet_pool::create_per_shard(options.pool_prefix, config.cpus, *topo, options.pool_shape);
    if (!pools) return error{pools.message() + " (" + options.pool_options_hint + ")"};
    made->pools_ = std::move(*pools);
    const std::vector<rte_mempool*> mempools = net::packet_pool::mempools_of(made->pools_);
    for (const auto& name : options.port_names) {
        auto opened = port::open(name, options.port, mempools);
        if (!opened) return opened.failure();
        made->ports_.push_back(std::move(*opened));
    }
    // The order that matters: lcore first, then the pool (see the header).
    config.shard_hooks.push_back(eal::lcore_hook());
    bring_up* self = made.get();
    config.shard_hooks.push_back({
        [self](shard& s) -> result<void> {
            net::packet_pool::set_current(&self->pools_[s.id()]);  // frees and allocations stay on this shard's pool
            return {};
        },
        [](shard&) { net::packet_pool::set_current(nullptr); },
    });
    return made;
}

bring_up::~bring_up() {
    for (auto& opened : ports_) opened->close();
    ports_.clear();
    pools_.clear();
    environment_.reset();
}

std::vector<net::device*> bring_up::devices() const {
    std::vector<net::device*> out;
    for (const auto& opened : ports_) out.push_back(opened.get());
    return out;
}

}  // namespace sluice::dpdk
