// sluice::net::interface: one port's IPv4 presence across every shard — a stack per shard
// on that shard's queue, made and destroyed on that shard by the shard hook, and ARP
// answers learned on one shard passed to the others with submit_to (docs/architecture.md,
// "Neighbours across shards"). Built on the control path before the runtime starts; each
// shard then touches only its own stack, through local().
#pragma once

#include <memory>
#include <vector>

#include "lib/core/config.hh"
#include "lib/net/interface_config.hh"
#include "lib/net/device.hh"
#include "lib/net/stack.hh"
#include "lib/net/stack_attachment.hh"

namespace sluice::net {

class interface {
public:
    // `shards`: how many shards the runtime runs; shard s uses queue s of `port`.
    interface(device& port, interface_config config, unsigned shards, stack_limits limits = {});
    interface(const interface&) = delete;
    interface& operator=(const interface&) = delete;

    // Add to runtime_config::shard_hooks after the hook that sets each shard's packet pool.
    shard_hook hook();

    // The calling shard's stack (on a shard, between the hook's start and stop).
    stack& local();
    // Shard s's stack, for submit_to(s, ...) callers that read its counters there.
    stack& on(unsigned shard_id) { return *stacks_.at(shard_id); }

    const interface_config& config() const noexcept { return config_; }
    device& port() noexcept { return port_; }

private:
    void share_neighbour(unsigned from_shard, wire::ipv4_address address, ethernet_address mac);

    device& port_;
    interface_config config_;
    stack_limits limits_;
    // One slot per shard, written only by that shard.
    std::vector<std::unique_ptr<stack>> stacks_;
    std::vector<std::unique_ptr<stack_attachment>> attachments_;
};

}  // namespace sluice::net
