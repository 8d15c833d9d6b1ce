// sluice::sim::pcap_file writes classic libpcap files (nanosecond variant, Ethernet
// link type) that tshark and tcpdump read; sim::pcap_device is a decorator over any
// net::device that records every frame it passes up (rx) and down (tx). The decorator
// does not own the device it wraps; it owns one file per queue, so each queue's shard
// writes only its own file (docs/architecture.md, rule 1) -- merge them with mergecap if needed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sluice/core/result.hh"
#include "sluice/net/device.hh"
#include "sluice/sim/link_profile.hh"

struct rte_mbuf;

namespace sluice::sim {

// File format: https://wiki.wireshark.org/Development/LibpcapFileFormat. Values are in
// this host's byte order; readers tell the order from the magic number.
namespace pcap {
inline constexpr std::uint32_t magic_nanoseconds = 0xa1b23c4d;
inline constexpr std::uint32_t magic_microseconds = 0xa1b2c3d4;
inline constexpr std::uint16_t version_major = 2;
inline constexpr std::uint16_t version_minor = 4;
inline constexpr std::uint32_t linktype_ethernet = 1;
inline constexpr std::size_t file_header_size = 24;
inline constexpr std::size_t record_header_size = 16;
}  // namespace pcap

class pcap_file {
public:
    // Creates (or truncates) `path` and writes the file header. Frames longer than
    // `snap_length` are cut to it; the record keeps their original length.
    static result<std::unique_ptr<pcap_file>> create(const std::string& path, std::uint32_t snap_length = 65535);

    pcap_file(const pcap_file&) = delete;
    pcap_file& operator=(const pcap_file&) = delete;
    ~pcap_file();  // flushes and closes

    // Appends one record for `frame` (all its segments) to `out` without writing it, so
    // a caller can encode frames before handing them on and write only what went.
    void encode(nanoseconds timestamp, const rte_mbuf* frame, std::vector<std::byte>& out) const;
    // Writes `count` records already encoded into `records`.
    void write_encoded(std::span<const std::byte> records, std::size_t count);
    void write(nanoseconds timestamp, const rte_mbuf* frame);
    void flush();

    const std::string& path() const noexcept { return path_; }
    std::uint64_t records() const noexcept { return records_; }
    std::uint64_t write_errors() const noexcept { return write_errors_; }  // records the file refused

private:
    pcap_file(std::FILE* file, std::string path, std::uint32_t snap_length);

    std::FILE* file_;
    std::string path_;
    std::uint32_t snap_length_;
    std::uint64_t records_ = 0;
    std::uint64_t write_errors_ = 0;
    std::vector<std::byte> scratch_;  // write()'s encoding buffer, reused
};

class pcap_device final : public net::device {
public:
    // Time for each record: virtual time in the sim (e.g. [&w] { return w.now(); }), or
    // realtime_clock() (since the Unix epoch). Called once per burst that moves frames.
    using clock_function = std::function<nanoseconds()>;
    static clock_function realtime_clock();

    // Wraps `inner` (which must outlive the decorator). One queue: the file is `path`;
    // several: file_path(path, q, n) for each queue q.
    static result<std::unique_ptr<pcap_device>> open(net::device& inner, const std::string& path, clock_function now,
                                                     std::uint32_t snap_length = 65535);
    // "trace.pcap" for queue 2 of 4 is "trace.q2.pcap"; with one queue, `path` itself.
    static std::string file_path(const std::string& path, unsigned queue, unsigned queues);

    const std::string& name() const override { return inner_.name(); }
    unsigned queue_count() const override { return inner_.queue_count(); }
    net::offload_flags offloads() const override { return inner_.offloads(); }
    net::ethernet_address mac() const override { return inner_.mac(); }
    net::link_status link() const override { return inner_.link(); }
    std::vector<net::queue_counters> counters() const override { return inner_.counters(); }
    // The inner device's, then pcap_records and pcap_write_errors over all files.
    std::vector<std::pair<std::string, std::uint64_t>> extended_stats() const override;

    std::uint16_t rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) override;
    // Records only the frames the inner device took (encoded before, since it may free
    // them at once), so a frame the caller sends again is recorded once.
    std::uint16_t tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) override;

    // Pushes what is buffered to the files (so a reader sees it while the device lives).
    void flush();
    const pcap_file& file(unsigned queue) const { return *files_.at(queue).file; }

private:
    struct queue_file {
        std::unique_ptr<pcap_file> file;
        std::vector<std::byte> staged;   // tx records encoded before the inner burst
        std::vector<std::size_t> ends;   // where each staged record ends
    };
    pcap_device(net::device& inner, clock_function now, std::vector<queue_file> files);

    net::device& inner_;
    clock_function now_;
    std::vector<queue_file> files_;
};

}  // namespace sluice::sim
