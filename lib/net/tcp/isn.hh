// sluice::net::tcp::isn_generator: initial sequence numbers as RFC 6528 computes them, a
// 4-microsecond clock plus a keyed hash of the connection's four tuple. One per stack, made
// at start-up; next() is const and keeps no state, so any shard holding it may call it.
#pragma once

#include <chrono>

#include "sluice/core/clock.hh"
#include "sluice/net/tcp/four_tuple.hh"
#include "sluice/net/tcp/keyed_hash.hh"
#include "sluice/net/tcp/seq.hh"

namespace sluice::net::tcp {

class isn_generator {
public:
    // RFC 6528 3: M advances once every 4 microseconds.
    static constexpr clock::duration tick = std::chrono::microseconds(4);

    isn_generator();  // a key drawn once from std::random_device
    explicit isn_generator(hash_key key) noexcept : key_(key) {}

    // RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M the time
    // in ticks (mod 2^32) and F the low 32 bits of SipHash-2-4 over the tuple. A new
    // incarnation of a tuple starts above the old one's numbers; other tuples' offsets
    // reveal nothing about this one's.
    [[nodiscard]] seq next(const four_tuple& tuple, clock::time_point now) const noexcept;

private:
    hash_key key_;
};

}  // namespace sluice::net::tcp
