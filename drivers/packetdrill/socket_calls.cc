// The socket calls packetdrill makes, over socket_table: each in a `call` scope, the
// blocking ones waiting (on packetdrill's system-call thread) until the main thread
// delivers what they need, and every answer as libc gives it (-1 and errno).
#include <fcntl.h>
#include <sys/ioctl.h>

#include <cstdarg>
#include <span>
#include <vector>

#include "drivers/packetdrill/instance.hh"
#include "drivers/packetdrill/packetdrill_interface.hh"
#include "drivers/packetdrill/socket_state.hh"

namespace sluice::packetdrill {
namespace {

std::span<std::byte> bytes_of(void* data, std::size_t count) { return {static_cast<std::byte*>(data), count}; }

// --- socket calls -------------------------------------------------------------------------

int open_socket(void* userdata, int domain, int type, int protocol) {
    call c(userdata);
    return answer(c.self.sockets->open(domain, type, protocol));
}

int bind_socket(void* userdata, int fd, const sockaddr* address, socklen_t length) {
    call c(userdata);
    return answer(c.self.sockets->bind(fd, address, length));
}

int listen_socket(void* userdata, int fd, int backlog) {
    call c(userdata);
    return answer(c.self.sockets->listen(fd, backlog));
}

int accept_socket(void* userdata, int fd, sockaddr* address, socklen_t* length) {
    call c(userdata);
    return answer(int(until_not(c, fd, false, -EAGAIN, "accept",
                                [&] { return long(c.self.sockets->accept(fd, address, length)); })));
}

int connect_socket(void* userdata, int fd, const sockaddr* address, socklen_t length) {
    call c(userdata);
    const int started = c.self.sockets->connect(fd, address, length);
    if (started != -EINPROGRESS) return answer(started);
    return answer(int(until_not(c, fd, false, -EINPROGRESS, "connect",
                                [&] { return long(c.self.sockets->connect_result(fd)); })));
}

// Reads into the pieces in order; waits (blocking socket) only while nothing has come.
ssize_t read_pieces(void* userdata, int fd, std::span<const iovec> pieces, int flags, const char* name) {
    call c(userdata);
    if ((flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL)) != 0) return answer(ssize_t(unsupported(name, "flags other than MSG_DONTWAIT")));
    return answer(ssize_t(until_not(c, fd, (flags & MSG_DONTWAIT) != 0, -EAGAIN, name, [&] {
        long total = 0;
        for (const iovec& piece : pieces) {
            const ssize_t got = c.self.sockets->read(fd, bytes_of(piece.iov_base, piece.iov_len));
            if (got < 0) return total > 0 ? total : long(got);
            total += got;
            if (std::size_t(got) < piece.iov_len) break;
        }
        return total;
    })));
}

ssize_t read_call(void* userdata, int fd, void* bytes, size_t count) {
    const iovec piece{bytes, count};
    return read_pieces(userdata, fd, {&piece, 1}, 0, "read");
}
ssize_t readv_call(void* userdata, int fd, const iovec* pieces, int count) {
    return read_pieces(userdata, fd, {pieces, std::size_t(std::max(count, 0))}, 0, "readv");
}
ssize_t recv_call(void* userdata, int fd, void* bytes, size_t count, int flags) {
    const iovec piece{bytes, count};
    return read_pieces(userdata, fd, {&piece, 1}, flags, "recv");
}
ssize_t recvfrom_call(void* userdata, int fd, void* bytes, size_t count, int flags, sockaddr*, socklen_t* length) {
    if (length != nullptr) *length = 0;  // TCP names no sender
    const iovec piece{bytes, count};
    return read_pieces(userdata, fd, {&piece, 1}, flags, "recvfrom");
}
ssize_t recvmsg_call(void* userdata, int fd, msghdr* message, int flags) {
    message->msg_namelen = 0;
    message->msg_controllen = 0;
    message->msg_flags = 0;
    return read_pieces(userdata, fd, {message->msg_iov, message->msg_iovlen}, flags, "recvmsg");
}

// A blocking write returns once every byte is taken (or on an error after none was);
// a non-blocking one takes what fits.
ssize_t write_bytes(void* userdata, int fd, std::span<const std::byte> bytes, int flags, const char* name) {
    call c(userdata);
    if ((flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL)) != 0) return answer(ssize_t(unsupported(name, "flags other than MSG_DONTWAIT and MSG_NOSIGNAL")));
    std::size_t total = 0;
    bool waited = false;
    for (;;) {
        const ssize_t taken = c.self.sockets->write(fd, bytes.subspan(total));
        if (taken > 0) total += std::size_t(taken);
        if (taken >= 0 && total == bytes.size()) break;
        if (taken < 0 && taken != -EAGAIN) {
            if (total == 0) total = std::size_t(taken);  // the error, once converted below
            break;
        }
        if (taken == -EAGAIN && !c.may_wait(fd, (flags & MSG_DONTWAIT) != 0, name)) {
            if (total == 0) total = std::size_t(-EAGAIN);
            break;
        }
        if (taken == -EAGAIN) {
            c.wait();
            waited = true;
        }
    }
    if (waited) c.done_waiting();
    return answer(ssize_t(total));
}

std::vector<std::byte> gather(std::span<const iovec> pieces) {
    std::vector<std::byte> all;
    for (const iovec& piece : pieces) {
        const auto* first = static_cast<const std::byte*>(piece.iov_base);
        all.insert(all.end(), first, first + piece.iov_len);
    }
    return all;
}

