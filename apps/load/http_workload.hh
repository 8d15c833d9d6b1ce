// sluice::load::http_workload: sluice-load's "http" workload, the same GET sent again and
// again on kept-alive HTTP/1.1 connections, and a scanner that finds where each response
// ends (RFC 9112). Pure like every workload: bytes in, bytes out. Owned by one connection's
// shard; the scanner and closes_connection() keep no state and may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "apps/load/workload.hh"

namespace sluice::load {

struct http_settings {
    std::string host = "198.18.0.1";  // the Host field (RFC 9112 3.2): name or address[:port]
    std::string path = "/";           // origin-form target (RFC 9112 3.2.1)
};

// Requests: `GET <path> HTTP/1.1`, Host and User-Agent, no body. No Connection field: an
// HTTP/1.1 connection stays open unless one side says close (RFC 9112 9.3).
//
// Responses, as scan_response() reads them:
// - complete: status line, header section, then the body its framing gives: none for 204
//   and 304 (RFC 9112 6.3 (1)), `Transfer-Encoding: chunked` (7.1), or Content-Length (6.3 (5)).
//   1xx interim responses (RFC 9110 15.2) have no body and belong to the final response
//   that follows them: the scan's length covers them all, so the engine matches one
//   request to one answer.
// - failed: a status of 400 or above. A 4xx is the server saying the request was wrong, not
//   served: a run that gets 404s measured nothing, so it must not pass for a good one.
// - malformed: anything a conforming server does not send, named in `problem`. That
//   includes a final response with no Content-Length and no chunked coding: its body runs
//   to the close of the connection (RFC 9112 6.3 (8)), which on a kept-alive connection
//   never comes, so we cannot find its end.
// Lines must end in CRLF: a bare LF (RFC 9112 2.2 allows accepting it) or obs-fold (5.2,
// which servers must not send) is counted as malformed rather than guessed at.
class http_workload final : public workload {
public:
    // The longest head (status line through the empty line) accepted, 1xx responses
    // included; a longer one is malformed, so a stream of garbage cannot grow the
    // engine's buffer while the scan waits for an end.
    static constexpr std::size_t max_head_length = 64 * 1024;
    // The largest body (Content-Length, or all chunks together) accepted: far above any
    // response this tool is meant to wait for, and far below where length sums overflow.
    static constexpr std::uint64_t max_body_length = std::uint64_t(512) << 20;

    // Throws std::invalid_argument when host or path cannot go into a request line
    // (empty, whitespace or control bytes, a path not starting with '/').
    explicit http_workload(http_settings settings);

    std::string_view name() const noexcept override { return "http"; }
    load::transport transport() const noexcept override { return load::transport::tcp; }
    std::size_t max_request_size() const noexcept override { return request_.size(); }
    // Every sequence gets the same bytes.
    std::size_t build_request(std::uint64_t sequence, std::span<std::byte> out) override;
    response_scan scan_response(std::span<const std::byte> received) const override;

    // Whether the server closes the connection after this response (a whole one, as
    // scan_response() measured it): a `close` option in its Connection field, or an
    // HTTP/1.0 response without `keep-alive` (RFC 9112 9.3, 9.6). A head that does not
    // parse also says true: nothing more can be trusted on that connection.
    static bool closes_connection(std::span<const std::byte> response);
    bool closes_after(std::span<const std::byte> response) const override { return closes_connection(response); }

private:
    std::string request_;
};

}  // namespace sluice::load
