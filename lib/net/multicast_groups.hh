// sluice::net::multicast_groups: the IPv4 groups one stack's interface has joined, each
// with the number of users (sockets) holding it, and the Ethernet addresses they map to
// (RFC 1112 6.4), so that Ethernet and IPv4 input accept exactly the joined groups (and
// 224.0.0.1, which every host is a member of, RFC 1112 6.2). IGMP keeps it; one shard's
// stack owns it.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "sluice/net/wire/ethernet_address.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net {

class multicast_groups {
public:
    // One more user of `group`; true when it is the first (the interface joins now).
    bool add(wire::ipv4_address group);
    // One user fewer; true when it was the last (the interface leaves now). False, and
    // nothing changes, when the group was not joined.
    bool remove(wire::ipv4_address group);

    // Joined, or the all-hosts group: IPv4 input takes datagrams to it.
    bool accepts(wire::ipv4_address group) const noexcept;
    // The Ethernet address of a group accepted above (32 groups share each address).
    bool accepts(const ethernet_address& mac) const noexcept;
    bool joined(wire::ipv4_address group) const noexcept { return users_.count(group) != 0; }
    std::uint32_t users(wire::ipv4_address group) const noexcept;

    // The joined groups, in no particular order (all-hosts is not listed).
    std::vector<wire::ipv4_address> list() const;
    std::size_t size() const noexcept { return users_.size(); }

private:
    static std::uint32_t mac_key(wire::ipv4_address group) noexcept { return group.value & 0x7fffffu; }

    std::unordered_map<wire::ipv4_address, std::uint32_t> users_;
    std::unordered_map<std::uint32_t, std::uint32_t> groups_per_mac_;  // low 23 bits -> groups
};

}  // namespace sluice::net
