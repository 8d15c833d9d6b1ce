// sluice-echo: a UDP and TCP echo server on DPDK that sockperf accepts as its server (see
// apps/echo/sockperf_message.hh; over TCP, apps/echo/tcp_service.hh). Each shard runs the
// IPv4 stack on its own queue of the port and answers the flows RSS gives it, run to
// completion; TCP listens on the UDP port's number on every shard.
//
//   sluice-echo --port net_af_packet0 --address 198.18.0.1/30 --udp-port 11111
//       -- --no-huge --vdev=net_af_packet0,iface=veth0
//
// With --join GROUP (repeatable) each shard's socket also joins the multicast group: the
// interface reports it (IGMPv3), and datagrams to the group on the UDP port are counted
// and answered unicast to their sender, as any other.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "apps/echo/injected_delays.hh"
#include "apps/echo/sockperf_message.hh"
#include "apps/echo/tcp_service.hh"
#include "sluice/core/app.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/spawn.hh"
#include "sluice/core/submit_to.hh"
#include "sluice/dpdk/bring_up.hh"
#include "sluice/net/interface.hh"
#include "sluice/net/interface_options.hh"
#include "sluice/net/packet_pool.hh"
#include "sluice/net/udp_socket.hh"
#include "sluice/sim/fault_device.hh"

using namespace sluice;

namespace {

// One shard's server: its socket and the loop that answers on it.
struct echo_shard {
    std::unique_ptr<net::udp_socket> socket;
    std::unique_ptr<echo::tcp_service> tcp;
    std::unique_ptr<echo::tcp_service> discard;  // --discard-port
    std::vector<std::byte> scratch = std::vector<std::byte>(65536);
    std::uint64_t answered = 0;
    std::uint64_t ignored = 0;  // sockperf messages that ask for no pong
    std::uint64_t multicast = 0;  // datagrams that came to a joined group
    clock::duration answer_delay{};  // --answer-delay-ns
    std::unique_ptr<echo::stall_poller> stall;  // --stall
};

task<void> serve(echo_shard& self) {
    for (;;) {
        auto received = co_await self.socket->recv_from();
        if (!received) co_return;  // the socket closed: the shard is stopping
        net::udp_datagram& datagram = *received;
        if (datagram.destination.is_multicast()) ++self.multicast;
        const std::size_t size = datagram.payload.copy_out(0, self.scratch);
        std::span<std::byte> message(self.scratch.data(), size);
        switch (echo::classify(message, size)) {
            case echo::reply_kind::none: ++self.ignored; continue;
            case echo::reply_kind::sockperf_pong: echo::make_pong(message); break;
            case echo::reply_kind::echo: break;
        }
        datagram.payload.reset();  // the request's mbufs go back before the reply takes one
        if (self.answer_delay != clock::duration{}) echo::spin_until(clock::now() + self.answer_delay);
        if (self.socket->send_to(datagram.source, datagram.source_port, message) == net::send_status::sent) {
            ++self.answered;
        }
    }
}

// --faults SPEC: the sim wire's faults around the port, the same both ways (these kernels
// have no netem): loss, reorder, duplicate, corrupt as percentages, delay-us, jitter-us,
// seed; e.g. reorder=5,duplicate=5,delay-us=200,jitter-us=100.
result<sim::fault_device_config> parse_faults(std::string_view spec) {
    sim::fault_device_config config;
    sim::link_profile profile;
    const auto fail = [&](std::string_view item) -> result<sim::fault_device_config> {
        return error{"--faults: '" + std::string(item) +
                     "' is not NAME=NUMBER with NAME one of loss, reorder, duplicate, corrupt (percent), delay-us, "
                     "jitter-us, seed; e.g. --faults reorder=5,duplicate=5,delay-us=200,jitter-us=100"};
    };
    while (!spec.empty()) {
        const std::size_t comma = spec.find(',');
        const std::string_view item = spec.substr(0, comma);
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        const std::size_t equals = item.find('=');
        if (equals == std::string_view::npos) return fail(item);
        const std::string name(item.substr(0, equals));
        const std::string text(item.substr(equals + 1));
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || value < 0) return fail(item);
        const bool percent = name == "loss" || name == "reorder" || name == "duplicate" || name == "corrupt";
        if (percent && value > 100) return fail(item);
        if (name == "loss") profile.loss = value / 100;
        else if (name == "reorder") profile.reorder = value / 100;
        else if (name == "duplicate") profile.duplicate = value / 100;
        else if (name == "corrupt") profile.corrupt = value / 100;
        else if (name == "delay-us") profile.delay = sim::nanoseconds(std::int64_t(value * 1000));
        else if (name == "jitter-us") profile.jitter = sim::nanoseconds(std::int64_t(value * 1000));
        else if (name == "seed") config.seed = std::uint64_t(value);
        else return fail(item);
    }
    config.receive = profile;
    config.transmit = profile;
    return config;
}

