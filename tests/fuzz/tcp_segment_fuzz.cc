// tcp_segment_fuzz: the stack's TCP input, net::tcp::tcp_protocol::receive, on arbitrary
// segment bytes, each built into an mbuf packet as IPv4 hands it over (the IPv4 header a
// fixed value, 198.19.0.1 to 198.18.0.1, protocol 6), with a listener on port 80 whose
// application echoes what it reads, and a recording ipv4_output that checks and frees what
// TCP sends.
//
// The input is a series of records, so that a handshake and what follows can be reached:
//   control (1 byte)  bit 0: keep the checksum in the bytes (else it is computed, so most
//                     segments pass the check and reach the connection table);
//                     bit 1: the sequence field is an offset from the last ACK we sent;
//                     bit 2: the acknowledgment field is an offset from the end of the
//                     last segment we sent (our ISNs are keyed random: this is how a
//                     handshake completes);
//                     bit 3: the packet is two mbufs, split at the next byte's offset;
//                     bits 4-7: n > 0 moves the clock 2^(n-1) ms first, running the timers.
//   length (2 bytes, big-endian), [split (1 byte)], then that many segment bytes.
// Checked, aborting on a break: every segment is either delivered or counted as a drop
// (exactly one); every segment TCP sends parses, with options that are not malformed and
// a valid checksum, to the peer's address; the timers never ask to run in the past; and
// once the protocol and its connections are destroyed every mbuf is back in the pool.
// Run: tools/fuzz, or build-fuzz/tests/fuzz/tcp_segment_fuzz CORPUS_DIR (libFuzzer flags);
// SLUICE_FUZZ_TRACE=1 build-fuzz/tests/fuzz/tcp_segment_fuzz INPUT prints each record.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "sluice/core/clock.hh"
#include "sluice/net/ipv4_output.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/packet_checksum.hh"
#include "sluice/net/packet_pool.hh"
#include "sluice/net/tcp/tcp_protocol.hh"
#include "sluice/net/wire/byte_order.hh"
#include "sluice/net/wire/ipv4.hh"
#include "sluice/net/wire/tcp.hh"
#include "tests/fuzz/fuzz_support.hh"

namespace {

using namespace sluice;
using namespace std::chrono_literals;

constexpr net::wire::ipv4_address peer_address = net::wire::ipv4_address::from_octets(198, 19, 0, 1);
constexpr net::wire::ipv4_address our_address = net::wire::ipv4_address::from_octets(198, 18, 0, 1);
constexpr std::uint16_t listening_port = 80;
constexpr std::size_t max_records = 32;
constexpr std::size_t max_segment = 1500;

// IPv4 as TCP sees it: checks every segment handed to it, remembers the last one's
// numbers, and frees it.
class recording_output final : public net::ipv4_output {
public:
    std::uint64_t sent = 0;
    std::optional<std::uint32_t> last_end;  // sequence after the last segment we sent (SYN, data, FIN)
    std::optional<std::uint32_t> last_ack;  // the last acknowledgment we sent

