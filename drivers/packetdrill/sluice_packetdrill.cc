// libsluice_packetdrill.so: Sluice's TCP as packetdrill's stack under test
// (docs/packetdrill.md). packetdrill_interface_init starts EAL (mbufs need it; no NIC),
// makes a packet pool, a virtual_host and a socket_table, and fills packetdrill's table of
// calls: the device and clock calls below, the socket calls from socket_calls.cc.
//
// Threads and time: packetdrill calls from its main thread (packets, the clock, and
// system calls the script does not expect to block) and from one system-call thread (a
// script line with a time range, "+0...0.1 read(...)"). So every call runs in a `call`
// scope (instance.hh), and a call that must wait sleeps on a condition variable until
// the main thread changes something. Time is virtual: it
// moves only in usleep, gettimeofday (a microsecond a call, since packetdrill spins on it
// for the last 20 µs before an event), netdev_receive (to the next TCP deadline, when the
// script expects a packet and none is queued) and a poll() with a timeout.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "drivers/packetdrill/instance.hh"
#include "drivers/packetdrill/packetdrill_interface.hh"
#include "drivers/packetdrill/so_flags.hh"
#include "drivers/packetdrill/socket_state.hh"
#include "sluice/dpdk/eal.hh"
#include "sluice/net/packet_pool.hh"

namespace sluice::packetdrill {
namespace {

using std::chrono::microseconds;

// Virtual time starts here (a fixed point, so runs repeat): 2023-11-14 22:13:20 UTC.
constexpr clock::time_point virtual_start{std::chrono::seconds(1'700'000'000)};
// How far netdev_receive lets time run looking for packets the script expects, counted
// from the script's last action (a packet in, a system call, a sleep): past Linux's and
// RFC 1122's two-hour keepalive idle time, so such scripts work too. A bound at all,
// because packetdrill sniffs on until the payload it expects has come, and a stack that
// sends only empty segments (probes) would otherwise keep it sniffing forever.
constexpr clock::duration longest_wait_for_packet = std::chrono::hours(3);

// --- the device and the clock -------------------------------------------------------------

int netdev_send_call(void* userdata, const void* bytes, size_t count) {
    call c(userdata);
    const char* why = nullptr;
    if (c.self.host->deliver({static_cast<const std::byte*>(bytes), count}, &why)) return 0;
    std::fprintf(stderr, "sluice_packetdrill: dropped a packet the script sent: %s\n", why);
    return -1;
}

int netdev_receive_call(void* userdata, void* bytes, size_t* count, long long* time_usecs) {
    call c(userdata, call::observation);
    c.let_waiter_act();
    const auto sent = c.self.host->next_sent(c.self.last_action + longest_wait_for_packet);
    if (!sent) {
        std::fprintf(stderr,
                     "sluice_packetdrill: the script expects a packet, but none (or not enough payload) "
                     "left within 3 hours of virtual time\n");
        *count = 0;
        return 0;
    }
    const std::size_t length = std::min(*count, sent->bytes.size());
    std::memcpy(bytes, sent->bytes.data(), length);
    *count = length;
    *time_usecs = std::chrono::duration_cast<microseconds>(sent->at.time_since_epoch()).count();
    return 0;
}

int usleep_call(void* userdata, useconds_t duration) {
    call c(userdata);
    c.advance_by(microseconds(duration));
    return 0;
}

int gettimeofday_call(void* userdata, timeval* time, struct timezone*) {
    call c(userdata, call::observation);
    c.advance_by(microseconds(1));
    const auto since = std::chrono::duration_cast<microseconds>(c.self.host->now().time_since_epoch()).count();
    time->tv_sec = since / 1'000'000;
    time->tv_usec = since % 1'000'000;
    return 0;
}

// --- what Sluice does not offer -------------------------------------------------------------

int epoll_create_call(void*, int) { return answer(unsupported("epoll_create", "epoll")); }
int epoll_ctl_call(void*, int, int, int, epoll_event*) { return answer(unsupported("epoll_ctl", "epoll")); }
int epoll_wait_call(void*, int, epoll_event*, int, int) { return answer(unsupported("epoll_wait", "epoll")); }
int pipe_call(void*, int*) { return answer(unsupported("pipe", "pipe")); }
int splice_call(void*, int, loff_t*, int, loff_t*, size_t, unsigned int) {
    return answer(unsupported("splice", "splice"));
}

void free_instance(void* userdata) {
    auto* self = static_cast<instance*>(userdata);
    {
        const net::packet_pool::scoped_current current(*self->pool);
        self->sockets.reset();
        self->host.reset();
    }
    self->pool.reset();
    self->eal.reset();
    delete self;
}

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "sluice_packetdrill: %s\n", message.c_str());
    std::exit(EXIT_FAILURE);
}

}  // namespace
}  // namespace sluice::packetdrill

extern "C" __attribute__((visibility("default"))) void packetdrill_interface_init(const char* flags,
                                                                                   packetdrill_interface* table) {
    using namespace sluice;
    using namespace sluice::packetdrill;
    auto parsed = parse_host_flags(flags == nullptr ? "" : flags);
    if (!parsed) fail(parsed.message());
    auto self = std::make_unique<instance>();
    self->main_thread = std::this_thread::get_id();
    // No NIC; 64 MiB of heap, enough for the pool, since packetdrill locks every page it
    // maps (mlockall). eal::start adds a per-process --file-prefix and --no-shconf.
    auto started = dpdk::eal::start("sluice_packetdrill", {"--no-huge", "--no-pci", "-m", "64"});
    if (!started) fail("EAL did not start: " + started.message());
    self->eal = std::move(*started);
    auto pool = net::packet_pool::create({.name = "packetdrill", .count = 8191, .cache_size = 256});
    if (!pool) fail(pool.message());
    self->pool.emplace(std::move(*pool));
    const net::packet_pool::scoped_current current(*self->pool);
    self->host = std::make_unique<virtual_host>(parsed->local, parsed->mtu, parsed->limits, virtual_start);
    self->sockets = std::make_unique<socket_table>(*self->host, parsed->options);

    *table = packetdrill_interface{};
    table->userdata = self.release();
    table->free = free_instance;
    fill_socket_calls(*table);
    table->netdev_send = netdev_send_call;
    table->netdev_receive = netdev_receive_call;
    table->usleep = usleep_call;
    table->gettimeofday = gettimeofday_call;
    table->epoll_create = epoll_create_call;
    table->epoll_ctl = epoll_ctl_call;
    table->epoll_wait = epoll_wait_call;
    table->pipe = pipe_call;
    table->splice = splice_call;
}
