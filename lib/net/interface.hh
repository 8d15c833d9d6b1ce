// sluice::net::interface: one port's IPv4 presence across every shard — a stack per shard
// on that shard's queue, made and destroyed on that shard by the shard hook, and ARP
// answers learned on one shard passed to the others with submit_to (docs/architecture.md,
// "Neighbours across shards"). Built on the control path before the runtime starts; each
// shard then touches only its own stack, through local().
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "sluice/core/config.hh"
#include "sluice/net/device.hh"
#include "sluice/net/interface_config.hh"
#include "sluice/net/stack.hh"
#include "sluice/net/stack_attachment.hh"

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

    // How the port takes the groups joined on any shard (device.hh); not_needed until a
    // group is joined. Shard 0 owns the port's filter: read these there (submit_to(0, ...)).
    multicast_filter multicast_mode() const noexcept { return multicast_mode_; }
    // Groups joined on at least one shard, as shard 0 has heard of them.
    std::size_t multicast_groups_joined() const noexcept { return port_groups_.size(); }

    const interface_config& config() const noexcept { return config_; }
    device& port() noexcept { return port_; }

private:
    void share_neighbour(unsigned from_shard, wire::ipv4_address address, ethernet_address mac);
    void update_multicast_filter(wire::ipv4_address group, bool joined);  // on the changing shard
    void apply_multicast_change(wire::ipv4_address group, bool joined);   // on shard 0

    device& port_;
    interface_config config_;
    stack_limits limits_;
    // One slot per shard, written only by that shard.
    std::vector<std::unique_ptr<stack>> stacks_;
    std::vector<std::unique_ptr<stack_attachment>> attachments_;
    // The port's one multicast filter, the union of every shard's groups: shard 0's.
    std::map<wire::ipv4_address, unsigned> port_groups_;  // group -> shards that joined it
    multicast_filter multicast_mode_ = multicast_filter::not_needed;
};

}  // namespace sluice::net
