// sim::fault_device around a scripted device, on a test clock: with no faults every frame
// passes in order; loss drops about its share and the same seed drops the same frames;
// duplication and corruption make private copies; delay holds frames until their time;
// reordering lets at most reorder_distance later frames overtake and loses nothing; on
// transmit, frames the inner device refuses wait first in line; nothing leaks.
#include <boost/test/unit_test.hpp>

#include <rte_mbuf.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "sluice/sim/fault_device.hh"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

// One queue; rx_burst hands out the scripted frames, tx_burst keeps up to `tx_room` of what
// it is given (then refuses) and records their sequence numbers.
class scripted_device final : public net::device {
public:
    std::vector<rte_mbuf*> to_receive;
    std::size_t next = 0;
    std::vector<std::uint32_t> transmitted;
    std::size_t tx_room = SIZE_MAX;

    const std::string& name() const override { return name_; }
    unsigned queue_count() const override { return 1; }
    net::offload_flags offloads() const override { return {}; }
    net::ethernet_address mac() const override { return {}; }
    net::link_status link() const override { return {true, 0, true}; }
    std::vector<net::queue_counters> counters() const override { return {}; }
    std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const override { return {}; }
    std::uint16_t rx_burst(unsigned, rte_mbuf** frames, std::uint16_t max) override {
        std::uint16_t n = 0;
        while (n < max && next < to_receive.size()) frames[n++] = to_receive[next++];
        return n;
    }
    std::uint16_t tx_burst(unsigned, rte_mbuf** frames, std::uint16_t count) override;

private:
    std::string name_ = "scripted";
};

std::uint32_t sequence_of(const rte_mbuf* frame) {
    std::uint32_t value;
    std::memcpy(&value, rte_pktmbuf_mtod(frame, const void*), sizeof value);
    return value;
}

std::uint16_t scripted_device::tx_burst(unsigned, rte_mbuf** frames, std::uint16_t count) {
    std::uint16_t taken = 0;
    while (taken < count && transmitted.size() < tx_room) {
        transmitted.push_back(sequence_of(frames[taken]));
        rte_pktmbuf_free(frames[taken]);
        ++taken;
    }
    return taken;
}

struct fixture {
    rte_mempool* pool = nullptr;
    scripted_device inner;
    sim::nanoseconds time{0};

