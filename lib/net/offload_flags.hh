// sluice::net::offload_flags: what a device offers and Sluice turned on (checksums, RSS),
// as plain values the stack reads instead of knowing the driver. Any thread.
#pragma once

#include <cstdint>

namespace sluice::net {

// Offloads the device has and Sluice turned on; the stack tests these instead of
// knowing the driver. TCP uses the checksum offloads; TSO and LRO are not used yet.
struct offload_flags {
    bool rx_ipv4_checksum = false;
    bool rx_tcp_checksum = false;
    bool rx_udp_checksum = false;
    bool tx_ipv4_checksum = false;
    bool tx_tcp_checksum = false;
    bool tx_udp_checksum = false;
    // Received frames carry the device's timestamp (packet::device_timestamp()).
    bool rx_timestamp = false;
    bool rss = false;  // the device spreads flows over its queues by a Toeplitz hash
    // Each received mbuf carries (RTE_MBUF_F_RX_RSS_HASH) the hash frame_rss_hash would
    // compute: the symmetric key over IPv4, IPv4 fragments and the TCP/UDP 4-tuple.
    bool rss_hash_in_mbuf = false;
    // Entries of the redirection table the driver wrote into the device (entry i = queue
    // i % queue_count, as net::redirection_table::create(queue_count, size) builds it):
    // queue = shard_for_hash(that table, hash). 0: the device keeps a table of its own.
    std::uint32_t rss_table_size = 0;
};

}  // namespace sluice::net