std::string report(unsigned shard_id, const net::stack& stack, const echo_shard& server,
                   const net::interface& interface) {
    const auto& c = stack.counters();
    const auto& s = server.socket->counters();
    std::string text = "sluice-echo: shard " + std::to_string(shard_id) + ": answered " +
                       std::to_string(server.answered) + ", ignored " + std::to_string(server.ignored) +
                       ", socket dropped " + std::to_string(s.dropped_queue_full) + "; frames in " +
                       std::to_string(c.frames_received) + ", out " + std::to_string(c.frames_sent) + ", arp answered " +
                       std::to_string(c.arp_requests_answered) + ", icmp echo " + std::to_string(c.icmp_echo_replies) +
                       ", port unreachable " + std::to_string(c.icmp_unreachable_sent) + ", reassembled " +
                       std::to_string(stack.reassembly().counters().datagrams_completed) + "; transmit queue full " +
                       std::to_string(c.transmit_queue_full) + ", no mbufs " + std::to_string(c.no_mbufs) +
                       ", icmp rate-limited " + std::to_string(c.icmp_rate_limited) + "\n";
    // TCP's output: how much of it the device cut (TSO) or summed (checksum offload).
    const net::tcp::tcp_counters& tcp = stack.tcp_layer().counters();
    text += "sluice-echo: shard " + std::to_string(shard_id) + ": tcp segments in " +
            std::to_string(tcp.segments_received) + ", out " + std::to_string(tcp.segments_sent) + "; tso segments " +
            std::to_string(tcp.segmentation_offloaded) + ", cut in software " + std::to_string(tcp.segmented_in_software) +
            ", checksum offloaded " + std::to_string(tcp.checksum_offloaded) + "\n";
    // Loss recovery over every connection this shard had: how losses were found.
    const net::tcp::connection_counters all = stack.tcp_layer().table().connection_totals();
    text += "sluice-echo: shard " + std::to_string(shard_id) + ": tcp retransmitted " +
            std::to_string(all.retransmitted_segments) + " segments; timeouts " + std::to_string(all.retransmit_timeouts) +
            ", fast retransmits " + std::to_string(all.fast_retransmits) + ", loss probes " +
            std::to_string(all.loss_probes) + " (" + std::to_string(all.loss_probe_recoveries) + " found a loss, " +
            std::to_string(all.loss_probes_redundant) + " needless), lost retransmissions sent again " +
            std::to_string(all.retransmissions_lost) + "\n";
    if (!server.socket->groups().empty()) {
        text += "sluice-echo: shard " + std::to_string(shard_id) + ": multicast received " +
                std::to_string(server.multicast) + " in " + std::to_string(server.socket->groups().size()) +
                " group(s); igmp reports sent " + std::to_string(c.igmp_reports_sent) + ", leaves sent " +
                std::to_string(c.igmp_leaves_sent) + ", queries received " + std::to_string(c.igmp_queries_received) +
                (shard_id == 0 ? "; port multicast filter: " + std::string(net::describe(interface.multicast_mode()))
                               : std::string()) +
                "\n";
    }
    // Reassembly keeps its own drop counts (a datagram dropped with all its fragments).
    const net::reassembly_counters& reassembly = stack.reassembly().counters();
    const std::pair<const char*, std::uint64_t> reassembly_drops[] = {
        {"timed_out", reassembly.timed_out},
        {"overlapping", reassembly.overlapping},
        {"duplicates", reassembly.duplicates},
        {"over_memory", reassembly.over_memory},
        {"too_many_fragments", reassembly.too_many_fragments},
        {"too_long", reassembly.too_long},
        {"duplicate_last", reassembly.duplicate_last},
        {"past_end", reassembly.past_end},
        {"misaligned", reassembly.misaligned},
        {"empty", reassembly.empty},
        {"too_many_segments", reassembly.too_many_segments},
    };
    for (const auto& [name, count] : reassembly_drops) {
        if (count != 0) {
            text += "sluice-echo: shard " + std::to_string(shard_id) + ": reassembly dropped " + name + " " +
                    std::to_string(count) + "\n";
        }
    }
    for (std::size_t r = 0; r < net::wire::drop_reason_count; ++r) {
        const auto reason = net::wire::drop_reason(r);
        if (c.dropped[reason] != 0) {
            text += "sluice-echo: shard " + std::to_string(shard_id) + ": dropped " +
                    std::string(net::wire::name(reason)) + " " + std::to_string(c.dropped[reason]) + "\n";
        }
    }
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    app program("sluice-echo", "UDP and TCP echo server on DPDK; answers sockperf ping-pong and under-load (UDP and --tcp) as its server");
    net::interface_options interface_options;
    const net::interface_config& interface_config = interface_options.config;
    std::vector<net::wire::ipv4_address> groups;
    unsigned udp_port = 11111, descriptors = 1024, mbufs = 8191, mbuf_size = 2048, duration_seconds = 0;
    auto& options = program.options();
    net::add_interface_options(options, interface_options, "net_af_packet0", "198.18.0.1/30");
    options.add_option("join", "GROUP",
                       "join this IPv4 multicast group on the UDP port and answer its datagrams (repeatable)",
                       [&](std::string_view text) -> result<void> {
                           const auto group = net::wire::ipv4_address::parse(text);
                           if (!group || !group->is_multicast() || net::wire::is_local_control_group(*group)) {
                               return error{"--join " + std::string(text) +
                                            ": not a multicast group a socket may join; give one in 224.0.0.0/4 "
                                            "outside 224.0.0.0/24 (e.g. --join 239.1.2.3)"};
                           }
                           if (std::find(groups.begin(), groups.end(), *group) == groups.end()) groups.push_back(*group);
                           return {};
                       },
                       "239.1.2.3");
    std::optional<sim::fault_device_config> faults;
    options.add_option("faults", "SPEC",
                       "the sim wire's faults around the port, both ways: loss, reorder, duplicate, corrupt (percent), "
                       "delay-us, jitter-us, seed (e.g. reorder=5,duplicate=5,delay-us=200)",
                       [&](std::string_view text) -> result<void> {
                           auto parsed = parse_faults(text);
                           if (!parsed) return parsed.failure();
                           faults = std::move(*parsed);
                           return {};
                       },
                       "reorder=5,duplicate=5,delay-us=200,jitter-us=100");
    options.add_count("udp-port", "UDP port to answer on, and the TCP port to listen on (default 11111, sockperf's)", udp_port, 1, 65535,
                      "11111");
    unsigned discard_port = 0;
    options.add_count("discard-port", "also a TCP discard service (RFC 863: reads, never answers) on this port, "
                      "for one-way goodput (default: none)", discard_port, 1, 65535, "9");
    options.add_count("descriptors", "rx and tx descriptors per queue (default 1024)", descriptors, 32, 16384, "1024");
    options.add_count("mbufs", "mbufs in each shard's pool (default 8191)", mbufs, 512, 4'000'000, "8191");
    options.add_count("mbuf-size",
                      "bytes of frame each mbuf holds (default 2048); raise it with a vdev that delivers "
                      "larger frames (af_packet framesz=8192 needs 8192)",
                      mbuf_size, 256, 65535 - 128, "2048");
    options.add_count("duration", "stop after this many seconds (default: at SIGINT or SIGTERM)", duration_seconds, 1,
                      86400, "10");

    std::optional<echo::stall_spec> stall;
    options.add_option("stall", "MS/PERIOD_MS",
                       "freeze each shard for MS every PERIOD_MS, polling nothing (tests of load generators)",
                       [&](std::string_view text) -> result<void> {
                           auto parsed = echo::parse_stall(text);
                           if (!parsed) return parsed.failure();
                           stall = *parsed;
                           return {};
                       },
                       "100/1000");
    bool no_tso = false;
    options.add_flag("no-tso", "leave the device's TCP segmentation offload off: one MSS a segment (default: on where "
                     "the device offers it)", no_tso);
    unsigned answer_delay_ns = 0;
    options.add_count("answer-delay-ns", "spin this long before each UDP answer (an injected slowdown; default 0)",
                      answer_delay_ns, 0, 1'000'000'000, "1000");

    std::unique_ptr<dpdk::bring_up> dpdk_setup;
    std::unique_ptr<sim::fault_device> faulty;  // around the port when --faults is given
    std::unique_ptr<net::interface> interface;
    std::vector<echo_shard> servers;

    program.on_prepare([&](runtime_config& config) -> result<void> {
        if (auto given = net::check_interface_options(interface_options, "net_af_packet0", "198.18.0.1/30"); !given) {
            return given.failure();
        }
        dpdk::bring_up_options setup;
        setup.program = "sluice-echo";
        setup.pool_prefix = "sluice_echo_";
        setup.eal_args = options.rest();
        setup.port_names = {interface_options.port_name};
        setup.pool_shape.count = mbufs;
        setup.pool_shape.data_room = std::uint16_t(mbuf_size + net::packet_pool::headroom);
        setup.pool_options_hint = "--mbufs sets the count, --mbuf-size the size";
        setup.port.rx_descriptors = setup.port.tx_descriptors = std::uint16_t(descriptors);
        setup.port.tcp_segmentation = !no_tso;
        auto started = dpdk::bring_up::start(setup, config);
        if (!started) return started.failure();
        dpdk_setup = std::move(*started);
        const unsigned shards = unsigned(config.cpus.size());
        net::device* port = &dpdk_setup->first_port();
        if (faults) {
            faulty = std::make_unique<sim::fault_device>(*port, *faults);
            port = faulty.get();
        }
        interface = std::make_unique<net::interface>(*port, interface_config, shards);
        servers.resize(shards);
        config.shard_hooks.push_back(interface->hook());
        config.shard_hooks.push_back({
            [&](shard& s) -> result<void> {
                auto socket = net::udp_socket::bind(interface->local(), std::uint16_t(udp_port));
                if (!socket) return socket.failure();
                for (const net::wire::ipv4_address group : groups) {
                    if (auto joined = (*socket)->join(group); !joined) {
                        return error{"--join " + group.to_string() + ": " + std::string(net::describe(joined.error()))};
                    }
                }
                servers[s.id()].socket = std::move(*socket);
                servers[s.id()].answer_delay = std::chrono::nanoseconds(answer_delay_ns);
                if (stall) {
                    servers[s.id()].stall = std::make_unique<echo::stall_poller>(*stall);
                    s.add_poller(*servers[s.id()].stall, loop_stage::receive);
                }
                spawn(serve(servers[s.id()]));
                auto tcp = echo::tcp_service::start(interface->local(), std::uint16_t(udp_port));
                if (!tcp) return tcp.failure();
                servers[s.id()].tcp = std::move(*tcp);
                if (discard_port != 0) {
                    if (discard_port == udp_port) return error{"--discard-port must differ from --udp-port"};
                    auto discard = echo::tcp_service::start(interface->local(), std::uint16_t(discard_port), true);
                    if (!discard) return discard.failure();
                    servers[s.id()].discard = std::move(*discard);
                }
                return {};
            },
            [&](shard& s) {
                std::fputs(report(s.id(), interface->local(), servers[s.id()], *interface).c_str(), stdout);
                std::fputs(servers[s.id()].tcp->report(s.id()).c_str(), stdout);
                if (servers[s.id()].discard) std::fputs(servers[s.id()].discard->report(s.id()).c_str(), stdout);
                if (servers[s.id()].stall) {
                    std::printf("sluice-echo: shard %u: stalled %llu times\n", s.id(),
                                static_cast<unsigned long long>(servers[s.id()].stall->stalls()));
                    s.remove_poller(*servers[s.id()].stall);
                }
                servers[s.id()].discard.reset();
                servers[s.id()].tcp.reset();
                servers[s.id()].socket.reset();
            },
        });
        return {};
    });

    const int exit_code = program.run(argc, argv, [&]() -> task<int> {
        std::printf("sluice-echo: ready on %s udp port %u, tcp port %u, %zu shard(s), MAC %s\n",
                    interface_config.address.to_string().c_str(), udp_port, udp_port, servers.size(),
                    interface->local().mac().to_string().c_str());
        for (const net::wire::ipv4_address group : groups) {
            std::printf("sluice-echo: joined %s on udp port %u\n", group.to_string().c_str(), udp_port);
        }
        std::fflush(stdout);
        const clock::time_point end = duration_seconds != 0
                                          ? clock::now() + std::chrono::seconds(duration_seconds)
                                          : clock::time_point::max();
        while (clock::now() < end) co_await sleep_until(std::min(end, clock::now() + std::chrono::seconds(1)));
        co_return 0;
    });
    std::fflush(stdout);
    servers.clear();
    interface.reset();
    if (faulty) {
        sim::fault_device_counters in, out;
        for (unsigned queue = 0; queue < faulty->queue_count(); ++queue) {
            const auto& r = faulty->receive_counters(queue);
            const auto& t = faulty->transmit_counters(queue);
            in.lost += r.lost, in.reordered += r.reordered, in.duplicated += r.duplicated, in.delayed += r.delayed;
            out.lost += t.lost, out.reordered += t.reordered, out.duplicated += t.duplicated, out.delayed += t.delayed;
        }
        std::printf("sluice-echo: faults: received lost %llu, reordered %llu, duplicated %llu, delayed %llu; sent lost "
                    "%llu, reordered %llu, duplicated %llu, delayed %llu\n",
                    static_cast<unsigned long long>(in.lost), static_cast<unsigned long long>(in.reordered),
                    static_cast<unsigned long long>(in.duplicated), static_cast<unsigned long long>(in.delayed),
                    static_cast<unsigned long long>(out.lost), static_cast<unsigned long long>(out.reordered),
                    static_cast<unsigned long long>(out.duplicated), static_cast<unsigned long long>(out.delayed));
        std::fflush(stdout);
    }
    faulty.reset();  // frees the frames it still holds, before the pools go
    dpdk_setup.reset();  // ports closed (net_tap holds a ring of our mbufs until then), pools, EAL
    return exit_code;
}
