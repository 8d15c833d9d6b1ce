// What to tell a user when a port's rx queue set-up fails: the fix depends on the driver.
// Most drivers refuse for want of mbufs; net_af_xdp refuses when it cannot put its AF_XDP
// socket and XDP program on the interface, most often because of the interface's MTU.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::dpdk {

// The value of `key` in a vdev's argument string ("iface=veth0,start_queue=0").
std::optional<std::string> devarg_value(std::string_view args, std::string_view key);

// The largest MTU at which a veth takes an XDP program without multi-buffer support, for
// 4 KiB pages: a page, less XDP's 256-byte headroom, the skb's shared info (320 bytes) and
// the 14-byte Ethernet header (Linux drivers/net/veth.c, veth_xdp_set).
inline constexpr unsigned veth_xdp_max_mtu = 4096 - 256 - 320 - 14;

// The fix for a failed rx queue set-up. `driver` is DPDK's driver name, `args` the vdev's
// arguments, `code` DPDK's negative errno; `sysfs` is where interfaces are listed (tests
// give their own).
std::string rx_queue_setup_hint(std::string_view driver, std::string_view args, int code,
                                const std::string& sysfs = "/sys/class/net");

}  // namespace sluice::dpdk
