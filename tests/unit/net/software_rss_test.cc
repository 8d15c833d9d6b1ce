// software_rss on real shards: one device queue, four shards. Every frame of a flow
// reaches one shard, the flow's reply direction reaches the same shard, order within a
// flow is kept, nothing is lost, and a shard with no device queue still transmits.
#include <boost/test/unit_test.hpp>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "sluice/core/cross_core.hh"
#include "sluice/core/runtime.hh"
#include "sluice/core/shard.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/submit_to.hh"
#include "sluice/core/topology.hh"
#include "sluice/dpdk/eal.hh"
#include "sluice/net/software_rss.hh"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

// A one-queue device fed from a script: rx_burst hands out the scripted frames in order,
// tx_burst keeps what it is given. Touched only by shard 0 (its one queue).
class scripted_device final : public net::device {
public:
    std::vector<rte_mbuf*> to_receive;
    std::size_t next = 0;
    std::vector<rte_mbuf*> transmitted;

    const std::string& name() const override { return name_; }
    unsigned queue_count() const override { return 1; }
    net::offload_flags offloads() const override { return flags; }
    net::offload_flags flags;
    net::ethernet_address mac() const override { return {}; }
    net::link_status link() const override { return {true, 0, true}; }
    std::vector<net::queue_counters> counters() const override { return {}; }
    std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const override { return {}; }
    std::uint16_t rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) override {
        BOOST_REQUIRE_EQUAL(queue, 0u);
        std::uint16_t n = 0;
        while (n < max && next < to_receive.size()) frames[n++] = to_receive[next++];
        return n;
    }
    std::uint16_t tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) override {
        BOOST_REQUIRE_EQUAL(queue, 0u);
        transmitted.insert(transmitted.end(), frames, frames + count);
        return count;
    }

private:
    std::string name_ = "scripted";
};

struct flow {
    std::uint32_t a_addr, b_addr;
    std::uint16_t a_port, b_port;
    std::uint8_t protocol;
};

// Ethernet + IPv4 + 8 bytes of TCP/UDP ports, then (flow id, direction, sequence).
rte_mbuf* make_frame(rte_mempool* pool, const flow& f, bool reply, std::uint32_t flow_id, std::uint32_t sequence) {
    rte_mbuf* frame = rte_pktmbuf_alloc(pool);
    BOOST_REQUIRE(frame);
    auto* bytes = reinterpret_cast<std::uint8_t*>(rte_pktmbuf_append(frame, 14 + 20 + 8 + 12));
    BOOST_REQUIRE(bytes);
    std::memset(bytes, 0, 14 + 20 + 8 + 12);
    auto put16 = [&](std::size_t at, std::uint16_t v) { bytes[at] = std::uint8_t(v >> 8), bytes[at + 1] = std::uint8_t(v); };
    auto put32 = [&](std::size_t at, std::uint32_t v) { put16(at, std::uint16_t(v >> 16)), put16(at + 2, std::uint16_t(v)); };
    put16(12, 0x0800);
    bytes[14] = 0x45;
    put16(14 + 2, 20 + 8 + 12);  // total length: a well-formed header (the hash parses it)
    bytes[14 + 9] = f.protocol;
    put32(14 + 12, reply ? f.b_addr : f.a_addr);
    put32(14 + 16, reply ? f.a_addr : f.b_addr);
    put16(34, reply ? f.b_port : f.a_port);
    put16(36, reply ? f.a_port : f.b_port);
    put32(42, flow_id);
    put32(46, reply ? 1 : 0);
    put32(50, sequence);
    return frame;
}

std::uint32_t field(const rte_mbuf* frame, std::size_t at) {
    const auto* b = rte_pktmbuf_mtod(frame, const std::uint8_t*);
    return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 | std::uint32_t(b[at + 2]) << 8 | b[at + 3];
}

