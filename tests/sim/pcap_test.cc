// sim::pcap_device: the files it writes hold the right headers, timestamps (here the
// wire's virtual time) and bytes, read back by a reader written here and by tshark;
// snap length, multi-segment frames, frames the inner device refused, one file per queue.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sluice/sim/pcap_writer.hh"
#include "tests/sim/sim_support.hh"

using namespace sluice;
using namespace sluice::testing;
using namespace std::chrono_literals;

namespace {

struct pcap_record {
    std::uint32_t seconds, nanoseconds, captured, length;
    std::vector<std::uint8_t> bytes;
};

struct pcap_contents {
    std::uint32_t magic = 0;
    std::uint16_t major = 0, minor = 0;
    std::int32_t zone = -1;
    std::uint32_t sigfigs = 1, snap_length = 0, linktype = 0;
    std::vector<pcap_record> records;
    bool complete = false;  // no bytes left over after the last record
};

// The reader: host byte order, as the writer writes; fields at the offsets the format
// defines (24-byte file header, 16-byte record headers).
pcap_contents read_pcap(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    pcap_contents out;
    auto field = [&file](std::size_t offset, auto& value) { std::memcpy(&value, file.data() + offset, sizeof value); };
    if (file.size() < sim::pcap::file_header_size) return out;
    field(0, out.magic);
    field(4, out.major);
    field(6, out.minor);
    field(8, out.zone);
    field(12, out.sigfigs);
    field(16, out.snap_length);
    field(20, out.linktype);
    std::size_t at = sim::pcap::file_header_size;
    while (at + sim::pcap::record_header_size <= file.size()) {
        pcap_record record;
        field(at, record.seconds);
        field(at + 4, record.nanoseconds);
        field(at + 8, record.captured);
        field(at + 12, record.length);
        at += sim::pcap::record_header_size;
        if (at + record.captured > file.size()) return out;
        record.bytes.assign(file.begin() + std::ptrdiff_t(at), file.begin() + std::ptrdiff_t(at + record.captured));
        at += record.captured;
        out.records.push_back(std::move(record));
    }
    out.complete = at == file.size();
    return out;
}

// A file name unique to this process and test, removed when the test ends.
struct temp_path {
    std::string path;
    explicit temp_path(const std::string& name)
        : path((std::filesystem::temp_directory_path() /
                ("sluice_sim_" + std::to_string(::getpid()) + "_" + name + ".pcap")).string()) {}
    ~temp_path() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        for (int q = 0; q < 4; ++q) std::filesystem::remove(sim::pcap_device::file_path(path, unsigned(q), 4), ignored);
    }
};

rte_mbuf* two_segments(rte_mempool* pool, const net::ethernet_address& to, std::uint32_t sequence) {
    rte_mbuf* head = make_frame(pool, to, mac_of(1), sequence, 40);
    rte_mbuf* tail = rte_pktmbuf_alloc(pool);
    BOOST_REQUIRE(tail);
    auto* data = reinterpret_cast<std::uint8_t*>(rte_pktmbuf_append(tail, 60));
    for (int i = 0; i < 60; ++i) data[i] = std::uint8_t(0xc0 + i);
    BOOST_REQUIRE_EQUAL(rte_pktmbuf_chain(head, tail), 0);
    return head;
}

// A device that takes at most two frames per tx burst (and frees them), like a full ring.
class stingy_device final : public net::device {
public:
    const std::string& name() const override { return name_; }
    unsigned queue_count() const override { return 1; }
    net::offload_flags offloads() const override { return {}; }
    net::ethernet_address mac() const override { return mac_of(1); }
    net::link_status link() const override { return {true, 0, true}; }
    std::vector<net::queue_counters> counters() const override { return {{}}; }
    std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const override { return {}; }
    std::uint16_t rx_burst(unsigned, rte_mbuf**, std::uint16_t) override { return 0; }
    std::uint16_t tx_burst(unsigned, rte_mbuf** frames, std::uint16_t count) override {
        const std::uint16_t taken = std::min<std::uint16_t>(count, 2);
        for (std::uint16_t i = 0; i < taken; ++i) rte_pktmbuf_free(frames[i]);
        return taken;
    }

private:
    std::string name_ = "stingy";
};

boost::test_tools::assertion_result tshark_installed(boost::unit_test::test_unit_id) {
    boost::test_tools::assertion_result found(std::system("command -v tshark >/dev/null 2>&1") == 0);
    found.message() << "tshark is not installed (tools/install-deps installs it)";
    return found;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_pcap)

