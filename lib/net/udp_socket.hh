// sluice::net::udp_socket: a UDP port bound on one shard's stack, used from coroutines:
// `co_await socket.recv_from()` waits for a datagram; send_to copies the payload once and
// sends it. Run one socket per shard on the same port and RSS spreads the flows (DESIGN
// rule 3). Create, use and destroy a socket on the shard that owns its stack.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "lib/core/result.hh"
#include "lib/core/shard.hh"
#include "lib/net/stack.hh"

namespace sluice::net {

struct udp_socket_counters {
    std::uint64_t received = 0;
    std::uint64_t dropped_queue_full = 0;  // arrived while the receive queue was full
    std::uint64_t sent = 0;
    std::uint64_t send_failed = 0;
};

class udp_socket final : private udp_receiver {
public:
    static constexpr std::size_t default_queue_capacity = 1024;

    // Binds `port` on `owner` (the calling shard's stack). One line naming the port when it
    // is 0 or already bound on this shard.
    static result<std::unique_ptr<udp_socket>> bind(stack& owner, std::uint16_t port,
                                                     std::size_t queue_capacity = default_queue_capacity);
    udp_socket(const udp_socket&) = delete;
    udp_socket& operator=(const udp_socket&) = delete;
    // Unbinds. A task still waiting in recv_from() is not resumed: end it first.
    ~udp_socket() override;

    // Sets the peer that send() goes to; datagrams from other peers are still received.
    void connect(wire::ipv4_address address, std::uint16_t port) noexcept {
        peer_address_ = address;
        peer_port_ = port;
    }

    struct receive_awaiter {
        udp_socket& socket;
        bool await_ready() const noexcept { return socket.count_ != 0; }
        void await_suspend(std::coroutine_handle<> waiting);
        udp_datagram await_resume() noexcept { return socket.pop(); }
    };
    // Waits for the next datagram. One task at a time may wait on a socket.
    receive_awaiter recv_from() noexcept { return receive_awaiter{*this}; }
    // The next datagram if one is queued, without waiting.
    std::optional<udp_datagram> try_recv_from() noexcept;

    send_status send_to(wire::ipv4_address address, std::uint16_t port, std::span<const std::byte> payload);
    send_status send_to(wire::ipv4_address address, std::uint16_t port, packet&& payload);
    // To the connected peer; no_route if connect() was never called.
    send_status send(std::span<const std::byte> payload);

    std::uint16_t local_port() const noexcept { return port_; }
    std::size_t queued() const noexcept { return count_; }
    const udp_socket_counters& counters() const noexcept { return counters_; }

private:
    udp_socket(stack& owner, std::uint16_t port, std::size_t queue_capacity);
    bool deliver(udp_datagram&& datagram) override;
    udp_datagram pop() noexcept;
    void count_send(send_status status) noexcept;

    stack& owner_;
    std::uint16_t port_;
    std::vector<udp_datagram> queue_;  // a ring of queue_.size() slots
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::coroutine_handle<> waiting_;
    shard* waiting_shard_ = nullptr;
    std::optional<wire::ipv4_address> peer_address_;
    std::uint16_t peer_port_ = 0;
    udp_socket_counters counters_;
};

}  // namespace sluice::net
