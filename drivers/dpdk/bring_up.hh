// sluice::dpdk::bring_up: a DPDK program's set-up, done once in the order it must happen,
// and its teardown in reverse. start() runs EAL, makes one packet pool per shard on that
// shard's NUMA node, opens the ports with a queue pair per shard, and adds the shard hooks
// in their required order: each shard first becomes a DPDK lcore (rte_thread_register),
// then makes its own pool current — a pool's per-lcore cache needs the lcore id, so the
// other order puts every allocation on the slow path. Hooks the program adds after start()
// run after both. Main thread, in the program's on_prepare; destroy after the runtime.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sluice/core/config.hh"
#include "sluice/core/result.hh"
#include "sluice/dpdk/eal.hh"
#include "sluice/dpdk/port.hh"
#include "sluice/net/packet_pool.hh"

namespace sluice::dpdk {

struct bring_up_options {
    std::string program;                  // EAL's program name
    std::string pool_prefix;              // pools are named pool_prefix + shard number
    std::vector<std::string> eal_args;    // as the user gave them after `--`
    std::vector<std::string> port_names;  // as EAL names them (net_af_packet0, 0000:3b:00.0)
    net::packet_pool_config pool_shape;   // count and data room per shard; the name is made here
    port_config port;
    // Added to a pool failure: which options of the program size the pools.
    std::string pool_options_hint = "--mbufs sets the count";
};

class bring_up {
public:
    // Adds the lcore and current-pool hooks to `config` (its cpus name the shards).
    static result<std::unique_ptr<bring_up>> start(const bring_up_options& options, runtime_config& config);
    bring_up(const bring_up&) = delete;
    bring_up& operator=(const bring_up&) = delete;
    // Closes the ports (their drivers give back every mbuf they hold), then frees the pools,
    // then cleans EAL up: the only order in which nothing is freed twice or leaked.
    ~bring_up();

    std::vector<std::unique_ptr<port>>& ports() noexcept { return ports_; }
    port& first_port() noexcept { return *ports_.front(); }
    std::vector<net::device*> devices() const;
    std::vector<net::packet_pool>& pools() noexcept { return pools_; }

private:
    bring_up() = default;

    std::unique_ptr<eal> environment_;
    std::vector<net::packet_pool> pools_;
    std::vector<std::unique_ptr<port>> ports_;
};

}  // namespace sluice::dpdk
