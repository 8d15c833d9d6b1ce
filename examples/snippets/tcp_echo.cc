// The user guide's TCP section, compiled so that its snippets stay code: a server that
// listens on every shard and echoes each connection, a client that asks and reads the
// answer, and the socket options. Built, never linked; the regions are what the guide shows.
#include <chrono>
#include <cstdio>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <sluice/core/config.hh>
#include <sluice/core/result.hh>
#include <sluice/core/shard.hh>
#include <sluice/core/spawn.hh>
#include <sluice/core/task.hh>
#include <sluice/net/interface.hh>
#include <sluice/net/stack.hh>
#include <sluice/net/tcp_socket.hh>

using namespace sluice;

// snippet: serve
task<void> serve(std::unique_ptr<net::tcp_socket> socket) {
    for (;;) {
        auto got = co_await socket->read_some();  // a view of the received mbufs: no copy
        if (!got) break;            // reset, timed_out, closed: describe(got.error()) says which
        if (got->empty()) break;    // the client closed its side: end of stream
        auto sent = co_await socket->write(std::move(*got));  // the same mbufs go back
        if (!sent) break;
    }
    socket->close();  // FIN; the connection finishes in the background
}

task<void> accept_loop(net::tcp_listener& listener) {
    for (;;) {
        auto accepted = co_await listener.accept();
        if (!accepted) co_return;  // tcp_error::closed: the listener closed
        spawn(serve(std::move(*accepted)));
    }
}
// end snippet

// snippet: every-shard
void listen_on_every_shard(runtime_config& config, net::interface& interface,
                           std::vector<std::unique_ptr<net::tcp_listener>>& listeners) {
    listeners.resize(config.cpus.size());
    config.shard_hooks.push_back({
        [&interface, &listeners](shard& s) -> result<void> {  // every shard: RSS gives each its flows
            auto listener = net::tcp_listener::listen(interface.local(), 8080, 1024);
            if (!listener) return listener.failure();  // "TCP port 8080 already listens ..."
            listeners[s.id()] = std::move(*listener);
            spawn(accept_loop(*listeners[s.id()]));
            return {};
        },
        [&listeners](shard& s) { listeners[s.id()].reset(); },  // accept_loop resumes with closed
    });
}
// end snippet

// snippet: client
task<void> ask(net::stack& host, net::wire::ipv4_address server) {
    auto connected = co_await net::tcp_socket::connect(host, server, 8080, std::chrono::seconds(1));
    if (!connected) {
        std::printf("connect: %s\n", net::describe(connected.error()).data());  // refused, timed_out...
        co_return;
    }
    std::unique_ptr<net::tcp_socket> socket = std::move(*connected);
    static constexpr std::string_view request = "ping\n";
    auto written = co_await socket->write_all(std::as_bytes(std::span(request)));  // copied once
    if (!written) co_return;  // the socket's destructor closes it
    socket->shutdown();       // FIN after the request; reading goes on
    auto answer = co_await socket->read_exactly(request.size());  // one view, maybe of several mbufs
    if (answer) std::printf("%zu bytes back\n", answer->size());
    socket->close();
}
// end snippet

net::tcp_socket_options wan_options() {
    // snippet: options
    net::tcp_socket_options options;
    options.nodelay = true;              // the default: Nagle's algorithm off
    options.keepalive = true;            // probe after 2 hours idle (RFC 1122 4.2.3.6)
    options.send_buffer = 1 << 20;       // bytes written and not yet acknowledged
    options.receive_buffer = 1 << 20;    // the receive window
    options.congestion = net::tcp::congestion_algorithm::newreno;  // CUBIC by default
    options.minimum_rto = std::chrono::milliseconds(200);          // 10 ms by default
    options.delayed_ack = true;          // the default: ACK within 1 ms or every second segment
    // end snippet
    return options;
}