BOOST_AUTO_TEST_CASE(written_file_reads_back_with_headers_times_and_bytes) {
    test_pool pool;
    temp_path file("readback");
    sim::link_profile profile;
    profile.delay = 10us;
    two_ports wire(pool.pool, profile);
    std::vector<std::vector<std::uint8_t>> sent;
    {
        auto opened = sim::pcap_device::open(*wire.a, file.path, [&wire] { return wire.wire->now(); });
        BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.message()));
        sim::pcap_device& traced = **opened;
        BOOST_CHECK_EQUAL(traced.name(), "sim_a");
        wire.wire->advance_to(1s + 5ns);
        rte_mbuf* out[2] = {make_frame(pool.pool, mac_of(2), mac_of(1), 0, 64), two_segments(pool.pool, mac_of(2), 1)};
        sent = {bytes_of(out[0]), bytes_of(out[1])};
        BOOST_REQUIRE_EQUAL(traced.tx_burst(0, out, 2), 2);
        rte_mbuf* reply = make_frame(pool.pool, mac_of(1), mac_of(2), 2, 80);
        sent.push_back(bytes_of(reply));
        BOOST_REQUIRE_EQUAL(wire.b->tx_burst(0, &reply, 1), 1);
        wire.wire->advance_by(10us);
        rte_mbuf* in[4];
        BOOST_REQUIRE_EQUAL(traced.rx_burst(0, in, 4), 1);
        rte_pktmbuf_free(in[0]);
        std::vector<received> at_b;
        drain(*wire.b, at_b);
        BOOST_CHECK_EQUAL(at_b.size(), 2u);
        const auto stats = traced.extended_stats();
        BOOST_CHECK(stats.back() == (std::pair<std::string, std::uint64_t>{"pcap_write_errors", 0}));
        BOOST_CHECK(stats[stats.size() - 2] == (std::pair<std::string, std::uint64_t>{"pcap_records", 3}));
    }  // closing the decorator flushes and closes the file
    const pcap_contents contents = read_pcap(file.path);
    BOOST_CHECK_EQUAL(contents.magic, 0xa1b23c4du);
    BOOST_CHECK_EQUAL(contents.major, 2);
    BOOST_CHECK_EQUAL(contents.minor, 4);
    BOOST_CHECK_EQUAL(contents.zone, 0);
    BOOST_CHECK_EQUAL(contents.sigfigs, 0u);
    BOOST_CHECK_EQUAL(contents.snap_length, 65535u);
    BOOST_CHECK_EQUAL(contents.linktype, 1u);
    BOOST_CHECK(contents.complete);
    BOOST_REQUIRE_EQUAL(contents.records.size(), 3u);
    const std::uint32_t nanos[3] = {5, 5, 10'005};
    for (std::size_t i = 0; i < 3; ++i) {
        const pcap_record& record = contents.records[i];
        BOOST_CHECK_EQUAL(record.seconds, 1u);
        BOOST_CHECK_EQUAL(record.nanoseconds, nanos[i]);
        BOOST_CHECK_EQUAL(record.length, sent[i].size());
        BOOST_CHECK_EQUAL(record.captured, sent[i].size());
        BOOST_CHECK(record.bytes == sent[i]);
    }
}

BOOST_AUTO_TEST_CASE(snap_length_cuts_long_frames_but_keeps_their_length) {
    test_pool pool;
    temp_path file("snap");
    two_ports wire(pool.pool, {});
    std::vector<std::uint8_t> original;
    {
        auto opened = sim::pcap_device::open(*wire.a, file.path, [&wire] { return wire.wire->now(); }, 100);
        BOOST_REQUIRE(opened.ok());
        rte_mbuf* frame = make_frame(pool.pool, mac_of(2), mac_of(1), 0, 1000);
        original = bytes_of(frame);
        BOOST_REQUIRE_EQUAL((*opened)->tx_burst(0, &frame, 1), 1);
    }
    std::vector<received> at_b;
    drain(*wire.b, at_b);
    const pcap_contents contents = read_pcap(file.path);
    BOOST_CHECK_EQUAL(contents.snap_length, 100u);
    BOOST_REQUIRE_EQUAL(contents.records.size(), 1u);
    BOOST_CHECK_EQUAL(contents.records[0].captured, 100u);
    BOOST_CHECK_EQUAL(contents.records[0].length, 1000u);
    BOOST_CHECK(contents.records[0].bytes == std::vector<std::uint8_t>(original.begin(), original.begin() + 100));
}

