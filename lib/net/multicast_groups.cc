#include "sluice/net/multicast_groups.hh"

#include "sluice/net/wire/igmp.hh"

namespace sluice::net {

bool multicast_groups::add(wire::ipv4_address group) {
    const bool first = ++users_[group] == 1;
    if (first) ++groups_per_mac_[mac_key(group)];
    return first;
}

bool multicast_groups::remove(wire::ipv4_address group) {
    const auto found = users_.find(group);
    if (found == users_.end()) return false;
    if (--found->second != 0) return false;
    users_.erase(found);
    const auto mac = groups_per_mac_.find(mac_key(group));
    if (mac != groups_per_mac_.end() && --mac->second == 0) groups_per_mac_.erase(mac);
    return true;
}

bool multicast_groups::accepts(wire::ipv4_address group) const noexcept {
    return group == wire::igmp_all_hosts || users_.count(group) != 0;
}

bool multicast_groups::accepts(const ethernet_address& mac) const noexcept {
    if (!wire::is_ipv4_multicast_mac(mac)) return false;
    const std::uint32_t key = std::uint32_t{mac.bytes[3]} << 16 | std::uint32_t{mac.bytes[4]} << 8 | mac.bytes[5];
    return key == mac_key(wire::igmp_all_hosts) || groups_per_mac_.count(key) != 0;
}

std::uint32_t multicast_groups::users(wire::ipv4_address group) const noexcept {
    const auto found = users_.find(group);
    return found == users_.end() ? 0 : found->second;
}

std::vector<wire::ipv4_address> multicast_groups::list() const {
    std::vector<wire::ipv4_address> out;
    out.reserve(users_.size());
    for (const auto& [group, count] : users_) out.push_back(group);
    return out;
}

}  // namespace sluice::net
