// The NIC's RSS redirection table (RETA), programmed from net::redirection_table so that
// the queue a device picks for a hash is the one software picks (shard_for_hash): the
// local-port choice for active opens and software RSS both depend on that (docs/architecture.md, rule 3).
// Devices fill their own table at start (most round-robin, but not all, and not always
// over the queues Sluice asked for), so the port rewrites it after starting.
#pragma once

#include <rte_ethdev.h>

#include <cstdint>
#include <vector>

#include "sluice/core/result.hh"
#include "sluice/net/rss.hh"

namespace sluice::dpdk {

// `table` in the form rte_eth_dev_rss_reta_update takes: groups of 64 entries, each with
// a mask of the entries it sets (every entry of the table, none past its end).
std::vector<rte_eth_rss_reta_entry64> reta_update_groups(const net::redirection_table& table);

// Writes redirection_table::create(queues, reta_size) into port `id`'s RETA and returns
// that table. Fails, with the reason, when the device has no RETA (reta_size 0), a size
// that is not a power of two, or refuses the update; the device's own table then stays.
result<net::redirection_table> program_reta(std::uint16_t id, unsigned queues, std::uint16_t reta_size);

}  // namespace sluice::dpdk