BOOST_AUTO_TEST_CASE(only_frames_the_inner_device_took_are_recorded) {
    test_pool pool;
    temp_path file("refused");
    stingy_device stingy;
    {
        auto opened = sim::pcap_device::open(stingy, file.path, sim::pcap_device::realtime_clock());
        BOOST_REQUIRE(opened.ok());
        rte_mbuf* frames[5];
        for (std::uint32_t i = 0; i < 5; ++i) frames[i] = make_frame(pool.pool, mac_of(2), mac_of(1), i);
        BOOST_REQUIRE_EQUAL((*opened)->tx_burst(0, frames, 5), 2);
        BOOST_REQUIRE_EQUAL((*opened)->tx_burst(0, frames + 2, 3), 2);  // the caller tries again
        rte_pktmbuf_free(frames[4]);
    }
    const pcap_contents contents = read_pcap(file.path);
    BOOST_REQUIRE_EQUAL(contents.records.size(), 4u);
    for (std::uint32_t i = 0; i < 4; ++i) {
        std::uint32_t sequence;
        std::memcpy(&sequence, contents.records[i].bytes.data() + 14, 4);
        BOOST_CHECK_EQUAL(sequence, i);  // each once, in order
    }
    BOOST_CHECK_GT(contents.records[0].seconds, 1'600'000'000u);  // real time: after 2020
}

BOOST_AUTO_TEST_CASE(each_queue_writes_its_own_file) {
    BOOST_CHECK_EQUAL(sim::pcap_device::file_path("/tmp/x/trace.pcap", 1, 2), "/tmp/x/trace.q1.pcap");
    BOOST_CHECK_EQUAL(sim::pcap_device::file_path("/tmp/x.d/trace", 0, 2), "/tmp/x.d/trace.q0");
    BOOST_CHECK_EQUAL(sim::pcap_device::file_path("/tmp/x/trace.pcap", 0, 1), "/tmp/x/trace.pcap");
    test_pool pool;
    temp_path file("queues");
    sim::wire_config config;
    config.pool = pool.pool;
    sim::wire wire(config);
    sim::port& a = wire.add_port("a", mac_of(1));
    sim::port& b = wire.add_port("b", mac_of(2), 2);
    b.set_queue_selector([](const rte_mbuf* frame) { return unsigned(sequence_of(frame)); });
    {
        auto opened = sim::pcap_device::open(b, file.path, [&wire] { return wire.now(); });
        BOOST_REQUIRE(opened.ok());
        for (std::uint32_t i = 0; i < 5; ++i) {
            rte_mbuf* frame = make_frame(pool.pool, mac_of(2), mac_of(1), i);
            BOOST_REQUIRE_EQUAL(a.tx_burst(0, &frame, 1), 1);
        }
        for (unsigned q = 0; q < 2; ++q) {
            rte_mbuf* in[8];
            const std::uint16_t n = (*opened)->rx_burst(q, in, 8);
            BOOST_CHECK_EQUAL(n, q == 0 ? 3 : 2);
            rte_pktmbuf_free_bulk(in, n);
        }
    }
    BOOST_CHECK_EQUAL(read_pcap(sim::pcap_device::file_path(file.path, 0, 2)).records.size(), 3u);
    BOOST_CHECK_EQUAL(read_pcap(sim::pcap_device::file_path(file.path, 1, 2)).records.size(), 2u);
}

BOOST_AUTO_TEST_CASE(an_unwritable_path_is_one_line_naming_the_fix) {
    two_ports wire(nullptr, {});
    auto opened = sim::pcap_device::open(*wire.a, "/nonexistent-folder/x.pcap", sim::pcap_device::realtime_clock());
    BOOST_REQUIRE(!opened.ok());
    BOOST_CHECK(opened.message().find("/nonexistent-folder/x.pcap") != std::string::npos);
    BOOST_CHECK(opened.message().find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(tshark_reads_the_file, *boost::unit_test::precondition(tshark_installed)) {
    test_pool pool;
    temp_path file("tshark");
    two_ports wire(pool.pool, {});
    {
        auto opened = sim::pcap_device::open(*wire.a, file.path, [&wire] { return wire.wire->now(); });
        BOOST_REQUIRE(opened.ok());
        rte_mbuf* frames[4] = {make_frame(pool.pool, mac_of(2), mac_of(1), 0, 60),
                               make_frame(pool.pool, mac_of(2), mac_of(1), 1, 100),
                               make_frame(pool.pool, mac_of(2), mac_of(1), 2, 1514),
                               two_segments(pool.pool, mac_of(2), 3)};
        for (int i = 0; i < 4; ++i) {
            wire.wire->advance_by(1ms);
            BOOST_REQUIRE_EQUAL((*opened)->tx_burst(0, frames + i, 1), 1);
        }
    }
    std::vector<received> at_b;
    drain(*wire.b, at_b);
    const std::string command = "tshark -r '" + file.path + "' -T fields -e frame.len -e eth.dst 2>/dev/null";
    std::FILE* pipe = ::popen(command.c_str(), "r");
    BOOST_REQUIRE(pipe);
    std::string output;
    char chunk[256];
    while (std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) output.append(chunk, n);
    const int status = ::pclose(pipe);
    BOOST_CHECK_EQUAL(status, 0);
    BOOST_CHECK_EQUAL(output,
                      "60\t02:00:00:00:00:02\n"
                      "100\t02:00:00:00:00:02\n"
                      "1514\t02:00:00:00:00:02\n"
                      "100\t02:00:00:00:00:02\n");
}

BOOST_AUTO_TEST_SUITE_END()
