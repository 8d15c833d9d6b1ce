// sluice::net::udp_socket: a UDP port bound on one shard's stack, used from coroutines:
// `co_await socket.recv_from()` waits for a datagram; send_to copies the payload once and
// sends it. Run one socket per shard on the same port and RSS spreads the flows
// (docs/architecture.md, "Each shard owns a NIC queue"). Create, use and destroy a socket
// on the shard that owns its stack.
//
// Lifetime (the rule every socket keeps): close() or the destructor resumes the task
// waiting in recv_from() with socket_error::closed, and every later recv_from() answers
// the same at once. One task may wait at a time; a second gets already_waiting at once.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "sluice/core/fifo.hh"
#include "sluice/core/result.hh"
#include "sluice/core/shard.hh"
#include "sluice/net/socket_error.hh"
#include "sluice/net/stack.hh"

namespace sluice::net {

struct udp_socket_counters {
    std::uint64_t received = 0;
    std::uint64_t dropped_queue_full = 0;  // arrived while the receive queue was full
    std::uint64_t sent = 0;
    std::uint64_t send_failed = 0;
    std::uint64_t icmp_errors = 0;  // ICMP errors about datagrams this socket sent
};

// The last ICMP error about a datagram this socket sent (RFC 1122 4.1.3.3), as
// SO_ERROR keeps it: port unreachable from a peer with no listener, say.
struct udp_socket_error_report {
    wire::ipv4_address reporter;
    wire::ipv4_address destination;  // where the datagram it quotes was going
    std::uint16_t destination_port = 0;
    std::uint8_t type = 0;
    std::uint8_t code = 0;
};

class udp_socket final : private udp_receiver {
public:
    static constexpr std::size_t default_queue_capacity = 1024;

    // Binds `port` on `owner` (the calling shard's stack). One line naming the port when it
    // is 0 or already bound on this shard.
    static result<std::unique_ptr<udp_socket>> bind(stack& owner, std::uint16_t port,
                                                     std::size_t queue_capacity = default_queue_capacity);
    // The same for a port several sockets share (SO_REUSEADDR), as receivers of one
    // multicast group do: every socket that binds it this way and joins a group gets its
    // own view of each of the group's datagrams; unicast goes to the first bound.
    static result<std::unique_ptr<udp_socket>> bind_shared(stack& owner, std::uint16_t port,
                                                            std::size_t queue_capacity = default_queue_capacity);
    udp_socket(const udp_socket&) = delete;
    udp_socket& operator=(const udp_socket&) = delete;
    ~udp_socket() override;  // closes

    // Multicast (docs/user-guide.md, "Multicast"): joins `group` on the stack's interface
    // for this socket, which then receives the group's datagrams to its port. invalid_group
    // outside 224.0.0.0/4 or inside 224.0.0.0/24 (local network control, RFC 5771),
    // already_joined, closed. The interface reports the group on its first member.
    socket_result<void> join(wire::ipv4_address group);
    // Leaves it (the interface says so on its last member); not_joined, closed.
    socket_result<void> leave(wire::ipv4_address group);
    const std::vector<wire::ipv4_address>& groups() const noexcept { return groups_; }

    // Leaves every group, unbinds the port, drops queued datagrams and resumes a waiting
    // task with closed.
    void close() noexcept;
    bool is_closed() const noexcept { return closed_; }

    // Sets the peer that send() goes to; datagrams from other peers are still received.
    void connect(wire::ipv4_address address, std::uint16_t port) noexcept {
        peer_address_ = address;
        peer_port_ = port;
    }

    class receive_awaiter {
    public:
        explicit receive_awaiter(udp_socket& socket) noexcept : socket_(&socket) {}
        receive_awaiter(const receive_awaiter&) = delete;
        receive_awaiter& operator=(const receive_awaiter&) = delete;
        ~receive_awaiter();
        bool await_ready() noexcept;
        void await_suspend(std::coroutine_handle<> waiting) noexcept;
        socket_result<udp_datagram> await_resume() noexcept;

    private:
        friend class udp_socket;
        udp_socket* socket_;  // null once the socket closed
        std::optional<socket_result<udp_datagram>> answer_;  // set before the task resumes
        std::coroutine_handle<> waiting_;
        shard* waiting_shard_ = nullptr;
    };
    // Waits for the next datagram; closed or already_waiting instead (see above).
    receive_awaiter recv_from() noexcept { return receive_awaiter{*this}; }
    // The next datagram if one is queued, without waiting.
    std::optional<udp_datagram> try_recv_from() noexcept;

    send_status send_to(wire::ipv4_address address, std::uint16_t port, std::span<const std::byte> payload);
    send_status send_to(wire::ipv4_address address, std::uint16_t port, packet&& payload);
    // To the connected peer; no_route if connect() was never called.
    send_status send(std::span<const std::byte> payload);

    // The last ICMP error reported about this socket's datagrams, cleared by reading it.
    std::optional<udp_socket_error_report> take_error() noexcept { return std::exchange(pending_error_, {}); }

    std::uint16_t local_port() const noexcept { return port_; }
    std::size_t queued() const noexcept { return queue_.size(); }
    bool has_waiter() const noexcept { return waiter_ != nullptr; }
    const udp_socket_counters& counters() const noexcept { return counters_; }

private:
    udp_socket(stack& owner, std::uint16_t port, std::size_t queue_capacity);
    static result<std::unique_ptr<udp_socket>> bind_as(stack& owner, std::uint16_t port, std::size_t queue_capacity,
                                                       bool shared);
    bool deliver(udp_datagram&& datagram) override;
    bool member_of(wire::ipv4_address group) const override;
    void icmp_error(const net::icmp_error& error) override;
    void count_send(send_status status) noexcept;
    void wake(socket_result<udp_datagram>&& answer) noexcept;

    stack& owner_;
    std::uint16_t port_;
    std::size_t queue_capacity_;
    fifo<udp_datagram> queue_;
    receive_awaiter* waiter_ = nullptr;
    bool closed_ = false;
    std::optional<wire::ipv4_address> peer_address_;
    std::uint16_t peer_port_ = 0;
    std::optional<udp_socket_error_report> pending_error_;
    std::vector<wire::ipv4_address> groups_;  // joined by this socket; few
    udp_socket_counters counters_;
};

}  // namespace sluice::net
