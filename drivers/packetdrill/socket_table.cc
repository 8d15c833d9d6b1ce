// socket_table: the socket calls, each as Linux answers it (errno values, SO_ERROR, poll).
#include "drivers/packetdrill/socket_table.hh"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "drivers/packetdrill/socket_state.hh"
#include "sluice/net/buffer.hh"
#include "sluice/net/tcp/state.hh"

namespace sluice::packetdrill {

using net::tcp::tcp_state;

namespace {

int error_number(net::tcp::connection_error error) noexcept {
    switch (error) {
        case net::tcp::connection_error::refused: return ECONNREFUSED;
        case net::tcp::connection_error::reset: return ECONNRESET;
        case net::tcp::connection_error::timed_out: return ETIMEDOUT;
        case net::tcp::connection_error::aborted:  // we reset it ourselves: nothing to report
        case net::tcp::connection_error::none: return 0;
    }
    return 0;
}

bool handshaking(tcp_state state) noexcept {
    return state == tcp_state::syn_sent || state == tcp_state::syn_received;
}

// The peer's FIN has arrived (Linux sets RCV_SHUTDOWN then, read or not).
bool fin_received(tcp_state state) noexcept {
    return state == tcp_state::close_wait || state == tcp_state::last_ack || state == tcp_state::closing ||
           state == tcp_state::time_wait;
}

bool fin_sent(tcp_state state) noexcept {
    return state == tcp_state::fin_wait_1 || state == tcp_state::fin_wait_2 || state == tcp_state::closing ||
           state == tcp_state::time_wait || state == tcp_state::last_ack;
}

std::optional<sockaddr_in> ipv4_address_of(const sockaddr* address, socklen_t length) {
    if (address == nullptr || length < socklen_t(sizeof(sockaddr_in)) || address->sa_family != AF_INET) {
        return std::nullopt;
    }
    sockaddr_in in;
    std::memcpy(&in, address, sizeof(in));
    return in;
}

void store_address(net::wire::ipv4_address address, std::uint16_t port, sockaddr* out, socklen_t* length) {
    if (out == nullptr || length == nullptr) return;
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    in.sin_addr.s_addr = htonl(address.value);
    std::memcpy(out, &in, std::min<std::size_t>(*length, sizeof(in)));
    *length = sizeof(in);
}

}  // namespace

socket_table::socket_table(virtual_host& host, const net::tcp::connection_options& defaults)
    : host_(host), defaults_(host.tcp().options_for_interface(defaults)) {
    defaults_.mss = std::min(defaults_.mss, defaults.mss);  // so_flags mss= may lower it
}

// The process is ending: packetdrill closed the descriptors itself, so only the
// connections and listeners go here.
socket_table::~socket_table() {
    for (auto& [fd, socket] : sockets_) release(*socket);
}

socket_state* socket_table::find(int fd) noexcept {
    const auto found = sockets_.find(fd);
    return found == sockets_.end() ? nullptr : found->second.get();
}

bool socket_table::nonblocking(int fd) const noexcept {
    const auto found = sockets_.find(fd);
    return found != sockets_.end() && found->second->nonblocking;
}

// A real descriptor (of /dev/null) names each socket, so the numbers never collide with
// packetdrill's own files and its close() of them at the end succeeds.
int socket_table::add(std::unique_ptr<socket_state> socket) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    socket->fd = fd;
    sockets_[fd] = std::move(socket);
    return fd;
}

int socket_table::open(int domain, int type, int protocol) {
    if (domain != AF_INET) return unsupported("socket", "a domain other than AF_INET (IPv4)");
    if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM) return unsupported("socket", "a type other than SOCK_STREAM");
    if (protocol != 0 && protocol != IPPROTO_TCP) return -EPROTONOSUPPORT;  // as Linux: a stream is TCP
    auto socket = std::make_unique<socket_state>();
    socket->nonblocking = (type & SOCK_NONBLOCK) != 0;
    socket->options = defaults_;
    return add(std::move(socket));
}

std::uint16_t socket_table::ephemeral_port(net::wire::ipv4_address local, net::wire::ipv4_address remote,
                                           std::uint16_t remote_port) {
    for (int tries = 0; tries < 20000; ++tries) {
        const std::uint16_t port = next_port_;
        next_port_ = next_port_ >= 60999 ? 40000 : std::uint16_t(next_port_ + 1);
        bool taken = host_.tcp().table().listener_on(port) != nullptr ||
                     host_.tcp().table().find({local, port, remote, remote_port}) != nullptr;
        for (const auto& [fd, other] : sockets_) taken = taken || other->bound_port == port;
        if (!taken) return port;
    }
    return 0;
}

