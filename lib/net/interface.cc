#include "sluice/net/interface.hh"

#include <algorithm>
#include <string>

#include "sluice/core/shard.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/submit_to.hh"
#include "sluice/net/device_io.hh"
#include "sluice/net/wire/igmp.hh"

namespace sluice::net {

interface::interface(device& port, interface_config config, unsigned shards, stack_limits limits)
    : port_(port), config_(std::move(config)), limits_(limits), stacks_(shards), attachments_(shards) {}

shard_hook interface::hook() {
    return {
        [this](shard& s) -> result<void> {
            if (s.id() >= stacks_.size() || s.id() >= port_.queue_count()) {
                return error{"shard " + std::to_string(s.id()) + " has no queue on " + port_.name() + " (it has " +
                             std::to_string(port_.queue_count()) + "); run as many shards as the port has queues"};
            }
            auto& own = stacks_[s.id()];
            own = std::make_unique<stack>(properties_of(port_), config_, limits_);
            const unsigned id = s.id();
            own->on_neighbour_learned(
                [this, id](wire::ipv4_address address, ethernet_address mac) { share_neighbour(id, address, mac); });
            own->on_group_membership_changed(
                [this](wire::ipv4_address group, bool joined) { update_multicast_filter(group, joined); });
            // Several shards on a port whose table we programmed: an active open picks a
            // local port whose replies come back here (docs/architecture.md rule 3).
            const offload_flags offloads = port_.offloads();
            if (stacks_.size() > 1 && offloads.rss && offloads.rss_table_size != 0) {
                if (auto table = redirection_table::create(port_.queue_count(), offloads.rss_table_size)) {
                    own->steer_active_opens(
                        flow_steering{toeplitz_hasher(symmetric_toeplitz_key()), std::move(*table), id});
                }
            }
            // One gratuitous ARP for the interface, from shard 0.
            attachments_[id] = std::make_unique<stack_attachment>(*own, port_, id, s, id == 0);
            return {};
        },
        [this](shard& s) {
            if (s.id() >= stacks_.size()) return;
            attachments_[s.id()].reset();
            stacks_[s.id()].reset();
        },
    };
}

stack& interface::local() { return *stacks_.at(this_shard().id()); }

// An ARP answer lands on one shard (a NIC puts non-IP frames on one queue); every shard
// sends, so each other shard gets the entry through its inbound ring. Fire and forget:
// a lost update costs one more ARP request, never a wrong answer.
void interface::share_neighbour(unsigned from_shard, wire::ipv4_address address, ethernet_address mac) {
    for (unsigned target = 0; target < stacks_.size(); ++target) {
        if (target == from_shard) continue;
        spawn([this, target, address, mac]() -> task<void> {
            auto learn = [this, target, address, mac] {
                if (stacks_[target]) stacks_[target]->learn_neighbour(address, mac, clock::now());
            };
            co_await submit_to(target, std::move(learn));
        });
    }
}

}  // namespace sluice::net

namespace sluice::net {

// The port filters for the interface as a whole: a group stays in it while any shard's
// stack has joined it (each shard joins for its own sockets; RSS may bring a group's
// datagrams to any of them). The union and the port's filter belong to shard 0: another
// shard's change reaches it over the rings, in the order the shard made its changes.
void interface::update_multicast_filter(wire::ipv4_address group, bool joined) {
    if (this_shard().id() == 0) {
        apply_multicast_change(group, joined);
        return;
    }
    spawn([this, group, joined]() -> task<void> {
        auto apply = [this, group, joined] { apply_multicast_change(group, joined); };
        co_await submit_to(0, std::move(apply));
    });
}

void interface::apply_multicast_change(wire::ipv4_address group, bool joined) {
    if (joined) {
        if (++port_groups_[group] != 1) return;
    } else {
        const auto found = port_groups_.find(group);
        if (found == port_groups_.end() || --found->second != 0) return;
        port_groups_.erase(found);
    }
    std::vector<ethernet_address> addresses;
    for (const auto& [each, shards] : port_groups_) {
        const ethernet_address mac = wire::multicast_mac(each);
        if (std::find(addresses.begin(), addresses.end(), mac) == addresses.end()) addresses.push_back(mac);
    }
    multicast_mode_ = port_.filter_multicast(addresses);
}

}  // namespace sluice::net
