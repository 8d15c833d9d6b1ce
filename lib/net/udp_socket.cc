#include "lib/net/udp_socket.hh"

#include <stdexcept>
#include <string>
#include <utility>

namespace sluice::net {

result<std::unique_ptr<udp_socket>> udp_socket::bind(stack& owner, std::uint16_t port, std::size_t queue_capacity) {
    if (port == 0) return error{"UDP port 0 cannot be bound; choose a port from 1 to 65535"};
    if (queue_capacity == 0) return error{"a UDP socket needs a receive queue of at least one datagram"};
    std::unique_ptr<udp_socket> socket(new udp_socket(owner, port, queue_capacity));
    if (!owner.bind_udp(port, *socket)) {
        socket->port_ = 0;  // not ours to unbind
        return error{"UDP port " + std::to_string(port) + " is already bound on shard " +
                     std::to_string(shard::current() ? shard::current()->id() : 0) + "; close that socket first"};
    }
    return socket;
}

udp_socket::udp_socket(stack& owner, std::uint16_t port, std::size_t queue_capacity)
    : owner_(owner), port_(port), queue_(queue_capacity) {}

udp_socket::~udp_socket() {
    if (port_ != 0) owner_.unbind_udp(port_);
}

bool udp_socket::deliver(udp_datagram&& datagram) {
    if (count_ == queue_.size()) {
        ++counters_.dropped_queue_full;
        return false;
    }
    queue_[(head_ + count_) % queue_.size()] = std::move(datagram);
    ++count_;
    ++counters_.received;
    // Resumed in this turn's task stage, right after the receive stage (DESIGN rule 4).
    if (waiting_) waiting_shard_->schedule(std::exchange(waiting_, {}));
    return true;
}

void udp_socket::receive_awaiter::await_suspend(std::coroutine_handle<> waiting) {
    if (socket.waiting_) throw std::logic_error("two tasks wait on one udp_socket; give each task its own socket");
    socket.waiting_ = waiting;
    socket.waiting_shard_ = &this_shard();
}

udp_datagram udp_socket::pop() noexcept {
    udp_datagram datagram = std::move(queue_[head_]);
    queue_[head_] = udp_datagram{};
    head_ = (head_ + 1) % queue_.size();
    --count_;
    return datagram;
}

std::optional<udp_datagram> udp_socket::try_recv_from() noexcept {
    if (count_ == 0) return std::nullopt;
    return pop();
}

void udp_socket::count_send(send_status status) noexcept {
    if (status == send_status::sent) {
        ++counters_.sent;
    } else {
        ++counters_.send_failed;
    }
}

send_status udp_socket::send_to(wire::ipv4_address address, std::uint16_t port, std::span<const std::byte> payload) {
    const send_status status = owner_.send_udp(port_, address, port, payload, clock::now());
    count_send(status);
    return status;
}

send_status udp_socket::send_to(wire::ipv4_address address, std::uint16_t port, packet&& payload) {
    const send_status status = owner_.send_udp(port_, address, port, std::move(payload), clock::now());
    count_send(status);
    return status;
}

send_status udp_socket::send(std::span<const std::byte> payload) {
    if (!peer_address_) return send_status::no_route;
    return send_to(*peer_address_, peer_port_, payload);
}

}  // namespace sluice::net
