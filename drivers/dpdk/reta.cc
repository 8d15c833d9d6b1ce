// RETA programming; rte_eth_dev_rss_reta_update(3) in DPDK's ethdev API takes the table
// in groups of RTE_ETH_RETA_GROUP_SIZE (64) entries, each with a mask of those to set.
#include "sluice/dpdk/reta.hh"

#include <rte_errno.h>

#include <string>

namespace sluice::dpdk {

std::vector<rte_eth_rss_reta_entry64> reta_update_groups(const net::redirection_table& table) {
    const auto entries = table.entries();
    std::vector<rte_eth_rss_reta_entry64> groups((entries.size() + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto& group = groups[i / RTE_ETH_RETA_GROUP_SIZE];
        const std::size_t slot = i % RTE_ETH_RETA_GROUP_SIZE;
        group.mask |= std::uint64_t{1} << slot;
        group.reta[slot] = entries[i];
    }
    return groups;
}

result<net::redirection_table> program_reta(std::uint16_t id, unsigned queues, std::uint16_t reta_size) {
    if (reta_size == 0) return error{"the device has no redirection table"};
    auto table = net::redirection_table::create(queues, reta_size);
    if (!table) return table.failure();
    std::vector<rte_eth_rss_reta_entry64> groups = reta_update_groups(*table);
    if (int rc = rte_eth_dev_rss_reta_update(id, groups.data(), reta_size); rc != 0) {
        return error{std::string("the device refused the redirection table (") + rte_strerror(rc < 0 ? -rc : rc) + ")"};
    }
    return table;
}

}  // namespace sluice::dpdk