struct arrival {
    std::uint32_t flow_id, reply, sequence;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(software_rss_steering)

BOOST_AUTO_TEST_CASE(each_flow_and_its_reply_reach_one_shard_in_order_and_nothing_is_lost) {
    rte_mempool* pool = rte_pktmbuf_pool_create("software_rss_test", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    BOOST_REQUIRE(pool);
    scripted_device device;
    std::mt19937_64 random(7);
    std::vector<flow> flows;
    for (int i = 0; i < 200; ++i) {
        flows.push_back({0xc6120000u | std::uint32_t(random() & 0xffff), 0xc6130000u | std::uint32_t(random() & 0xffff),
                         std::uint16_t(1024 + random() % 60000), std::uint16_t(1024 + random() % 60000),
                         std::uint8_t(i % 2 ? 6 : 17)});
    }
    // 20 frames per flow, each direction, interleaved across flows as a link would.
    std::vector<std::uint32_t> next_sequence(flows.size() * 2, 0);
    for (int round = 0; round < 20; ++round) {
        for (std::uint32_t id = 0; id < flows.size(); ++id) {
            for (bool reply : {false, true}) {
                device.to_receive.push_back(make_frame(pool, flows[id], reply, id, next_sequence[id * 2 + reply]++));
            }
        }
    }
    // One non-IPv4 frame (ARP): kept by the polling shard.
    rte_mbuf* arp = rte_pktmbuf_alloc(pool);
    auto* arp_bytes = reinterpret_cast<std::uint8_t*>(rte_pktmbuf_append(arp, 60));
    std::memset(arp_bytes, 0, 60);
    arp_bytes[12] = 0x08, arp_bytes[13] = 0x06;
    device.to_receive.push_back(arp);
    const std::size_t total = device.to_receive.size();

    constexpr unsigned shards = 4;
    net::software_rss steered(device, shards);
    std::vector<std::vector<arrival>> arrivals(shards);  // [shard], each written only by that shard

    struct receiver final : poller {
        net::software_rss* rss;
        std::vector<arrival>* out;
        unsigned queue;
        bool poll() override {
            rte_mbuf* frames[32];
            const std::uint16_t n = rss->rx_burst(queue, frames, 32);
            for (std::uint16_t i = 0; i < n; ++i) {
                if (rte_pktmbuf_data_len(frames[i]) >= 54 && field(frames[i], 12) >> 16 == 0x0800) {
                    out->push_back({field(frames[i], 42), field(frames[i], 46), field(frames[i], 50)});
                } else {
                    out->push_back({~0u, 0, 0});
                }
                rte_pktmbuf_free(frames[i]);
            }
            return n != 0;
        }
    };
    std::vector<std::unique_ptr<receiver>> receivers(shards);

    auto topo = topology::discover();
    BOOST_REQUIRE(topo.ok());
    runtime_config config;
    for (unsigned s = 0; s < shards; ++s) config.cpus.push_back(topo->allowed_cpus()[s % topo->allowed_cpus().size()]);
    config.report_placement = false;
    config.shard_hooks.push_back(dpdk::eal::lcore_hook());
    config.shard_hooks.push_back({[&](shard& s) -> result<void> {
                                      receivers[s.id()] = std::make_unique<receiver>();
                                      receivers[s.id()]->rss = &steered;
                                      receivers[s.id()]->out = &arrivals[s.id()];
                                      receivers[s.id()]->queue = s.id();
                                      s.add_poller(*receivers[s.id()], loop_stage::receive);
                                      return {};
                                  },
                                  [&](shard& s) { s.remove_poller(*receivers[s.id()]); }});
    runtime engine(config);
    std::size_t transmitted_via_shard0 = 0;
    auto outcome = engine.run([&]() -> task<int> {
        // Wait until every shard has taken all it was sent (bounded: 10 s).
        for (int waited = 0; waited < 10000; ++waited) {
            std::size_t seen = 0;
            for (unsigned s = 0; s < shards; ++s) {
                auto count_arrivals = [&arrivals, s] { return arrivals[s].size(); };
                seen += co_await submit_to(s, std::move(count_arrivals));
            }
            if (seen == total) break;
            co_await sleep_for(1ms);
        }
        // Shard 3 has no device queue: its frames leave through shard 0's.
        auto send_from_3 = [&]() -> task<std::uint16_t> {
            rte_mbuf* frames[5];
            for (auto& frame : frames) frame = make_frame(pool, flows[0], false, 0, 999);
            const std::uint16_t accepted = steered.tx_burst(3, frames, 5);
            for (std::uint16_t i = accepted; i < 5; ++i) rte_pktmbuf_free(frames[i]);
            co_return accepted;
        };
        const std::uint16_t accepted = co_await submit_to(3, std::move(send_from_3));
        for (int waited = 0; waited < 10000 && device.transmitted.size() < accepted; ++waited) co_await sleep_for(1ms);
        transmitted_via_shard0 = device.transmitted.size();
        co_return accepted;
    });
    BOOST_REQUIRE(outcome.ok());
    BOOST_CHECK_EQUAL(*outcome, 5);
    BOOST_CHECK_EQUAL(transmitted_via_shard0, 5u);

    std::size_t delivered = 0;
    std::map<std::uint32_t, unsigned> flow_shard;
    std::vector<std::uint32_t> expected(flows.size() * 2, 0);
    std::set<unsigned> shards_used;
    for (unsigned s = 0; s < shards; ++s) {
        delivered += arrivals[s].size();
        for (const arrival& a : arrivals[s]) {
            if (a.flow_id == ~0u) {
                BOOST_CHECK_EQUAL(s, 0u);  // unhashed: the polling shard keeps it
                continue;
            }
            shards_used.insert(s);
            auto [it, first] = flow_shard.emplace(a.flow_id, s);
            BOOST_REQUIRE_MESSAGE(it->second == s, "flow " << a.flow_id << " reached shards " << it->second << " and " << s);
            BOOST_REQUIRE_EQUAL(a.sequence, expected[a.flow_id * 2 + a.reply]++);  // in order, once
        }
    }
    BOOST_CHECK_EQUAL(delivered, total);
    BOOST_CHECK_EQUAL(shards_used.size(), shards);  // 200 flows spread over every shard
    std::uint64_t steered_count = 0, dropped = 0;
    for (unsigned s = 0; s < shards; ++s) {
        steered_count += steered.counters_of(s).steered;
        dropped += steered.counters_of(s).dropped_inbox_full;
    }
    BOOST_CHECK_EQUAL(dropped, 0u);
    BOOST_CHECK_GT(steered_count, 0u);

    for (rte_mbuf* frame : device.transmitted) rte_pktmbuf_free(frame);
    BOOST_CHECK_EQUAL(rte_mempool_in_use_count(pool), 0u);
    rte_mempool_free(pool);
}

BOOST_AUTO_TEST_CASE(the_devices_hash_decides_the_shard_only_when_it_hashes_as_software_does) {
    rte_mempool* pool = rte_pktmbuf_pool_create("software_rss_hash", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    BOOST_REQUIRE(pool);
    const flow f{0xc6120001u, 0xc6130002u, 4000, 5000, 17};
    const auto owners_for_hashes_0_to_3 = [&](net::software_rss& steered, rte_mbuf* frame) {
        std::set<unsigned> owners;
        for (std::uint32_t hash = 0; hash < 4; ++hash) {  // table entries 0..3: shards 0..3
            frame->hash.rss = hash;
            frame->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
            owners.insert(steered.owner_of(frame, 0));
        }
        return owners;
    };
    for (bool device_hashes_like_software : {false, true}) {
        BOOST_TEST_CONTEXT("device hash trusted: " << device_hashes_like_software) {
            scripted_device device;
            device.flags.rss_hash_in_mbuf = device_hashes_like_software;
            net::software_rss steered(device, 4);
            rte_mbuf* frame = make_frame(pool, f, false, 0, 0);
            const std::span<const std::byte> bytes(rte_pktmbuf_mtod(frame, const std::byte*), frame->data_len);
            const unsigned by_bytes = steered.owner_of(bytes, 0);
            BOOST_CHECK_EQUAL(steered.owner_of(frame, 0), by_bytes);  // no hash flag: the bytes decide
            const auto owners = owners_for_hashes_0_to_3(steered, frame);
            if (device_hashes_like_software) {
                BOOST_CHECK((owners == std::set<unsigned>{0, 1, 2, 3}));
            } else {
                BOOST_CHECK((owners == std::set<unsigned>{by_bytes}));
            }
            rte_pktmbuf_free(frame);
        }
    }
    // Another key in software than the device's symmetric one: the device's hash is ignored.
    scripted_device device;
    device.flags.rss_hash_in_mbuf = true;
    net::software_rss steered(device, 4, net::microsoft_default_key());
    rte_mbuf* frame = make_frame(pool, f, false, 0, 0);
    const std::span<const std::byte> bytes(rte_pktmbuf_mtod(frame, const std::byte*), frame->data_len);
    BOOST_CHECK((owners_for_hashes_0_to_3(steered, frame) == std::set<unsigned>{steered.owner_of(bytes, 0)}));
    rte_pktmbuf_free(frame);
    rte_mempool_free(pool);
}

BOOST_AUTO_TEST_SUITE_END()
