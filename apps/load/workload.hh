// sluice::load::workload: what sluice-load sends and how it knows an answer (docs/architecture.md,
// "sluice-load"). A workload builds request number N into bytes and finds where a response
// ends; it holds no socket and no clock, so each one is tested on bytes alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace sluice::load {

enum class transport { udp, tcp };

// What scan_response() found at the front of the bytes received on a stream connection.
struct response_scan {
    enum class outcome {
        incomplete,  // more bytes are needed; nothing is consumed
        complete,    // a whole response of `length` bytes; `failed` if it reports an error
        malformed,   // no valid response starts here; `problem` says why (the run counts it)
    };
    outcome result = outcome::incomplete;
    std::size_t length = 0;
    bool failed = false;  // a well-formed answer that says the request failed (HTTP 5xx, -ERR)
    std::string problem;

    static response_scan need_more() { return {}; }
    static response_scan whole(std::size_t length, bool failed = false) {
        return {outcome::complete, length, failed, {}};
    }
    static response_scan bad(std::string problem) { return {outcome::malformed, 0, false, std::move(problem)}; }
};

// For messages and test failures.
inline std::ostream& operator<<(std::ostream& out, response_scan::outcome outcome) {
    switch (outcome) {
        case response_scan::outcome::incomplete: return out << "incomplete";
        case response_scan::outcome::complete: return out << "complete";
        case response_scan::outcome::malformed: return out << "malformed";
    }
    return out << "outcome " << int(outcome);
}

class workload {
public:
    virtual ~workload() = default;

    // The --workload name, e.g. "sockperf-udp", "http".
    virtual std::string_view name() const noexcept = 0;
    virtual load::transport transport() const noexcept = 0;

    // The most bytes build_request writes.
    virtual std::size_t max_request_size() const noexcept = 0;
    // Writes request number `sequence` (0, 1, 2, ... per connection) at the front of `out`
    // (at least max_request_size() bytes) and returns its length.
    virtual std::size_t build_request(std::uint64_t sequence, std::span<std::byte> out) = 0;

    // Streams (TCP): responses come back in request order; this says whether `received`
    // (the bytes not yet consumed, oldest first) starts with a whole response.
    virtual response_scan scan_response(std::span<const std::byte> received) const = 0;

    // Streams: whether the server closes the connection after this (whole) response, as
    // HTTP's "Connection: close" says. sluice-load then sends nothing more on it and opens
    // another; requests it still owed go again on the new one.
    virtual bool closes_after(std::span<const std::byte> response) const {
        (void)response;
        return false;
    }

    // Datagrams (UDP): which request this datagram answers, or nothing when it is not an
    // answer of this workload (counted as malformed). Stream workloads never see this.
    virtual std::optional<std::uint64_t> answered_sequence(std::span<const std::byte> datagram) const {
        (void)datagram;
        return std::nullopt;
    }
};

}  // namespace sluice::load
