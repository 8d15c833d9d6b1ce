#include "sluice/dpdk/setup_hint.hh"

#include <cerrno>
#include <fstream>

namespace sluice::dpdk {
namespace {

std::optional<unsigned> read_number(const std::string& path) {
    std::ifstream in(path);
    unsigned value = 0;
    if (in >> value) return value;
    return std::nullopt;
}

std::string af_xdp_hint(std::string_view args, const std::string& sysfs) {
    const std::optional<std::string> iface = devarg_value(args, "iface");
    if (!iface) return "net_af_xdp needs iface=NAME in its --vdev arguments";
    const std::string dir = sysfs + "/" + *iface;
    const std::optional<unsigned> mtu = read_number(dir + "/mtu");
    if (!mtu) return "net_af_xdp: there is no interface " + *iface + " here; check iface= in --vdev";
    // A veth links to its peer by ifindex (iflink != ifindex); the peer may sit in another
    // namespace, where its MTU cannot be read from here.
    const std::optional<unsigned> index = read_number(dir + "/ifindex");
    const std::optional<unsigned> link = read_number(dir + "/iflink");
    const bool has_peer = index && link && *index != *link;
    std::string text = "net_af_xdp could not attach its XDP program and AF_XDP socket to " + *iface + " (MTU " +
                       std::to_string(*mtu) + ")";
    if (*mtu > veth_xdp_max_mtu) {
        return text + ": the MTU is above " + std::to_string(veth_xdp_max_mtu) +
               ", the most XDP takes on a veth or a 4 KiB-page driver without multi-buffer XDP; run `ip link set dev " +
               *iface + " mtu 1500`";
    }
    if (has_peer) {
        return text + ": on a veth, the peer's MTU must also be at most " + std::to_string(veth_xdp_max_mtu) +
               " (the kernel says \"Peer MTU is too large to set XDP\"); set the peer's with `ip link set dev PEER mtu "
               "1500`. Other causes: another XDP program on the interface, or no CAP_NET_ADMIN and CAP_BPF; "
               "SLUICE_EAL_LOG=1 shows the driver's own reason";
    }
    return text + ": another XDP program may hold the interface, or the process lacks CAP_NET_ADMIN and CAP_BPF; "
                  "SLUICE_EAL_LOG=1 shows the driver's own reason";
}

}  // namespace

std::optional<std::string> devarg_value(std::string_view args, std::string_view key) {
    while (!args.empty()) {
        const std::size_t comma = args.find(',');
        const std::string_view item = args.substr(0, comma);
        if (item.size() > key.size() && item.substr(0, key.size()) == key && item[key.size()] == '=') {
            return std::string(item.substr(key.size() + 1));
        }
        if (comma == std::string_view::npos) break;
        args.remove_prefix(comma + 1);
    }
    return std::nullopt;
}

std::string rx_queue_setup_hint(std::string_view driver, std::string_view args, int code, const std::string& sysfs) {
    if (driver == "net_af_xdp") return af_xdp_hint(args, sysfs);
    if (code == -ENOMEM) {
        return "the pool's mbufs are smaller than the device's frames (af_packet: framesz), or it has fewer mbufs "
               "than rx descriptors; use fewer descriptors or a smaller framesz";
    }
    return "give the pool more mbufs than rx descriptors, or use fewer descriptors";
}

}  // namespace sluice::dpdk
