// sluice::net::tcp::syn_cookies: SYN cookies (RFC 4987 3.6), so a listener whose SYN queue is
// full answers a SYN without keeping state: what it must remember travels in the SYN-ACK's ISN
// (and, with timestamps, in its TSval) and comes back in the third ACK. One per listener or
// stack, made at start-up; every call is const, so any shard holding it may call it.
//
// Our ISN, bit 31 first:
//   [31..27] 5 bits  the 64-second period the cookie was made in, mod 32
//   [26..24] 3 bits  an index into mss_table: the largest entry <= the peer's MSS
//   [23..0] 24 bits  SipHash-2-4 (keyed_hash.hh) over the four tuple, the peer's ISN, the
//                    whole period number (not mod 32) and the index, low 24 bits
// A cookie is accepted in the period it was made and the next (64 to 128 seconds). Hashing
// the whole period means a cookie 32 periods old, whose 5 bits match again, still fails.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "sluice/core/clock.hh"
#include "sluice/net/tcp/four_tuple.hh"
#include "sluice/net/tcp/keyed_hash.hh"
#include "sluice/net/tcp/seq.hh"

namespace sluice::net::tcp {

struct syn_cookie {
    seq isn;            // our ISN for the SYN-ACK
    std::uint16_t mss;  // the MSS the cookie encodes: announce it, and use it once accepted
};

// What a SYN with timestamps negotiated beyond the MSS (RFC 7323 window scale, RFC 2018
// SACK-permitted). Not covered by the hash: the peer could only claim what it could have
// put in its own SYN.
struct syn_cookie_options {
    std::optional<std::uint8_t> window_scale;  // the peer's shift; above 14 is taken as 14
    bool sack_permitted = false;
    friend bool operator==(const syn_cookie_options&, const syn_cookie_options&) = default;
};

class syn_cookies {
public:
    // Common path MSS values: IPv4's default 536 (RFC 9293 3.7.1), 1220 (IPv6's 1280 MTU),
    // tunnels (1380), PPPoE (1440 after 1452), Ethernet (1460) and jumbo frames. 64 catches
    // the rare peer below 536; a peer below 64 still gets 64.
    static constexpr std::array<std::uint16_t, 8> mss_table{64, 536, 1220, 1380, 1440, 1460, 4312, 8960};
    static constexpr clock::duration period = std::chrono::seconds(64);

    syn_cookies();  // a key drawn once from std::random_device
    explicit syn_cookies(hash_key key) noexcept : key_(key) {}

    // The cookie for a SYN from `tuple` carrying `peer_isn` and an MSS option `peer_mss`
    // (the caller passes 536 when the SYN had none, RFC 9293 3.7.1).
    [[nodiscard]] syn_cookie make(const four_tuple& tuple, seq peer_isn, std::uint16_t peer_mss,
                                  clock::time_point now) const noexcept;

    // `acknowledged` is the third ACK's acknowledgment number less one (our ISN) and
    // `peer_isn` its sequence number less one. The MSS the cookie encodes, or nothing when
    // its hash does not match or it was made more than one period before now's.
    [[nodiscard]] std::optional<std::uint16_t> check(const four_tuple& tuple, seq peer_isn, seq acknowledged,
                                                     clock::time_point now) const noexcept;

    // The low 6 bits of our SYN-ACK's TSval (RFC 7323 3), returned in the third ACK's TSecr:
    // bits 0..3 the window scale (0xf for none), bit 4 SACK-permitted, bit 5 spare (0).
    // The result is `timestamp_value` with those bits replaced, moved back 64 when that
    // would put it ahead of `timestamp_value`, so later TSvals never go backwards (RFC 7323 5.4).
    [[nodiscard]] static std::uint32_t encode_options(std::uint32_t timestamp_value,
                                                      const syn_cookie_options& options) noexcept;
    [[nodiscard]] static syn_cookie_options decode_options(std::uint32_t echoed_timestamp) noexcept;

private:
    std::uint32_t hash(const four_tuple& tuple, seq peer_isn, std::int64_t period_number,
                       std::uint32_t mss_index) const noexcept;

    hash_key key_;
};

}  // namespace sluice::net::tcp
