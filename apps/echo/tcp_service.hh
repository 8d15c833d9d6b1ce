// sluice-echo's TCP side: a listener per shard on the echo port, and per connection one
// task that answers sockperf's TCP framing (messages back to back, each 14-byte header
// giving its length; a pong for each that asks) or, for any other client (nc, a plain
// echo test), sends back every byte it reads. It stops reading while it cannot write:
// back-pressure reaches the client through the TCP window. One shard's; not shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/core/result.hh"
#include "sluice/net/stack.hh"
#include "sluice/net/tcp_socket.hh"

namespace sluice::echo {

struct tcp_service_counters {
    std::uint64_t accepted = 0;
    std::uint64_t closed = 0;          // connections that ended (any way)
    std::uint64_t reset = 0;           // of those, by the peer's RST or a timeout
    std::uint64_t bytes_echoed = 0;    // plain echo
    std::uint64_t bytes_discarded = 0; // discard service
    std::uint64_t pongs = 0;           // sockperf messages answered
    std::uint64_t messages_ignored = 0;  // sockperf messages that asked for no pong
    std::uint64_t malformed = 0;       // sockperf streams with an impossible length: closed
};

class tcp_service {
public:
    // Listens on `port` of `host` (the calling shard's stack) and serves until stop().
    // `discard`: read everything and answer nothing (RFC 863), for one-way goodput.
    static result<std::unique_ptr<tcp_service>> start(net::stack& host, std::uint16_t port, bool discard = false);
    tcp_service(const tcp_service&) = delete;
    tcp_service& operator=(const tcp_service&) = delete;
    ~tcp_service();

    // Closes the listener and every connection; their tasks resume with closed and end.
    void stop() noexcept;
    const tcp_service_counters& counters() const noexcept { return counters_; }
    // One line for the exit report.
    std::string report(unsigned shard_id) const;

private:
    tcp_service(std::unique_ptr<net::tcp_listener> listener, bool discard)
        : listener_(std::move(listener)), discard_(discard) {}
    task<void> accept_loop();
    task<void> serve(std::unique_ptr<net::tcp_socket> socket);

    std::unique_ptr<net::tcp_listener> listener_;
    std::vector<net::tcp_socket*> open_;  // connections being served, for stop()
    bool discard_ = false;
    bool stopping_ = false;
    tcp_service_counters counters_;
};

}  // namespace sluice::echo