int socket_table::bind(int fd, const sockaddr* address, socklen_t length) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    const auto in = ipv4_address_of(address, length);
    if (!in) return address != nullptr && address->sa_family == AF_INET6 ? unsupported("bind", "IPv6") : -EINVAL;
    if (socket->bound_port != 0 || socket->entry != nullptr || socket->listening != nullptr) return -EINVAL;
    const net::wire::ipv4_address wanted{ntohl(in->sin_addr.s_addr)};
    if (!wanted.is_unspecified() && wanted != host_.source_address()) return -EADDRNOTAVAIL;
    std::uint16_t port = ntohs(in->sin_port);
    if (port == 0) port = ephemeral_port(host_.source_address(), {}, 0);
    for (const auto& [other_fd, other] : sockets_) {
        if (other->bound_port == port && !(other->reuse_address && socket->reuse_address && other->listening == nullptr)) {
            return -EADDRINUSE;
        }
    }
    socket->bound_address = wanted;
    socket->bound_port = port;
    return 0;
}

int socket_table::listen(int fd, int backlog) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    if (socket->entry != nullptr) return -EINVAL;
    if (socket->listening != nullptr) return 0;
    if (socket->bound_port == 0) socket->bound_port = ephemeral_port(host_.source_address(), {}, 0);
    net::tcp::listener* listening = host_.tcp().table().listen(
        socket->bound_port, std::size_t(backlog < 1 ? 1 : backlog), socket->options);
    if (listening == nullptr) return -EADDRINUSE;
    socket->listening = listening;
    return 0;
}

int socket_table::accept(int fd, sockaddr* address, socklen_t* length) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    if (socket->listening == nullptr) return -EINVAL;
    net::tcp::connection_entry* entry = host_.tcp().table().accept(*socket->listening);
    if (entry == nullptr) return -EAGAIN;
    auto child = std::make_unique<socket_state>();
    child->options = socket->listening->options();  // Linux: O_NONBLOCK is not inherited
    child->entry = entry;
    child->connect_reported = true;
    child->bound_address = entry->conn.tuple().local;
    child->bound_port = 0;  // shares the listener's port without holding it
    store_address(entry->conn.tuple().remote, entry->conn.tuple().remote_port, address, length);
    const int child_fd = add(std::move(child));
    if (child_fd < 0) host_.tcp().table().release(*entry, now());
    return child_fd;
}

int socket_table::connect(int fd, const sockaddr* address, socklen_t length) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    if (socket->listening != nullptr) return -EISCONN;
    if (address != nullptr && length >= socklen_t(sizeof(sa_family_t)) && address->sa_family == AF_UNSPEC) {
        // Linux: connect(AF_UNSPEC) disconnects, with RST for a live connection.
        if (socket->entry != nullptr) {
            if (socket->entry->conn.state() != tcp_state::closed) socket->entry->conn.abort(now());
            release(*socket);
        }
        return 0;
    }
    const auto in = ipv4_address_of(address, length);
    if (!in) return address != nullptr && address->sa_family == AF_INET6 ? unsupported("connect", "IPv6") : -EINVAL;
    if (socket->entry != nullptr) {
        const tcp_state state = socket->entry->conn.state();
        if (handshaking(state)) return -EALREADY;
        if (const int error = take_error(*socket)) return error;
        if (state != tcp_state::closed) {
            if (socket->connect_reported) return -EISCONN;
            socket->connect_reported = true;
            return 0;
        }
        release(*socket);  // a failed attempt: the socket may try again
    }
    const net::wire::ipv4_address local = socket->bound_address.is_unspecified() ? host_.source_address()
                                                                             : socket->bound_address;
    const net::wire::ipv4_address remote{ntohl(in->sin_addr.s_addr)};
    const std::uint16_t remote_port = ntohs(in->sin_port);
    const std::uint16_t port = socket->bound_port != 0 ? socket->bound_port : ephemeral_port(local, remote, remote_port);
    if (port == 0) return -EADDRNOTAVAIL;
    net::tcp::connection_entry* entry = host_.tcp().table().connect({local, port, remote, remote_port},
                                                                    socket->options, now());
    if (entry == nullptr) return -EADDRNOTAVAIL;
    socket->entry = entry;
    socket->error_taken = false;
    socket->connect_reported = false;
    return -EINPROGRESS;
}

int socket_table::connect_result(int fd) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    if (socket->entry == nullptr) return -ENOTCONN;
    if (handshaking(socket->entry->conn.state())) return -EINPROGRESS;
    if (const int error = take_error(*socket)) return error;
    socket->connect_reported = true;
    return socket->entry->conn.state() == tcp_state::closed ? -ECONNABORTED : 0;
}