ssize_t write_call(void* userdata, int fd, const void* bytes, size_t count) {
    return write_bytes(userdata, fd, {static_cast<const std::byte*>(bytes), count}, 0, "write");
}
ssize_t writev_call(void* userdata, int fd, const iovec* pieces, int count) {
    const auto all = gather({pieces, std::size_t(std::max(count, 0))});
    return write_bytes(userdata, fd, all, 0, "writev");
}
ssize_t send_call(void* userdata, int fd, const void* bytes, size_t count, int flags) {
    return write_bytes(userdata, fd, {static_cast<const std::byte*>(bytes), count}, flags, "send");
}
ssize_t sendto_call(void* userdata, int fd, const void* bytes, size_t count, int flags, const sockaddr*, socklen_t) {
    return write_bytes(userdata, fd, {static_cast<const std::byte*>(bytes), count}, flags, "sendto");
}
ssize_t sendmsg_call(void* userdata, int fd, const msghdr* message, int flags) {
    const auto all = gather({message->msg_iov, message->msg_iovlen});
    return write_bytes(userdata, fd, all, flags, "sendmsg");
}

int close_call(void* userdata, int fd) {
    call c(userdata);
    return answer(c.self.sockets->close(fd));
}

int shutdown_call(void* userdata, int fd, int how) {
    call c(userdata);
    return answer(c.self.sockets->shutdown(fd, how));
}

int fcntl_call(void* userdata, int fd, int command, ...) {
    call c(userdata);
    std::va_list rest;
    va_start(rest, command);
    const int argument = command == F_SETFL || command == F_SETFD ? va_arg(rest, int) : 0;
    va_end(rest);
    switch (command) {
        case F_GETFL: return answer(c.self.sockets->get_flags(fd));
        case F_SETFL: return answer(c.self.sockets->set_flags(fd, argument));
        case F_GETFD: return answer(c.self.sockets->exists(fd) ? FD_CLOEXEC : -EBADF);
        case F_SETFD: return answer(c.self.sockets->exists(fd) ? 0 : -EBADF);
        default: return answer(unsupported("fcntl", "a command other than F_GETFL, F_SETFL, F_GETFD, F_SETFD"));
    }
}

int ioctl_call(void* userdata, int fd, unsigned long request, ...) {
    call c(userdata);
    std::va_list rest;
    va_start(rest, request);
    int* argument = va_arg(rest, int*);
    va_end(rest);
    if (request == FIONREAD) {
        const int readable = c.self.sockets->bytes_readable(fd);
        if (readable >= 0) *argument = readable;
        return answer(std::min(readable, 0));
    }
    if (request == FIONBIO) {
        const int flags = c.self.sockets->get_flags(fd);
        if (flags < 0) return answer(flags);
        return answer(c.self.sockets->set_flags(fd, *argument != 0 ? flags | O_NONBLOCK : flags & ~O_NONBLOCK));
    }
    return answer(unsupported("ioctl", "a request other than FIONREAD (SIOCINQ) and FIONBIO"));
}

int getsockopt_call(void* userdata, int fd, int level, int name, void* value, socklen_t* length) {
    call c(userdata);
    return answer(c.self.sockets->getsockopt(fd, level, name, value, length));
}

int setsockopt_call(void* userdata, int fd, int level, int name, const void* value, socklen_t length) {
    call c(userdata);
    return answer(c.self.sockets->setsockopt(fd, level, name, value, length));
}

// Ready descriptors now; else waits for the main thread until `timeout_ms` of virtual time
// has passed. On the main thread, nothing else moves time, so the wait moves it itself.
int poll_call(void* userdata, pollfd* fds, nfds_t count, int timeout_ms) {
    call c(userdata);
    const clock::time_point deadline =
        timeout_ms < 0 ? clock::time_point::max() : c.self.host->now() + std::chrono::milliseconds(timeout_ms);
    for (bool waited = false;; waited = true) {
        int ready = 0;
        for (pollfd& one : std::span(fds, count)) {
            one.revents = one.fd < 0 ? 0 : short(c.self.sockets->poll_events(one.fd) & (one.events | POLLERR | POLLHUP | POLLNVAL));
            ready += one.revents != 0;
        }
        if (ready > 0 || c.self.host->now() >= deadline) {
            if (waited && !c.on_main_thread()) c.done_waiting();
            return ready;
        }
        if (c.on_main_thread()) {
            c.let_waiter_act();
            c.self.host->advance_to(std::min(deadline, c.self.host->tcp().next_deadline()));
        } else {
            c.wait();
        }
    }
}

}  // namespace

void fill_socket_calls(packetdrill_interface& table) {
    table.socket = open_socket;
    table.bind = bind_socket;
    table.listen = listen_socket;
    table.accept = accept_socket;
    table.connect = connect_socket;
    table.read = read_call;
    table.readv = readv_call;
    table.recv = recv_call;
    table.recvfrom = recvfrom_call;
    table.recvmsg = recvmsg_call;
    table.write = write_call;
    table.writev = writev_call;
    table.send = send_call;
    table.sendto = sendto_call;
    table.sendmsg = sendmsg_call;
    table.fcntl = fcntl_call;
    table.ioctl = ioctl_call;
    table.close = close_call;
    table.shutdown = shutdown_call;
    table.getsockopt = getsockopt_call;
    table.setsockopt = setsockopt_call;
    table.poll = poll_call;
}

}  // namespace sluice::packetdrill
