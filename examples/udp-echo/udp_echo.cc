// udp-echo: the smallest UDP server on Sluice, and the program docs/user-guide.md builds
// outside this repository ("Building an app"). Every shard binds the port on its own
// queue of one DPDK port and echoes each datagram back to its sender.
//
//   udp-echo --port net_af_packet0 --address 198.18.0.1/30 --udp-port 7 --duration 10
//       -- --no-huge --vdev=net_af_packet0,iface=veth0

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <sluice/core/app.hh>
#include <sluice/core/sleep.hh>
#include <sluice/core/spawn.hh>
#include <sluice/dpdk/bring_up.hh>
#include <sluice/net/interface.hh>
#include <sluice/net/udp_socket.hh>

using namespace sluice;

// One shard's server: its socket, what it echoed and a buffer for one datagram.
struct echo_shard {
    std::unique_ptr<net::udp_socket> socket;
    std::vector<std::byte> scratch = std::vector<std::byte>(65536);
    std::uint64_t echoed = 0;
};

// snippet: serve
task<void> serve(echo_shard& self) {
    for (;;) {
        auto received = co_await self.socket->recv_from();  // waits without spinning
        if (!received) co_return;                           // socket_error::closed: stopping
        net::udp_datagram& datagram = *received;
        const std::size_t size = datagram.payload.copy_out(0, self.scratch);  // one copy
        datagram.payload.reset();  // the request's mbufs go back before the reply takes one
        const std::span<const std::byte> reply(self.scratch.data(), size);
        if (self.socket->send_to(datagram.source, datagram.source_port, reply) == net::send_status::sent) {
            ++self.echoed;
        }
    }
}
// end snippet

int main(int argc, char** argv) {
    app program("udp-echo", "echoes UDP datagrams on one DPDK port");
    std::string port_name;
    net::interface_config interface_config;
    unsigned udp_port = 7, duration_seconds = 0;
    auto& options = program.options();
    options.add_option("port", "NAME", "the DPDK port, as EAL names it",
                       [&](std::string_view text) -> result<void> {
                           port_name = std::string(text);
                           return {};
                       },
                       "net_af_packet0");
    options.add_option("address", "A.B.C.D/N", "the interface's IPv4 address and prefix length",
                       [&](std::string_view text) -> result<void> {
                           auto parsed = net::parse_address_option(text);
                           if (!parsed) return parsed.failure();
                           interface_config.address = *parsed;
                           return {};
                       },
                       "198.18.0.1/30");
    options.add_count("udp-port", "UDP port to echo on (default 7)", udp_port, 1, 65535, "7");
    options.add_count("duration", "stop after this many seconds (default: at SIGINT)", duration_seconds, 1, 86400,
                      "10");

    std::unique_ptr<dpdk::bring_up> dpdk_setup;
    std::unique_ptr<net::interface> interface;
    std::vector<echo_shard> servers;

    // snippet: prepare
    program.on_prepare([&](runtime_config& config) -> result<void> {
        if (port_name.empty()) return error{"no port given; add --port NAME (e.g. --port net_af_packet0)"};
        if (auto valid = interface_config.validate(); !valid) return valid.failure();
        // EAL, a pool per shard, the port and the lcore-then-pool hooks, in that order.
        dpdk::bring_up_options setup;
        setup.program = "udp-echo";
        setup.pool_prefix = "udp_echo_";
        setup.eal_args = program.options().rest();  // what follows `--`
        setup.port_names = {port_name};
        auto started = dpdk::bring_up::start(setup, config);
        if (!started) return started.failure();
        dpdk_setup = std::move(*started);
        const unsigned shards = unsigned(config.cpus.size());
        interface = std::make_unique<net::interface>(dpdk_setup->first_port(), interface_config, shards);
        servers.resize(shards);
        config.shard_hooks.push_back(interface->hook());  // a stack per shard, on its queue
        config.shard_hooks.push_back({
            [&](shard& s) -> result<void> {  // every shard binds the port: RSS splits the flows
                auto socket = net::udp_socket::bind(interface->local(), std::uint16_t(udp_port));
                if (!socket) return socket.failure();
                servers[s.id()].socket = std::move(*socket);
                spawn(serve(servers[s.id()]));
                return {};
            },
            [&](shard& s) {  // closing the socket resumes serve() with socket_error::closed
                std::printf("udp-echo: shard %u echoed %llu\n", s.id(),
                            static_cast<unsigned long long>(servers[s.id()].echoed));
                servers[s.id()].socket.reset();
            },
        });
        return {};
    });
    // end snippet

    const int exit_code = program.run(argc, argv, [&]() -> task<int> {
        std::printf("udp-echo: ready on %s udp port %u, %zu shard(s)\n", interface_config.address.to_string().c_str(),
                    udp_port, servers.size());
        std::fflush(stdout);
        for (unsigned second = 0; duration_seconds == 0 || second < duration_seconds; ++second) {
            co_await sleep_for(std::chrono::seconds(1));  // the stop at SIGINT destroys this task
        }
        co_return 0;
    });
    std::fflush(stdout);
    servers.clear();
    interface.reset();
    dpdk_setup.reset();  // after the runtime: ports, then pools, then EAL
    return exit_code;
}
