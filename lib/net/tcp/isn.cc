// RFC 6528 initial sequence numbers: the hash keeps off-path attackers from predicting
// a connection's numbers (RFC 6528 1); the timer keeps one tuple's numbers increasing.
#include "sluice/net/tcp/isn.hh"

namespace sluice::net::tcp {

isn_generator::isn_generator() : key_(hash_key::random()) {}

seq isn_generator::next(const four_tuple& tuple, clock::time_point now) const noexcept {
    // The clock's epoch is arbitrary; only the rate matters. Truncation to 32 bits is the
    // wrap RFC 6528 expects (M cycles in about 4.77 hours).
    const auto timer = std::uint32_t(std::uint64_t(now.time_since_epoch() / tick));
    const auto offset = std::uint32_t(keyed_hash(key_, hash_input{}.add(tuple).bytes()));
    return seq(timer) + offset;
}

}  // namespace sluice::net::tcp
