// tcp_service: accept loop and per-connection echo (sockperf framing or plain bytes).
#include "apps/echo/tcp_service.hh"

#include <algorithm>
#include <array>

#include "apps/echo/sockperf_message.hh"
#include "sluice/core/spawn.hh"

namespace sluice::echo {

namespace {

// The most a sockperf message may say it holds (sockperf's own limit is 64 KiB).
constexpr std::uint32_t max_sockperf_message = 65536;

std::uint32_t message_length(std::span<const std::byte, sockperf_header_length> header) {
    const auto byte = [&](std::size_t i) { return std::uint32_t(std::to_integer<std::uint8_t>(header[i])); };
    return byte(10) << 24 | byte(11) << 16 | byte(12) << 8 | byte(13);
}

}  // namespace

result<std::unique_ptr<tcp_service>> tcp_service::start(net::stack& host, std::uint16_t port, bool discard) {
    auto listener = net::tcp_listener::listen(host, port, 1024);
    if (!listener) return listener.failure();
    std::unique_ptr<tcp_service> service(new tcp_service(std::move(*listener), discard));
    spawn(service->accept_loop());
    return service;
}

tcp_service::~tcp_service() { stop(); }

void tcp_service::stop() noexcept {
    stopping_ = true;
    if (listener_) listener_->close();
    for (net::tcp_socket* socket : open_) socket->close();
}

task<void> tcp_service::accept_loop() {
    for (;;) {
        auto accepted = co_await listener_->accept();
        if (!accepted) co_return;  // the listener closed: the shard is stopping
        ++counters_.accepted;
        spawn(serve(std::move(*accepted)));
    }
}

task<void> tcp_service::serve(std::unique_ptr<net::tcp_socket> socket) {
    if (stopping_) co_return;
    // Listed while this task lives: also when the shard stops and destroys the task
    // suspended, the entry goes before the socket does (locals die before parameters).
    struct listed {
        std::vector<net::tcp_socket*>& open;
        net::tcp_socket* socket;
        ~listed() { open.erase(std::find(open.begin(), open.end(), socket)); }
    } registration{open_, socket.get()};
    open_.push_back(socket.get());
    enum class framing { unknown, sockperf, plain } mode = framing::unknown;
    net::buffer pending;                   // sockperf: bytes of messages not yet complete
    std::vector<std::byte> replies;        // sockperf: this read's pongs, sent in one write
    std::array<std::byte, sockperf_header_length> header{};
    bool failed = false;
    for (;;) {
        auto got = co_await socket->read_some();
        if (!got) {
            failed = got.error() != net::tcp_error::closed;
            break;
        }
        if (got->empty()) break;  // the client closed its side
        if (discard_) {
            counters_.bytes_discarded += got->size();
            continue;
        }
        if (mode == framing::unknown) {
            // sockperf writes each message whole; a first read shorter than its header, or
            // whose header is not sockperf's, is a plain client (nc, a test).
            const std::size_t seen = got->copy_out(0, header);
            mode = (seen == header.size() &&
                    classify(header, message_length(header)) != reply_kind::echo &&
                    message_length(header) <= max_sockperf_message)
                       ? framing::sockperf
                       : framing::plain;
        }
        if (mode == framing::plain) {
            counters_.bytes_echoed += got->size();
            if (!co_await socket->write(std::move(*got))) {  // the same mbufs go back
                failed = true;
                break;
            }
            continue;
        }
        pending.append(std::move(*got));
        replies.clear();
        while (pending.size() >= sockperf_header_length) {
            pending.copy_out(0, header);
            const std::uint32_t length = message_length(header);
            if (length < sockperf_header_length || length > max_sockperf_message) {
                ++counters_.malformed;
                failed = true;
                break;
            }
            if (pending.size() < length) break;  // the rest is on its way
            if (classify(header, length) == reply_kind::sockperf_pong) {
                const std::size_t at = replies.size();
                replies.resize(at + length);
                pending.copy_out(0, std::span(replies).subspan(at, length));
                make_pong(std::span(replies).subspan(at, length));
                ++counters_.pongs;
            } else {
                ++counters_.messages_ignored;
            }
            pending.trim_front(length);
        }
        if (failed) break;
        if (!replies.empty() && !co_await socket->write_all(replies)) {
            failed = true;
            break;
        }
    }
    if (failed) ++counters_.reset;
    ++counters_.closed;
    if (failed) {
        socket->abort();
    } else {
        socket->close();
    }
}

std::string tcp_service::report(unsigned shard_id) const {
    return "sluice-echo: shard " + std::to_string(shard_id) + ": tcp accepted " + std::to_string(counters_.accepted) +
           ", closed " + std::to_string(counters_.closed) + " (" + std::to_string(counters_.reset) +
           " reset or failed), pongs " + std::to_string(counters_.pongs) + ", ignored " +
           std::to_string(counters_.messages_ignored) + ", bytes echoed " + std::to_string(counters_.bytes_echoed) +
           ", malformed " + std::to_string(counters_.malformed) +
           (discard_ ? ", bytes discarded " + std::to_string(counters_.bytes_discarded) : std::string()) + "\n";
}

}  // namespace sluice::echo