    fixture() {
        static int serial = 0;
        pool = rte_pktmbuf_pool_create(("fault_device_" + std::to_string(serial++)).c_str(), 4095, 0, 0,
                                       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        BOOST_REQUIRE(pool);
    }
    ~fixture() {
        for (std::size_t i = inner.next; i < inner.to_receive.size(); ++i) rte_pktmbuf_free(inner.to_receive[i]);
        BOOST_CHECK_EQUAL(rte_mempool_avail_count(pool), 4095u);  // nothing leaked
        rte_mempool_free(pool);
    }
    rte_mbuf* frame(std::uint32_t sequence) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool);
        BOOST_REQUIRE(m);
        char* bytes = rte_pktmbuf_append(m, 64);
        BOOST_REQUIRE(bytes);
        // Through a span: GCC 12 cannot see that append's pointer has 64 bytes behind it.
        const std::span<char> frame_bytes(bytes, 64);
        std::fill(frame_bytes.begin(), frame_bytes.end(), char(0));
        std::memcpy(frame_bytes.data(), &sequence, sizeof sequence);
        return m;
    }
    void script(std::uint32_t count) {
        for (std::uint32_t i = 0; i < count; ++i) inner.to_receive.push_back(frame(i));
    }
    sim::fault_device_config config(const sim::link_profile& receive, std::uint64_t seed = 1) {
        sim::fault_device_config c;
        c.receive = receive;
        c.seed = seed;
        c.now = [this] { return time; };
        return c;
    }
    // Polls until nothing more comes and nothing waits, advancing the clock 1 ms a step.
    std::vector<std::uint32_t> drain(sim::fault_device& device, std::vector<std::vector<std::byte>>* bytes = nullptr) {
        std::vector<std::uint32_t> got;
        for (int step = 0; step < 10000; ++step) {
            rte_mbuf* frames[32];
            const std::uint16_t n = device.rx_burst(0, frames, 32);
            for (std::uint16_t i = 0; i < n; ++i) {
                got.push_back(sequence_of(frames[i]));
                if (bytes) {
                    const auto* data = rte_pktmbuf_mtod(frames[i], const std::byte*);
                    bytes->emplace_back(data, data + rte_pktmbuf_data_len(frames[i]));
                }
                rte_pktmbuf_free(frames[i]);
            }
            if (n == 0 && device.waiting() == 0 && inner.next == inner.to_receive.size()) break;
            if (n == 0) time += 1ms;
        }
        return got;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(fault_device)

BOOST_AUTO_TEST_CASE(with_no_faults_every_frame_passes_in_order_at_once) {
    fixture f;
    f.script(100);
    sim::fault_device device(f.inner, f.config({}));
    rte_mbuf* frames[128];
    const std::uint16_t n = device.rx_burst(0, frames, 128);
    BOOST_REQUIRE_EQUAL(n, 64u);  // one inner burst of at most 64 per call
    for (std::uint16_t i = 0; i < n; ++i) {
        BOOST_CHECK_EQUAL(sequence_of(frames[i]), i);
        rte_pktmbuf_free(frames[i]);
    }
    const auto rest = f.drain(device);
    BOOST_REQUIRE_EQUAL(rest.size(), 36u);
    BOOST_CHECK_EQUAL(rest.front(), 64u);
    BOOST_CHECK_EQUAL(device.receive_counters(0).passed, 100u);
}

BOOST_AUTO_TEST_CASE(loss_drops_about_its_share_and_the_same_seed_drops_the_same_frames) {
    sim::link_profile lossy;
    lossy.loss = 0.2;
    std::vector<std::uint32_t> runs[3];
    const std::uint64_t seeds[3] = {7, 7, 8};
    for (int run = 0; run < 3; ++run) {
        fixture f;
        f.script(2000);
        sim::fault_device device(f.inner, f.config(lossy, seeds[run]));
        runs[run] = f.drain(device);
        BOOST_CHECK_EQUAL(device.receive_counters(0).lost + runs[run].size(), 2000u);
    }
    BOOST_CHECK_GT(runs[0].size(), 2000u * 70 / 100);
    BOOST_CHECK_LT(runs[0].size(), 2000u * 90 / 100);
    BOOST_CHECK(runs[0] == runs[1]);  // same seed, same trace
    BOOST_CHECK(runs[0] != runs[2]);
    for (std::size_t i = 1; i < runs[0].size(); ++i) BOOST_REQUIRE_LT(runs[0][i - 1], runs[0][i]);  // order kept
}

BOOST_AUTO_TEST_CASE(duplication_sends_a_second_copy_and_corruption_flips_one_bit_of_a_copy) {
    {
        fixture f;
        f.script(50);
        sim::link_profile twice;
        twice.duplicate = 1.0;
        sim::fault_device device(f.inner, f.config(twice));
        const auto got = f.drain(device);
        BOOST_REQUIRE_EQUAL(got.size(), 100u);
        for (std::size_t i = 0; i < got.size(); ++i) BOOST_CHECK_EQUAL(got[i], i / 2);
        BOOST_CHECK_EQUAL(device.receive_counters(0).duplicated, 50u);
    }
    {
        fixture f;
        f.script(50);
        sim::link_profile flipped;
        flipped.corrupt = 1.0;
        sim::fault_device device(f.inner, f.config(flipped));
        std::vector<std::vector<std::byte>> bytes;
        const auto got = f.drain(device, &bytes);
        BOOST_REQUIRE_EQUAL(bytes.size(), 50u);
        BOOST_CHECK_EQUAL(device.receive_counters(0).corrupted, 50u);
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            // Compared with the frame as it was made: exactly one bit differs.
            std::vector<std::byte> original(64, std::byte{0});
            const auto sequence = std::uint32_t(i);
            std::memcpy(original.data(), &sequence, sizeof sequence);
            int differing_bits = 0;
            for (std::size_t b = 0; b < 64; ++b) {
                differing_bits += __builtin_popcount(std::to_integer<unsigned>(bytes[i][b] ^ original[b]));
            }
            BOOST_CHECK_EQUAL(differing_bits, 1);
        }
    }
}

