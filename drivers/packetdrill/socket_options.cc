// socket_table: getsockopt and setsockopt, mapped onto connection_options. Options that
// shape the handshake (buffers, MSS, keepalive timing, congestion control) are taken at
// listen() or connect(); NODELAY and KEEPALIVE also change a live connection.
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "drivers/packetdrill/socket_state.hh"
#include "drivers/packetdrill/socket_table.hh"
#include "sluice/net/tcp/congestion/congestion_control.hh"

namespace sluice::packetdrill {

namespace {

int store_int(int value, void* out, socklen_t* length) {
    if (out == nullptr || length == nullptr || *length < socklen_t(sizeof(int))) return -EINVAL;
    std::memcpy(out, &value, sizeof(int));
    *length = sizeof(int);
    return 0;
}

int seconds_of(clock::duration d) { return int(std::chrono::duration_cast<std::chrono::seconds>(d).count()); }

std::string option_name(int level, int name) {
    if (level == IPPROTO_TCP && name == TCP_INFO) return "TCP_INFO";
    if (level == IPPROTO_TCP && name == TCP_CONGESTION) return "TCP_CONGESTION";
    char text[64];
    std::snprintf(text, sizeof text, "%s option %d",
                  level == SOL_SOCKET ? "SOL_SOCKET" : level == IPPROTO_TCP ? "IPPROTO_TCP" : "level", name);
    return level == SOL_SOCKET || level == IPPROTO_TCP ? text : text + std::string(" ") + std::to_string(level);
}

}  // namespace

int socket_table::getsockopt(int fd, int level, int name, void* value, socklen_t* length) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    const net::tcp::connection_options& options =
        socket->entry != nullptr ? socket->entry->conn.options() : socket->options;
    if (level == SOL_SOCKET) {
        switch (name) {
            case SO_ERROR: return store_int(-take_error(*socket), value, length);
            case SO_TYPE: return store_int(SOCK_STREAM, value, length);
            case SO_REUSEADDR: return store_int(socket->reuse_address, value, length);
            case SO_KEEPALIVE: return store_int(options.keepalive, value, length);
            case SO_RCVBUF: return store_int(int(options.receive.capacity), value, length);
            case SO_SNDBUF: return store_int(int(options.send_buffer), value, length);
            default: break;
        }
    } else if (level == IPPROTO_TCP) {
        switch (name) {
            case TCP_NODELAY: return store_int(options.nodelay, value, length);
            case TCP_MAXSEG:
                return store_int(socket->entry != nullptr && socket->entry->conn.state() != net::tcp::tcp_state::syn_sent
                                     ? socket->entry->conn.send_mss()
                                     : options.mss,
                                 value, length);
            case TCP_KEEPIDLE: return store_int(seconds_of(options.keepalive_idle), value, length);
            case TCP_KEEPINTVL: return store_int(seconds_of(options.keepalive_interval), value, length);
            case TCP_KEEPCNT: return store_int(int(options.keepalive_probes), value, length);
            default: break;
        }
    }
    return unsupported("getsockopt", option_name(level, name));
}

int socket_table::setsockopt(int fd, int level, int name, const void* value, socklen_t length) {
    socket_state* socket = find(fd);
    if (socket == nullptr) return -EBADF;
    if (value == nullptr) return -EFAULT;
    int number = 0;
    if (length >= socklen_t(sizeof(int))) std::memcpy(&number, value, sizeof(int));
    const bool live = socket->entry != nullptr;
    net::tcp::connection_options& options = socket->options;
    // Options the handshake has already used cannot change on a live connection.
    const auto before_open = [&](const char* what) {
        return live ? unsupported("setsockopt", std::string(what) + " after connect() or accept()") : 0;
    };
    int outcome = -ENOPROTOOPT;
    if (level == SOL_SOCKET) {
        switch (name) {
            case SO_REUSEADDR:
            case SO_REUSEPORT: socket->reuse_address = number != 0; return 0;
            case SO_KEEPALIVE:
                options.keepalive = number != 0;
                if (live) socket->entry->conn.set_keepalive(number != 0, now());
                outcome = 0;
                break;
            case SO_RCVBUF:
                if ((outcome = before_open("SO_RCVBUF")) == 0) options.receive.capacity = std::size_t(std::max(number, 2048));
                break;
            case SO_SNDBUF:
                if ((outcome = before_open("SO_SNDBUF")) == 0) options.send_buffer = std::size_t(std::max(number, 2048));
                break;
            case SO_LINGER: {
                if (length < socklen_t(sizeof(linger))) return -EINVAL;
                linger wanted;
                std::memcpy(&wanted, value, sizeof wanted);
                socket->linger_abort = wanted.l_onoff != 0 && wanted.l_linger == 0;
                return 0;
            }
            default: return unsupported("setsockopt", option_name(level, name));
        }
    } else if (level == IPPROTO_TCP) {
        switch (name) {
            case TCP_NODELAY:
                options.nodelay = number != 0;
                if (live) socket->entry->conn.set_nodelay(number != 0);
                outcome = 0;
                break;
            case TCP_MAXSEG:
                if ((outcome = before_open("TCP_MAXSEG")) == 0) {
                    if (number < 88) return -EINVAL;
                    options.mss = std::uint16_t(std::min<int>(number, options.mss));
                }
                break;
            case TCP_KEEPIDLE:
            case TCP_KEEPINTVL:
            case TCP_KEEPCNT:
                if (number < 1) return -EINVAL;
                if ((outcome = before_open("TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT")) != 0) break;
                if (name == TCP_KEEPIDLE) options.keepalive_idle = std::chrono::seconds(number);
                if (name == TCP_KEEPINTVL) options.keepalive_interval = std::chrono::seconds(number);
                if (name == TCP_KEEPCNT) options.keepalive_probes = unsigned(number);
                break;
            case TCP_CONGESTION: {
                std::string wanted(static_cast<const char*>(value), strnlen(static_cast<const char*>(value), length));
                const auto algorithm = net::tcp::parse_congestion_algorithm(wanted == "reno" ? "newreno" : wanted);
                if (!algorithm) return unsupported("setsockopt", "TCP_CONGESTION " + wanted);
                if ((outcome = before_open("TCP_CONGESTION")) == 0) options.congestion = *algorithm;
                break;
            }
            default: return unsupported("setsockopt", option_name(level, name));
        }
    } else {
        return unsupported("setsockopt", option_name(level, name));
    }
    if (outcome == 0) apply_live(*socket);
    return outcome;
}

// A listener's future children take its options; a live connection files what changed.
void socket_table::apply_live(socket_state& socket) {
    if (socket.listening != nullptr) socket.listening->options() = socket.options;
    if (socket.entry != nullptr) host_.tcp().table().updated(*socket.entry, now());
}

}  // namespace sluice::packetdrill
