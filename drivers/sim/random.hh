// sluice::sim::random_source: the wire's one seeded random engine and the few draws it
// makes from it. Owned by one wire and used only by the thread that drives that wire.
// Every value is derived from the engine's raw 64-bit output by arithmetic written
// here, never by std::*_distribution, whose algorithms differ between standard
// libraries: the same seed gives the same draws with any compiler.
#pragma once

#include <cstdint>
#include <random>

namespace sluice::sim {

class random_source {
public:
    explicit random_source(std::uint64_t seed) : engine_(seed) {}

    // The next raw value; mt19937_64's output sequence is fixed by the C++ standard.
    std::uint64_t next() { return engine_(); }

    // True with probability p. The top 53 bits give a double in [0, 1) exactly.
    bool chance(double p) { return double(next() >> 11) * 0x1.0p-53 < p; }

    // Uniform in [0, bound) for bound > 0, by multiply-and-shift (bias below 2^-64 * bound,
    // irrelevant here and, unlike rejection, a fixed one draw per call).
    std::uint64_t below(std::uint64_t bound) {
        return std::uint64_t((static_cast<unsigned __int128>(next()) * bound) >> 64);
    }

    // Uniform in [0, top] inclusive.
    std::uint64_t up_to(std::uint64_t top) {
        return top == UINT64_MAX ? next() : below(top + 1);
    }

private:
    std::mt19937_64 engine_;
};

}  // namespace sluice::sim
