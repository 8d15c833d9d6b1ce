// sluice-fwd's forwarder between two net_ring ports, each wired by its rings to a peer
// port the test drives (rte_eth_from_rings): peer A -> forwarder port A, forwarder port B
// -> peer B, and back. The test sends 16 flows each way and checks that every frame
// comes out of the other side exactly once, in order per flow, with its MAC addresses
// swapped and its flow and sequence stamp intact, and that every mbuf is back in the pool
// at the end.
#include <boost/test/unit_test.hpp>

#include <rte_eth_ring.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "apps/fwd/forwarder.hh"
#include "sluice/dpdk/port.hh"

using namespace sluice;

namespace {

constexpr std::uint16_t experimental_ether_type = 0x88b5;
constexpr unsigned flows = 16;
constexpr unsigned frames_per_flow = 250;

// A payload that says which flow and which frame of it this is.
struct stamp {
    std::uint16_t flow;
    std::uint32_t sequence;
};

const rte_ether_addr peer_a_mac{{0x02, 0, 0, 0, 0, 0xa}}, peer_b_mac{{0x02, 0, 0, 0, 0, 0xb}};

// A forwarder port and its peer: two rings, crossed. The ports do not own the rings.
struct wired_pair {
    std::unique_ptr<dpdk::port> forwarder_side, peer_side;
    rte_ring* to_forwarder = nullptr;
    rte_ring* to_peer = nullptr;
};

wired_pair wire(const std::string& name, rte_mempool* pool) {
    rte_ring* to_forwarder = rte_ring_create((name + "_in").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    rte_ring* to_peer = rte_ring_create((name + "_out").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    BOOST_REQUIRE(to_forwarder && to_peer);
    BOOST_REQUIRE(rte_eth_from_rings((name + "_fwd").c_str(), &to_forwarder, 1, &to_peer, 1, SOCKET_ID_ANY) >= 0);
    BOOST_REQUIRE(rte_eth_from_rings((name + "_peer").c_str(), &to_peer, 1, &to_forwarder, 1, SOCKET_ID_ANY) >= 0);
    dpdk::port_config config;
    config.rx_descriptors = config.tx_descriptors = 256;
    std::array<rte_mempool*, 1> pools{pool};
    // rte_eth_from_rings names the ports net_ring_<name>.
    auto forwarder_side = dpdk::port::open("net_ring_" + name + "_fwd", config, pools);
    auto peer_side = dpdk::port::open("net_ring_" + name + "_peer", config, pools);
    BOOST_REQUIRE_MESSAGE(forwarder_side, (forwarder_side ? std::string() : forwarder_side.message()));
    BOOST_REQUIRE_MESSAGE(peer_side, (peer_side ? std::string() : peer_side.message()));
    return {std::move(*forwarder_side), std::move(*peer_side), to_forwarder, to_peer};
}

rte_mbuf* stamped_frame(rte_mempool* pool, const rte_ether_addr& source, const rte_ether_addr& destination, stamp s) {
    rte_mbuf* frame = rte_pktmbuf_alloc(pool);
    BOOST_REQUIRE(frame);
    auto* header = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(frame, 64));
    BOOST_REQUIRE(header);
    std::memset(header, 0, 64);
    header->src_addr = source;
    header->dst_addr = destination;
    header->ether_type = rte_cpu_to_be_16(experimental_ether_type);
    std::memcpy(header + 1, &s, sizeof s);
    return frame;
}

// What one side received: per flow, the sequence numbers in arrival order.
struct arrivals {
    std::map<std::uint16_t, std::vector<std::uint32_t>> by_flow;
    unsigned unswapped = 0;  // frames whose MAC addresses were not swapped
};

void collect(dpdk::port& peer, const rte_ether_addr& sender, const rte_ether_addr& receiver, arrivals& into) {
    rte_mbuf* frames[32];
    const std::uint16_t n = peer.rx_burst(0, frames, 32);
    for (std::uint16_t i = 0; i < n; ++i) {
        const auto* header = rte_pktmbuf_mtod(frames[i], const rte_ether_hdr*);
        // Sent as sender -> receiver; after the swap the frame reads receiver -> sender.
        if (!rte_is_same_ether_addr(&header->src_addr, &receiver) || !rte_is_same_ether_addr(&header->dst_addr, &sender)) {
            ++into.unswapped;
        }
        stamp s;
        std::memcpy(&s, header + 1, sizeof s);
        into.by_flow[s.flow].push_back(s.sequence);
    }
    rte_pktmbuf_free_bulk(frames, n);
}

void expect_every_frame_once_in_order(const arrivals& got, const char* direction) {
    BOOST_TEST(got.unswapped == 0u, direction);
    BOOST_TEST(got.by_flow.size() == flows, direction);
    for (const auto& [flow, sequences] : got.by_flow) {
        BOOST_TEST(sequences.size() == frames_per_flow, direction << " flow " << flow);
        for (std::uint32_t i = 0; i < sequences.size(); ++i) {
            if (sequences[i] != i) {
                BOOST_TEST(sequences[i] == i, direction << " flow " << flow << " position " << i);
                break;
            }
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(forwarder_on_net_ring)

BOOST_AUTO_TEST_CASE(every_frame_crosses_once_in_order_per_flow_with_macs_swapped) {
    rte_mempool* pool = rte_pktmbuf_pool_create("fwd_ring_test", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    BOOST_REQUIRE(pool);
    {
        wired_pair a = wire("fwdtest_a", pool), b = wire("fwdtest_b", pool);
        fwd::forwarder forwarder({a.forwarder_side.get(), b.forwarder_side.get()}, 0, 32);
        arrivals at_b, at_a;
        // Round-robin over the flows, a burst of 16 frames each way per step, so the
        // flows interleave on the rings; the forwarder and both receivers run between bursts.
        const unsigned total = flows * frames_per_flow;
        unsigned sent = 0;
        for (int idle_passes = 0; idle_passes < 1000;) {
            if (sent < total) {
                for (auto [peer, source, destination] :
                     {std::tuple{a.peer_side.get(), peer_a_mac, peer_b_mac}, std::tuple{b.peer_side.get(), peer_b_mac, peer_a_mac}}) {
                    rte_mbuf* burst[16];
                    for (unsigned i = 0; i < 16; ++i) {
                        const unsigned n = sent + i;
                        burst[i] = stamped_frame(pool, source, destination,
                                                 {std::uint16_t(n % flows), std::uint32_t(n / flows)});
                    }
                    const std::uint16_t queued = peer->tx_burst(0, burst, 16);
                    BOOST_REQUIRE_EQUAL(queued, 16);  // 1024-slot rings, drained every step
                }
                sent += 16;
            }
            const bool forwarded = forwarder.poll();
            collect(*b.peer_side, peer_a_mac, peer_b_mac, at_b);
            collect(*a.peer_side, peer_b_mac, peer_a_mac, at_a);
            idle_passes = (forwarded || sent < total) ? 0 : idle_passes + 1;
        }
        expect_every_frame_once_in_order(at_b, "a -> b");
        expect_every_frame_once_in_order(at_a, "b -> a");
        for (const auto& direction : forwarder.counters()) {
            BOOST_TEST(direction.received == total);
            BOOST_TEST(direction.sent == total);
            BOOST_TEST(direction.dropped == 0u);
        }
        for (wired_pair* pair : {&a, &b}) {
            pair->forwarder_side->close();
            pair->peer_side->close();
            rte_ring_free(pair->to_forwarder);
            rte_ring_free(pair->to_peer);
        }
    }
    BOOST_TEST(rte_mempool_avail_count(pool) == 4095u);
    rte_mempool_free(pool);
}

BOOST_AUTO_TEST_SUITE_END()