    net::send_status send(net::wire::ipv4_address destination, std::uint8_t protocol, net::packet&& segment,
                          net::l4_checksum_offload offload, clock::time_point) override {
        SLUICE_FUZZ_CHECK(protocol == net::wire::ip_protocol_tcp, "protocol %u", unsigned(protocol));
        SLUICE_FUZZ_CHECK(destination == peer_address, "sent to %s", destination.to_string().c_str());
        SLUICE_FUZZ_CHECK(offload == net::l4_checksum_offload::none, "offload asked of a device that offers none");
        const std::size_t length = segment.length();
        auto header_bytes = segment.linearize(std::min(length, net::wire::tcp_header::max_length));
        SLUICE_FUZZ_CHECK(header_bytes.ok(), "cannot read a sent segment's header");
        const auto header = net::wire::tcp_header::parse(*header_bytes, length);
        SLUICE_FUZZ_CHECK(header.ok(), "a sent segment does not parse (%s)",
                          std::string(net::wire::name(header.error())).c_str());
        const auto options = net::wire::tcp_options::parse(
            header_bytes->subspan(net::wire::tcp_header::min_length,
                                  header->header_length() - net::wire::tcp_header::min_length));
        SLUICE_FUZZ_CHECK(!options.malformed, "a sent segment's options are malformed");
        SLUICE_FUZZ_CHECK(net::l4_checksum(our_address, destination, net::wire::ip_protocol_tcp, segment) == 0,
                          "a sent segment's checksum is wrong");
        const std::uint32_t data = std::uint32_t(length - header->header_length());
        last_end = header->sequence + data + (header->has(net::wire::tcp_syn) ? 1 : 0) +
                   (header->has(net::wire::tcp_fin) ? 1 : 0);
        if (header->has(net::wire::tcp_ack)) last_ack = header->acknowledgment;
        ++sent;
        return net::send_status::sent;  // the packet is freed here, as a device would
    }
    net::send_status send_with(const net::datagram_options&, net::wire::ipv4_address, std::uint8_t, net::packet&&,
                               clock::time_point) override {
        SLUICE_FUZZ_CHECK(false, "TCP sent through send_with");
        return net::send_status::sent;
    }
    net::wire::ipv4_address source_address() const noexcept override { return our_address; }
    std::size_t max_unfragmented_payload() const noexcept override { return 1480; }
    net::offload_flags offloads() const noexcept override { return {}; }
};

net::wire::ipv4_header ip_header_for(std::size_t segment_length) {
    net::wire::ipv4_header header;
    header.total_length = std::uint16_t(net::wire::ipv4_header::min_length + segment_length);
    header.protocol = net::wire::ip_protocol_tcp;
    header.ttl = 64;
    header.source = peer_address;
    header.destination = our_address;
    return header;
}

// The record's bytes as a segment: fields made relative where asked, the checksum fixed
// unless kept, in one mbuf or two.
std::optional<net::packet> build_segment(std::uint8_t control, std::span<const std::uint8_t> raw, std::uint8_t split,
                                         const recording_output& ip) {
    std::vector<std::byte> bytes(raw.size());
    std::copy(raw.begin(), raw.end(), reinterpret_cast<std::uint8_t*>(bytes.data()));
    if (bytes.size() >= net::wire::tcp_header::min_length) {
        if ((control & 0x02) != 0 && ip.last_ack) {
            net::wire::store_be32(bytes, 4, *ip.last_ack + net::wire::load_be32(bytes, 4));
        }
        if ((control & 0x04) != 0 && ip.last_end) {
            net::wire::store_be32(bytes, 8, *ip.last_end + net::wire::load_be32(bytes, 8));
        }
        if ((control & 0x01) == 0) {
            net::wire::store_be16(bytes, net::wire::tcp_header::checksum_offset, 0);
            const std::span<const std::byte> pieces[] = {bytes};
            net::wire::store_be16(bytes, net::wire::tcp_header::checksum_offset,
                                  net::wire::tcp_checksum(peer_address, our_address, pieces));
        }
    }
    const std::size_t first = (control & 0x08) != 0 ? std::min<std::size_t>(split, bytes.size()) : bytes.size();
    auto head = net::packet::copy_of(std::span(bytes).first(first));
    if (!head) return std::nullopt;
    if (first < bytes.size()) {
        auto tail = net::packet::copy_of(std::span(bytes).subspan(first));
        if (!tail || !head->chain(std::move(*tail)).ok()) return std::nullopt;
    }
    return std::move(*head);
}

// Runs every timer due by `now`, as the shard's loop does.
void run_timers(net::tcp::tcp_protocol& tcp, clock::time_point now) {
    for (int round = 0; tcp.next_deadline() <= now; ++round) {
        SLUICE_FUZZ_CHECK(round < 1000, "the timers keep asking to run at %lld ns",
                          static_cast<long long>(tcp.next_deadline().time_since_epoch().count()));
        tcp.on_timer(now);
    }
}

// The application: accepts every connection the listener completed and echoes what it
// reads (through the send path, payload mbufs attached to the header's), releasing each
// connection once the peer has finished or it closed, as a socket does.
class echo_application {
public:
    explicit echo_application(net::tcp::connection_table& table, net::tcp::listener& listening)
        : table_(table), listening_(listening) {}

