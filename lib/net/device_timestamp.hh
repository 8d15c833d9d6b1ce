// Where a received mbuf carries the device's own receive timestamp: DPDK's rx timestamp
// dynamic field and its flag (RTE_ETH_RX_OFFLOAD_TIMESTAMP). A port that turns the offload
// on registers them once, on the control path before the shards start; packets read them
// on any shard after that (written once, then only read). The value is the device's clock
// in its own units (nanoseconds on some NICs, cycles on others), not Sluice's clock.
#pragma once

#include <cstdint>

namespace sluice::net {

struct device_timestamp_field {
    int offset = -1;         // byte offset of the 64-bit field in each mbuf; -1: none registered
    std::uint64_t flag = 0;  // ol_flags bit set on mbufs whose field holds a timestamp
};

void set_device_timestamp_field(device_timestamp_field field) noexcept;
device_timestamp_field current_device_timestamp_field() noexcept;

}  // namespace sluice::net
