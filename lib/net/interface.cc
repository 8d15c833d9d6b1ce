#include "lib/net/interface.hh"

#include <string>

#include "lib/core/shard.hh"
#include "lib/core/spawn.hh"
#include "lib/core/submit_to.hh"
#include "lib/net/device_io.hh"

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