// SO_ERROR: the error that ended the connection, once (Linux clears sk_err as it reports it).
int socket_table::take_error(socket_state& socket) noexcept {
    if (socket.entry == nullptr || socket.error_taken) return 0;
    int error = error_number(socket.entry->conn.error());
    // Linux reports a RST after the peer's FIN (CLOSE-WAIT) as EPIPE, not ECONNRESET.
    if (error == ECONNRESET && socket.entry->conn.peer_finished()) error = EPIPE;
    if (error == 0) return 0;
    socket.error_taken = true;
    return -error;
}

ssize_t socket_table::read(int fd, std::span<std::byte> into) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    if (socket->entry == nullptr) return -ENOTCONN;
    if (socket->read_shut) return 0;
    net::tcp::connection& conn = socket->entry->conn;
    if (conn.readable() > 0) {
        std::size_t copied = 0;
        while (copied < into.size()) {
            const net::buffer piece = conn.read(into.size() - copied, now());
            if (piece.empty()) break;
            copied += piece.copy_out(0, into.subspan(copied, piece.size()));
        }
        host_.tcp().table().updated(*socket->entry, now());
        return ssize_t(copied);
    }
    if (const int error = take_error(*socket)) return error;
    if (conn.peer_finished() || conn.state() == tcp_state::closed) return 0;
    return -EAGAIN;
}

ssize_t socket_table::write(int fd, std::span<const std::byte> bytes) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    if (socket->entry == nullptr) return -EPIPE;
    if (const int error = take_error(*socket)) return error;
    net::tcp::connection& conn = socket->entry->conn;
    if (handshaking(conn.state())) return -EAGAIN;  // Linux waits for the handshake
    if (socket->write_shut || !net::tcp::can_send(conn.state())) return -EPIPE;
    if (bytes.empty()) return 0;
    const auto taken = conn.write(bytes, now());
    host_.tcp().table().updated(*socket->entry, now());
    if (!taken.ok()) return -ENOBUFS;
    return *taken == 0 ? -EAGAIN : ssize_t(*taken);
}

void socket_table::release(socket_state& socket) {
    if (socket.listening != nullptr) host_.tcp().table().unlisten(*socket.listening, now());
    socket.listening = nullptr;
    if (socket.entry != nullptr) {
        if (socket.linger_abort && socket.entry->conn.state() != tcp_state::closed) socket.entry->conn.abort(now());
        host_.tcp().table().release(*socket.entry, now());
    }
    socket.entry = nullptr;
}

int socket_table::close(int fd) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    release(*socket);
    ::close(fd);
    sockets_.erase(fd);
    return 0;
}

int socket_table::shutdown(int fd, int how) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
    if (socket->entry == nullptr || socket->entry->conn.state() == tcp_state::closed) return -ENOTCONN;
    if (how != SHUT_WR) socket->read_shut = true;
    if (how != SHUT_RD && !socket->write_shut) {
        socket->write_shut = true;
        socket->entry->conn.shutdown_send(now());  // RFC 9293 3.10.4: FIN after what is queued
        host_.tcp().table().updated(*socket->entry, now());
    }
    return 0;
}

int socket_table::get_flags(int fd) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    return O_RDWR | (socket->nonblocking ? O_NONBLOCK : 0);
}

int socket_table::set_flags(int fd, int flags) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    socket->nonblocking = (flags & O_NONBLOCK) != 0;
    return 0;
}

int socket_table::bytes_readable(int fd) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    if (socket->listening != nullptr) return -EINVAL;
    return socket->entry == nullptr ? 0 : int(socket->entry->conn.readable());
}

// Linux's tcp_poll: HUP when both directions are shut (or closed), IN with RDHUP once the
// peer's FIN is in, OUT while there is send room (or the send side is shut), ERR while an
// error waits to be reported; nothing but those while the handshake runs.
short socket_table::poll_events(int fd) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return POLLNVAL;
    if (socket->listening != nullptr) return socket->listening->pending() > 0 ? POLLIN | POLLRDNORM : 0;
    if (socket->entry == nullptr) return POLLOUT | POLLWRNORM | POLLHUP;
    const net::tcp::connection& conn = socket->entry->conn;
    const tcp_state state = conn.state();
    const bool closed = state == tcp_state::closed;
    const bool read_shut = closed || socket->read_shut || fin_received(state);
    const bool send_shut = closed || socket->write_shut || fin_sent(state);
    short events = 0;
    if (read_shut && send_shut) events |= POLLHUP;
    if (read_shut) events |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (!handshaking(state)) {
        if (conn.readable() > 0) events |= POLLIN | POLLRDNORM;
        if (send_shut || conn.send_room() > 0) events |= POLLOUT | POLLWRNORM;
    }
    if (!socket->error_taken && error_number(conn.error()) != 0) events |= POLLERR;
    return events;
}

}  // namespace sluice::packetdrill
