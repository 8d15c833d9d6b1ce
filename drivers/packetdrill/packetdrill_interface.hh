// The table of calls packetdrill makes into a stack under test loaded with --so_filename:
// our own declaration of its shared-object ABI (packetdrill.h, upstream commit 2c4001c4),
// member for member in packetdrill's order, since packetdrill fills nothing and calls
// through whatever pointers we store. Every call gets `userdata` first. Only
// sluice_packetdrill.cc fills it, once, from packetdrill_interface_init.
#pragma once

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>

extern "C" {

struct packetdrill_interface {
    void* userdata;
    void (*free)(void* userdata);
    // Socket calls, as their libc namesakes: a result, or -1 with errno set.
    int (*socket)(void* userdata, int domain, int type, int protocol);
    int (*bind)(void* userdata, int fd, const sockaddr* address, socklen_t length);
    int (*listen)(void* userdata, int fd, int backlog);
    int (*accept)(void* userdata, int fd, sockaddr* address, socklen_t* length);
    int (*connect)(void* userdata, int fd, const sockaddr* address, socklen_t length);
    ssize_t (*read)(void* userdata, int fd, void* bytes, size_t count);
    ssize_t (*readv)(void* userdata, int fd, const iovec* pieces, int count);
    ssize_t (*recv)(void* userdata, int fd, void* bytes, size_t count, int flags);
    ssize_t (*recvfrom)(void* userdata, int fd, void* bytes, size_t count, int flags, sockaddr* from,
                        socklen_t* length);
    ssize_t (*recvmsg)(void* userdata, int fd, msghdr* message, int flags);
    ssize_t (*write)(void* userdata, int fd, const void* bytes, size_t count);
    ssize_t (*writev)(void* userdata, int fd, const iovec* pieces, int count);
    ssize_t (*send)(void* userdata, int fd, const void* bytes, size_t count, int flags);
    ssize_t (*sendto)(void* userdata, int fd, const void* bytes, size_t count, int flags, const sockaddr* to,
                      socklen_t length);
    ssize_t (*sendmsg)(void* userdata, int fd, const msghdr* message, int flags);
    int (*fcntl)(void* userdata, int fd, int command, ...);
    int (*ioctl)(void* userdata, int fd, unsigned long request, ...);
    int (*close)(void* userdata, int fd);
    int (*shutdown)(void* userdata, int fd, int how);
    int (*getsockopt)(void* userdata, int fd, int level, int name, void* value, socklen_t* length);
    int (*setsockopt)(void* userdata, int fd, int level, int name, const void* value, socklen_t length);
    int (*poll)(void* userdata, pollfd* fds, nfds_t count, int timeout_ms);
    // The virtual device: an IP packet into the stack (0, or -1 on error), and the next IP
    // packet out of it with the (virtual) time it left; *count 0 when there is none.
    int (*netdev_send)(void* userdata, const void* bytes, size_t count);
    int (*netdev_receive)(void* userdata, void* bytes, size_t* count, long long* time_usecs);
    // The clock packetdrill runs the script by: ours is virtual.
    int (*usleep)(void* userdata, useconds_t microseconds);
    int (*gettimeofday)(void* userdata, timeval* time, struct timezone* zone);
    int (*epoll_create)(void* userdata, int size);
    int (*epoll_ctl)(void* userdata, int epoll_fd, int operation, int fd, epoll_event* event);
    int (*epoll_wait)(void* userdata, int epoll_fd, epoll_event* events, int max_events, int timeout_ms);
    int (*pipe)(void* userdata, int fds[2]);
    int (*splice)(void* userdata, int fd_in, loff_t* offset_in, int fd_out, loff_t* offset_out, size_t length,
                  unsigned int flags);
};

}  // extern "C"
