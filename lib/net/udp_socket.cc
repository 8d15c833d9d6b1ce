#include "sluice/net/udp_socket.hh"

#include <algorithm>
#include <string>
#include <utility>

#include "sluice/net/wire/igmp.hh"
#include "sluice/net/wire/udp.hh"

namespace sluice::net {

result<std::unique_ptr<udp_socket>> udp_socket::bind(stack& owner, std::uint16_t port, std::size_t queue_capacity) {
    return bind_as(owner, port, queue_capacity, false);
}

result<std::unique_ptr<udp_socket>> udp_socket::bind_shared(stack& owner, std::uint16_t port,
                                                            std::size_t queue_capacity) {
    return bind_as(owner, port, queue_capacity, true);
}

result<std::unique_ptr<udp_socket>> udp_socket::bind_as(stack& owner, std::uint16_t port, std::size_t queue_capacity,
                                                        bool shared) {
    if (port == 0) return error{"UDP port 0 cannot be bound; choose a port from 1 to 65535"};
    if (queue_capacity == 0) return error{"a UDP socket needs a receive queue of at least one datagram"};
    std::unique_ptr<udp_socket> socket(new udp_socket(owner, port, queue_capacity));
    if (!owner.bind_udp(port, *socket, shared)) {
        socket->port_ = 0;  // not ours to unbind
        return error{"UDP port " + std::to_string(port) + " is already bound on shard " +
                     std::to_string(shard::current() ? shard::current()->id() : 0) +
                     (shared ? " by a socket that does not share it; close that socket first"
                             : "; close that socket first, or bind both with bind_shared")};
    }
    return socket;
}

udp_socket::udp_socket(stack& owner, std::uint16_t port, std::size_t queue_capacity)
    : owner_(owner), port_(port), queue_capacity_(queue_capacity), queue_(std::min<std::size_t>(queue_capacity, 64)) {}

udp_socket::~udp_socket() { close(); }

void udp_socket::close() noexcept {
    if (closed_) return;
    closed_ = true;
    const clock::time_point now = clock::now();
    for (const wire::ipv4_address group : std::exchange(groups_, {})) owner_.leave_group(group, now);
    if (port_ != 0) owner_.unbind_udp(port_, *this);
    queue_.clear();  // the datagrams' mbufs go back to the pool now
    wake(socket_error::closed);
}

socket_result<void> udp_socket::join(wire::ipv4_address group) {
    if (closed_) return socket_error::closed;
    if (!group.is_multicast() || wire::is_local_control_group(group)) return socket_error::invalid_group;
    if (member_of(group)) return socket_error::already_joined;
    groups_.push_back(group);
    owner_.join_group(group, clock::now());
    return {};
}

socket_result<void> udp_socket::leave(wire::ipv4_address group) {
    if (closed_) return socket_error::closed;
    const auto found = std::find(groups_.begin(), groups_.end(), group);
    if (found == groups_.end()) return socket_error::not_joined;
    groups_.erase(found);
    owner_.leave_group(group, clock::now());
    return {};
}

bool udp_socket::member_of(wire::ipv4_address group) const {
    return std::find(groups_.begin(), groups_.end(), group) != groups_.end();
}

void udp_socket::wake(socket_result<udp_datagram>&& answer) noexcept {
    receive_awaiter* waiter = std::exchange(waiter_, nullptr);
    if (waiter == nullptr) return;
    if (!answer.ok() && answer.error() == socket_error::closed) waiter->socket_ = nullptr;
    waiter->answer_.emplace(std::move(answer));
    // Resumed in this turn's task stage, right after the receive stage (run to completion).
    waiter->waiting_shard_->schedule(std::exchange(waiter->waiting_, {}));
}

bool udp_socket::deliver(udp_datagram&& datagram) {
    if (waiter_ != nullptr) {  // straight to the waiting task: nothing is queued ahead of it
        ++counters_.received;
        wake(std::move(datagram));
        return true;
    }
    if (queue_.size() >= queue_capacity_) {
        ++counters_.dropped_queue_full;
        return false;
    }
    queue_.push_back(std::move(datagram));
    ++counters_.received;
    return true;
}

void udp_socket::icmp_error(const net::icmp_error& error) {
    ++counters_.icmp_errors;
    udp_socket_error_report report;
    report.reporter = error.reporter;
    report.destination = error.quoted_header.destination;
    // UDP checked the quote holds a UDP header before passing it on.
    const auto quoted = wire::udp_header::parse_quoted(error.quoted_payload);
    report.destination_port = quoted ? quoted->destination_port : 0;
    report.type = error.type;
    report.code = error.code;
    pending_error_ = report;
}

udp_socket::receive_awaiter::~receive_awaiter() {
    // A task destroyed while it waited must not leave the socket pointing at its frame.
    if (socket_ != nullptr && socket_->waiter_ == this) socket_->waiter_ = nullptr;
}

bool udp_socket::receive_awaiter::await_ready() noexcept {
    if (socket_->closed_) {
        answer_.emplace(socket_error::closed);
    } else if (socket_->waiter_ != nullptr) {
        answer_.emplace(socket_error::already_waiting);
    } else if (!socket_->queue_.empty()) {
        answer_.emplace(socket_->queue_.pop_front());
    }
    return answer_.has_value();
}

void udp_socket::receive_awaiter::await_suspend(std::coroutine_handle<> waiting) noexcept {
    waiting_ = waiting;
    waiting_shard_ = &this_shard();
    socket_->waiter_ = this;
}

socket_result<udp_datagram> udp_socket::receive_awaiter::await_resume() noexcept { return std::move(*answer_); }

std::optional<udp_datagram> udp_socket::try_recv_from() noexcept {
    if (queue_.empty()) return std::nullopt;
    return queue_.pop_front();
}

void udp_socket::count_send(send_status status) noexcept {
    if (status == send_status::sent) {
        ++counters_.sent;
    } else {
        ++counters_.send_failed;
    }
}

send_status udp_socket::send_to(wire::ipv4_address address, std::uint16_t port, std::span<const std::byte> payload) {
    if (closed_) return send_status::closed;
    const send_status status = owner_.send_udp(port_, address, port, payload, clock::now());
    count_send(status);
    return status;
}

send_status udp_socket::send_to(wire::ipv4_address address, std::uint16_t port, packet&& payload) {
    if (closed_) return send_status::closed;
    const send_status status = owner_.send_udp(port_, address, port, std::move(payload), clock::now());
    count_send(status);
    return status;
}

send_status udp_socket::send(std::span<const std::byte> payload) {
    if (!peer_address_) return send_status::no_route;
    return send_to(*peer_address_, peer_port_, payload);
}

}  // namespace sluice::net