BOOST_AUTO_TEST_CASE(delay_holds_each_frame_until_its_time) {
    fixture f;
    f.script(10);
    sim::link_profile slow;
    slow.delay = 5ms;
    sim::fault_device device(f.inner, f.config(slow));
    rte_mbuf* frames[32];
    BOOST_CHECK_EQUAL(device.rx_burst(0, frames, 32), 0u);  // taken in, not yet due
    BOOST_CHECK_EQUAL(device.waiting(), 10u);
    f.time += 4ms;
    BOOST_CHECK_EQUAL(device.rx_burst(0, frames, 32), 0u);
    f.time += 1ms;
    const std::uint16_t n = device.rx_burst(0, frames, 32);
    BOOST_REQUIRE_EQUAL(n, 10u);
    for (std::uint16_t i = 0; i < n; ++i) {
        BOOST_CHECK_EQUAL(sequence_of(frames[i]), i);
        rte_pktmbuf_free(frames[i]);
    }
    BOOST_CHECK_EQUAL(device.receive_counters(0).delayed, 10u);
}

BOOST_AUTO_TEST_CASE(reordering_lets_at_most_the_distance_overtake_and_loses_nothing) {
    fixture f;
    f.script(1000);
    sim::link_profile shuffled;
    shuffled.reorder = 0.3;
    shuffled.reorder_distance = 3;
    sim::fault_device device(f.inner, f.config(shuffled, 3));
    const auto got = f.drain(device);
    BOOST_REQUIRE_EQUAL(got.size(), 1000u);
    std::vector<bool> seen(1000, false);
    std::size_t out_of_order = 0;
    for (std::size_t position = 0; position < got.size(); ++position) {
        BOOST_REQUIRE(!seen[got[position]]);  // exactly once
        seen[got[position]] = true;
        // A frame arrives no more than reorder_distance places after where it was sent.
        BOOST_CHECK_LE(position, std::size_t(got[position]) + 3);
        if (position > 0 && got[position] < got[position - 1]) ++out_of_order;
    }
    BOOST_CHECK_GT(out_of_order, 0u);
    BOOST_CHECK_GT(device.receive_counters(0).reordered, 0u);
}

BOOST_AUTO_TEST_CASE(transmit_faults_apply_before_the_device_and_refused_frames_wait_first_in_line) {
    fixture f;
    sim::fault_device_config config = f.config({});
    config.transmit.loss = 0.5;
    config.seed = 11;
    f.inner.tx_room = 10;
    sim::fault_device device(f.inner, config);
    std::vector<rte_mbuf*> frames;
    for (std::uint32_t i = 0; i < 100; ++i) frames.push_back(f.frame(i));
    const std::uint16_t accepted = device.tx_burst(0, frames.data(), 100);
    BOOST_CHECK_EQUAL(accepted, 100u);
    const auto lost = device.transmit_counters(0).lost;
    BOOST_CHECK_GT(lost, 25u);
    BOOST_CHECK_LT(lost, 75u);
    BOOST_CHECK_EQUAL(f.inner.transmitted.size(), 10u);  // the device took 10; the rest wait
    f.inner.tx_room = SIZE_MAX;
    rte_mbuf* none[1];
    (void)device.rx_burst(0, none, 1);  // the owning shard's poll sends what waits
    BOOST_CHECK_EQUAL(f.inner.transmitted.size(), 100u - lost);
    for (std::size_t i = 1; i < f.inner.transmitted.size(); ++i) {
        BOOST_CHECK_LT(f.inner.transmitted[i - 1], f.inner.transmitted[i]);
    }
    BOOST_CHECK_EQUAL(device.waiting(), 0u);
}

BOOST_AUTO_TEST_CASE(destroying_the_decorator_frees_the_frames_that_wait) {
    fixture f;
    f.script(20);
    sim::link_profile slow;
    slow.delay = 1s;
    {
        sim::fault_device device(f.inner, f.config(slow));
        rte_mbuf* frames[32];
        BOOST_CHECK_EQUAL(device.rx_burst(0, frames, 32), 0u);
        BOOST_CHECK_EQUAL(device.waiting(), 20u);
    }  // the fixture checks the pool is full again
}

BOOST_AUTO_TEST_SUITE_END()
