// sluice::packetdrill::socket_table: Linux-like TCP sockets over one virtual_host's
// connection table, as packetdrill's scripts call them — file descriptors for listeners
// and connections, errno values, SO_ERROR reported once, poll events as Linux's tcp_poll
// sets them. Every call returns at once, a result or -errno (-EAGAIN where a blocking
// socket would wait): sluice_packetdrill.cc does the waiting. Called under the instance's
// lock; the table owns its sockets, the connection table the connections they hold.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>

#include "drivers/packetdrill/virtual_host.hh"
#include "sluice/net/tcp/connection.hh"
#include "sluice/net/tcp/connection_table.hh"
#include "sluice/net/tcp/listener.hh"

namespace sluice::packetdrill {

struct socket_state;

class socket_table {
public:
    // New sockets start with `defaults` (so_flags), the MSS their interface allows.
    socket_table(virtual_host& host, const net::tcp::connection_options& defaults);
    socket_table(const socket_table&) = delete;
    socket_table& operator=(const socket_table&) = delete;
    ~socket_table();  // closes every socket still open, as process exit would

    int open(int domain, int type, int protocol);
    int bind(int fd, const sockaddr* address, socklen_t length);
    int listen(int fd, int backlog);
    int accept(int fd, sockaddr* address, socklen_t* length);
    // Starts an active open: -EINPROGRESS, then connect_result() says how it went.
    int connect(int fd, const sockaddr* address, socklen_t length);
    // 0 once established, -EINPROGRESS while the handshake runs, else the error.
    int connect_result(int fd);
    ssize_t read(int fd, std::span<std::byte> into);
    ssize_t write(int fd, std::span<const std::byte> bytes);
    int close(int fd);
    int shutdown(int fd, int how);

    int get_flags(int fd);              // fcntl F_GETFL
    int set_flags(int fd, int flags);   // fcntl F_SETFL: O_NONBLOCK only
    int bytes_readable(int fd);         // ioctl FIONREAD
    int getsockopt(int fd, int level, int name, void* value, socklen_t* length);
    int setsockopt(int fd, int level, int name, const void* value, socklen_t length);
    // What poll() reports for `fd` now: POLLNVAL when it is not ours.
    short poll_events(int fd);

    bool exists(int fd) const noexcept { return sockets_.contains(fd); }
    bool nonblocking(int fd) const noexcept;

private:
    socket_state* find(int fd) noexcept;
    int add(std::unique_ptr<socket_state> socket);
    std::uint16_t ephemeral_port(net::wire::ipv4_address local, net::wire::ipv4_address remote, std::uint16_t remote_port);
    int take_error(socket_state& socket) noexcept;
    void apply_live(socket_state& socket);
    void release(socket_state& socket);
    clock::time_point now() const noexcept { return host_.now(); }

    virtual_host& host_;
    net::tcp::connection_options defaults_;
    std::map<int, std::unique_ptr<socket_state>> sockets_;
    std::uint16_t next_port_ = 40000;
};

}  // namespace sluice::packetdrill
