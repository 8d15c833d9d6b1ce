// sluice::load::redis_workload: sluice-load's "redis" workload, a seeded mix of GET and SET
// on a fixed key space sent as RESP arrays, and a scanner that finds where each RESP2 reply
// ends (https://redis.io/docs/latest/develop/reference/protocol-spec/). Pure like every
// workload: request N is a function of (settings, N) alone. Owned by one connection's shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "apps/load/workload.hh"

namespace sluice::load {

struct redis_settings {
    std::uint32_t keys = 100000;     // key indices 0 .. keys-1, at least 1
    std::uint32_t value_size = 32;   // bytes in each SET's value
    unsigned set_percent = 10;       // 0..100: the share of requests that are SET
    std::uint64_t seed = 1;
};

// Request N: SET when hash(seed, N) says so (set_percent of them), else GET, on key
// `key:%010u` whose index is a second hash of (seed, N) modulo keys. Hashes, not a stateful
// generator, so a request can be rebuilt from its number (a resend, a check in a test),
// and every connection with the same seed sends the same sequence.
//
// Replies (RESP2): simple string, error, integer, bulk string (and null bulk), array (and
// null array) nested at most max_depth deep. complete for a whole reply; failed for an
// error reply (-ERR ...); malformed for anything else, RESP3 types included (we never send
// HELLO 3, so a server that uses them is not speaking to us).
class redis_workload final : public workload {
public:
    // Arrays inside arrays deeper than this are malformed: GET and SET never get one.
    static constexpr unsigned max_depth = 8;
    // Redis's own default limit on a bulk string (proto-max-bulk-len); also bounds array counts.
    static constexpr std::uint64_t max_length = std::uint64_t(512) << 20;
    // A simple string, error or integer line longer than this is malformed.
    static constexpr std::size_t max_line_length = 64 * 1024;

    // Throws std::invalid_argument for keys == 0, set_percent > 100 or value_size over max_length.
    explicit redis_workload(redis_settings settings);

    std::string_view name() const noexcept override { return "redis"; }
    load::transport transport() const noexcept override { return load::transport::tcp; }
    std::size_t max_request_size() const noexcept override { return set_request_.size(); }
    std::size_t build_request(std::uint64_t sequence, std::span<std::byte> out) override;
    response_scan scan_response(std::span<const std::byte> received) const override;

private:
    redis_settings settings_;
    // Whole requests for key index 0; build_request copies one and writes the index digits.
    std::string get_request_;
    std::string set_request_;
};

}  // namespace sluice::load
