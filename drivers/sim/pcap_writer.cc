// pcap_file and pcap_device: our own writer for the classic libpcap format (no libpcap
// dependency), with nanosecond timestamps so virtual time keeps its resolution.
#include "sluice/sim/pcap_writer.hh"

#include <rte_mbuf.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace sluice::sim {
namespace {

template <typename T>
void put(std::vector<std::byte>& out, T value) {
    const auto* bytes = reinterpret_cast<const std::byte*>(&value);
    out.insert(out.end(), bytes, bytes + sizeof value);
}

}  // namespace

result<std::unique_ptr<pcap_file>> pcap_file::create(const std::string& path, std::uint32_t snap_length) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
        return error{"cannot create pcap file " + path + " (" + std::strerror(errno) +
                     "); choose a path in a writable folder"};
    }
    std::unique_ptr<pcap_file> opened(new pcap_file(file, path, snap_length));
    std::vector<std::byte> header;
    put(header, pcap::magic_nanoseconds);
    put(header, pcap::version_major);
    put(header, pcap::version_minor);
    put(header, std::int32_t{0});   // thiszone: timestamps are UTC
    put(header, std::uint32_t{0});  // sigfigs: always 0
    put(header, snap_length);
    put(header, pcap::linktype_ethernet);
    if (std::fwrite(header.data(), 1, header.size(), file) != header.size()) {
        return error{"cannot write to pcap file " + path + " (" + std::strerror(errno) + "); check free space"};
    }
    return opened;
}

pcap_file::pcap_file(std::FILE* file, std::string path, std::uint32_t snap_length)
    : file_(file), path_(std::move(path)), snap_length_(snap_length) {}

pcap_file::~pcap_file() { std::fclose(file_); }

void pcap_file::encode(nanoseconds timestamp, const rte_mbuf* frame, std::vector<std::byte>& out) const {
    const std::int64_t ns = std::max<std::int64_t>(timestamp.count(), 0);
    const std::uint32_t length = rte_pktmbuf_pkt_len(frame);
    const std::uint32_t captured = std::min(length, snap_length_);
    put(out, std::uint32_t(ns / 1'000'000'000));
    put(out, std::uint32_t(ns % 1'000'000'000));
    put(out, captured);
    put(out, length);
    std::uint32_t left = captured;
    for (const rte_mbuf* segment = frame; segment != nullptr && left != 0; segment = segment->next) {
        const std::uint32_t take = std::min<std::uint32_t>(segment->data_len, left);
        const auto* bytes = rte_pktmbuf_mtod(segment, const std::byte*);
        out.insert(out.end(), bytes, bytes + take);
        left -= take;
    }
    // A chain shorter than its pkt_len claims (a broken mbuf): pad, keeping the record
    // consistent with its header rather than corrupting every record after it.
    out.insert(out.end(), left, std::byte{0});
}

void pcap_file::write_encoded(std::span<const std::byte> records, std::size_t count) {
    if (count == 0) return;
    if (std::fwrite(records.data(), 1, records.size(), file_) == records.size()) {
        records_ += count;
    } else {
        write_errors_ += count;
    }
}

void pcap_file::write(nanoseconds timestamp, const rte_mbuf* frame) {
    scratch_.clear();
    encode(timestamp, frame, scratch_);
    write_encoded(scratch_, 1);
}

void pcap_file::flush() { std::fflush(file_); }

pcap_device::clock_function pcap_device::realtime_clock() {
    return [] {
        return std::chrono::duration_cast<nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
    };
}

std::string pcap_device::file_path(const std::string& path, unsigned queue, unsigned queues) {
    if (queues <= 1) return path;
    const std::string tag = ".q" + std::to_string(queue);
    const std::size_t slash = path.find_last_of('/');
    const std::size_t dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + tag;
    return path.substr(0, dot) + tag + path.substr(dot);
}

result<std::unique_ptr<pcap_device>> pcap_device::open(net::device& inner, const std::string& path,
                                                       clock_function now, std::uint32_t snap_length) {
    if (!now) return error{"pcap_device for " + inner.name() + ": no clock given; pass realtime_clock() or the sim's"};
    const unsigned queues = inner.queue_count();
    std::vector<queue_file> files;
    for (unsigned q = 0; q < queues; ++q) {
        auto created = pcap_file::create(file_path(path, q, queues), snap_length);
        if (!created) return created.failure();
        files.push_back({std::move(*created), {}, {}});
    }
    return std::unique_ptr<pcap_device>(new pcap_device(inner, std::move(now), std::move(files)));
}

pcap_device::pcap_device(net::device& inner, clock_function now, std::vector<queue_file> files)
    : inner_(inner), now_(std::move(now)), files_(std::move(files)) {}

std::vector<std::pair<std::string, std::uint64_t>> pcap_device::extended_stats() const {
    auto stats = inner_.extended_stats();
    std::uint64_t records = 0, errors = 0;
    for (const auto& each : files_) {
        records += each.file->records();
        errors += each.file->write_errors();
    }
    stats.emplace_back("pcap_records", records);
    stats.emplace_back("pcap_write_errors", errors);
    return stats;
}

std::uint16_t pcap_device::rx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t max) {
    const std::uint16_t received = inner_.rx_burst(queue, frames, max);
    if (received != 0 && queue < files_.size()) {
        const nanoseconds at = now_();
        for (std::uint16_t i = 0; i < received; ++i) files_[queue].file->write(at, frames[i]);
    }
    return received;
}

std::uint16_t pcap_device::tx_burst(unsigned queue, rte_mbuf** frames, std::uint16_t count) {
    if (queue >= files_.size() || count == 0) return inner_.tx_burst(queue, frames, count);
    queue_file& out = files_[queue];
    out.staged.clear();
    out.ends.clear();
    const nanoseconds at = now_();
    for (std::uint16_t i = 0; i < count; ++i) {
        out.file->encode(at, frames[i], out.staged);
        out.ends.push_back(out.staged.size());
    }
    const std::uint16_t sent = inner_.tx_burst(queue, frames, count);
    if (sent != 0) out.file->write_encoded(std::span(out.staged).first(out.ends[sent - 1]), sent);
    return sent;
}

void pcap_device::flush() {
    for (auto& each : files_) each.file->flush();
}

}  // namespace sluice::sim
