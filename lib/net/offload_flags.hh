// sluice::net::offload_flags: what a device offers and Sluice turned on (checksums, RSS),
// as plain values the stack reads instead of knowing the driver. Any thread.
#pragma once

#include <cstdint>

namespace sluice::net {

// Offloads the device has and Sluice turned on; the stack tests these instead of
// knowing the driver. TCP uses the checksum offloads and TSO; LRO is not used.
struct offload_flags {
    bool rx_ipv4_checksum = false;
    bool rx_tcp_checksum = false;
    bool rx_udp_checksum = false;
    bool tx_ipv4_checksum = false;
    bool tx_tcp_checksum = false;
    bool tx_udp_checksum = false;
    // TSO: the device cuts one TCP segment of up to 64 KiB into frames of tso_segsz data
    // bytes each, headers copied and fixed up (DPDK's RTE_MBUF_F_TX_TCP_SEG contract). On
    // only together with both transmit checksums, which every segment it makes needs.
    bool tx_tcp_segmentation = false;
    // The most mbufs one packet handed to the device may chain (its descriptor limit); 0
    // when the device states none. A longer TCP super-segment is cut in software instead.
    std::uint16_t tx_max_chain = 0;
    // The longest frame, Ethernet header included, TSO may be asked to make; 0: any that
    // fits the MTU. net_tap in DPDK 22.11 refuses a TSO request whose frames (with their
    // Ethernet header) pass the MTU itself, and would hold up the queue behind it.
    std::uint16_t tx_tso_max_frame = 0;
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