    void run(clock::time_point now) {
        while (net::tcp::connection_entry* entry = table_.accept(listening_)) held_.push_back(entry);
        for (std::size_t i = 0; i < held_.size();) {
            net::tcp::connection& conn = held_[i]->conn;
            const net::buffer got = conn.read(64 * 1024, now);
            if (!got.empty()) {
                std::vector<std::byte> bytes(got.size());
                SLUICE_FUZZ_CHECK(got.copy_out(0, bytes) == bytes.size(), "copy_out short");
                const auto taken = conn.write(bytes, now);  // what does not fit is dropped: an echo that sheds load
                SLUICE_FUZZ_CHECK(taken.ok(), "write failed: %s", std::string(net::describe(taken.error())).c_str());
            }
            if (conn.peer_finished() || conn.state() == net::tcp::tcp_state::closed) {
                net::tcp::connection_entry* done = held_[i];
                held_.erase(held_.begin() + std::ptrdiff_t(i));
                table_.release(*done, now);  // may free it
            } else {
                table_.updated(*held_[i], now);
                ++i;
            }
        }
    }
    std::size_t held() const noexcept { return held_.size(); }

private:
    net::tcp::connection_table& table_;
    net::tcp::listener& listening_;
    std::vector<net::tcp::connection_entry*> held_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::start_eal_once("tcp_segment_fuzz");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    net::packet_pool& pool = fuzz::start_eal_once("tcp_segment_fuzz");
    {
        recording_output ip;
        net::wire::drop_counters dropped;
        net::tcp::tcp_protocol tcp(ip, dropped, {.max_connections = 64, .max_time_wait = 16, .syn_cookies = true});
        net::tcp::connection_options options = tcp.options_for_interface();
        options.send_buffer = 16 * 1024;
        options.receive.capacity = 16 * 1024;
        options.receive.max_out_of_order_segments = 8;
        options.time_wait = 2s;
        net::tcp::listener* listening = tcp.table().listen(listening_port, 4, options);
        SLUICE_FUZZ_CHECK(listening != nullptr, "cannot listen");
        echo_application application(tcp.table(), *listening);
        clock::time_point now = clock::time_point(1000s);

        const bool trace = std::getenv("SLUICE_FUZZ_TRACE") != nullptr;  // a line per record
        fuzz::input_reader in({data, size});
        for (std::size_t record = 0; record < max_records && !in.empty(); ++record) {
            const std::uint8_t control = in.u8();
            const std::size_t length = std::min<std::size_t>(in.u16(), max_segment);
            const std::uint8_t split = (control & 0x08) != 0 ? in.u8() : 0;
            const auto raw = in.take(length);
            if (const unsigned step = control >> 4; step != 0) {
                now += std::chrono::milliseconds(1u << (step - 1));
                run_timers(tcp, now);
            }
            auto segment = build_segment(control, raw, split, ip);
            SLUICE_FUZZ_CHECK(segment.has_value(), "no mbufs for a %zu-byte segment", raw.size());
            const std::uint64_t before = dropped.total() + tcp.counters().segments_received;
            const std::uint64_t received_before = tcp.counters().segments_received;
            tcp.receive(ip_header_for(raw.size()), std::move(*segment), now);
            SLUICE_FUZZ_CHECK(dropped.total() + tcp.counters().segments_received == before + 1,
                              "a segment was neither delivered nor counted as one drop");
            if (trace) {
                std::fprintf(stderr, "record %zu: %zu bytes, %s; %zu connection(s), %llu segment(s) sent\n", record,
                             raw.size(), tcp.counters().segments_received > received_before ? "delivered" : "dropped",
                             tcp.table().size(), static_cast<unsigned long long>(ip.sent));
            }
            application.run(now);
            SLUICE_FUZZ_CHECK(tcp.next_deadline() >= now, "a deadline in the past");
        }
        // What is still pending runs once more, a long time later (TIME-WAIT, SYN-ACK
        // retransmissions, delayed ACKs): the timer paths see this input's state too.
        now += 3s;
        run_timers(tcp, now);
        application.run(now);
        SLUICE_FUZZ_CHECK(tcp.next_deadline() > now, "a deadline at or before now after the timers ran");
    }
    SLUICE_FUZZ_CHECK(pool.available() == pool.capacity(), "%u mbufs not returned after the table was destroyed",
                      pool.capacity() - pool.available());
    return 0;
}
