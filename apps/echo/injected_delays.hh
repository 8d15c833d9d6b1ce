// Faults sluice-echo injects on request, for testing the instruments that measure it
// (sluice-load's stall test, the build comparison's injected slowdown):
//   --stall MS/PERIOD_MS  the whole shard freezes for MS every PERIOD_MS, polling nothing,
//                         as a garbage-collection pause or a swapped-out page would;
//   --answer-delay-ns N   each answer waits N ns first (a slower echo path).
// Both spin: the shard does no other work meanwhile, which is the point.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "sluice/core/clock.hh"
#include "sluice/core/result.hh"
#include "sluice/core/shard.hh"

namespace sluice::echo {

struct stall_spec {
    clock::duration length{};
    clock::duration period{};
};

inline result<stall_spec> parse_stall(std::string_view text) {
    const auto slash = text.find('/');
    unsigned long length = 0, period = 0;
    std::size_t used = 0;
    const auto fail = [&]() -> result<stall_spec> {
        return error{"--stall " + std::string(text) +
                     ": write MS/PERIOD_MS with 0 < MS < PERIOD_MS, e.g. --stall 100/1000 (100 ms once a second)"};
    };
    try {
        if (slash == std::string_view::npos) return fail();
        const std::string first(text.substr(0, slash)), second(text.substr(slash + 1));
        length = std::stoul(first, &used);
        if (used != first.size()) return fail();
        period = std::stoul(second, &used);
        if (used != second.size()) return fail();
    } catch (const std::exception&) {
        return fail();
    }
    if (length == 0 || length >= period) return fail();
    return stall_spec{std::chrono::milliseconds(length), std::chrono::milliseconds(period)};
}

inline void spin_until(clock::time_point deadline) noexcept {
    while (clock::now() < deadline) {
    }
}

// Polled every turn: past the next stall's start it holds the shard for the
// stall's length. Stalls start a period after the shard does and keep their cadence.
class stall_poller final : public poller {
public:
    explicit stall_poller(stall_spec spec) : spec_(spec), next_(clock::now() + spec.period) {}
    bool poll() override {
        if (clock::now() < next_) return false;
        spin_until(next_ + spec_.length);
        next_ += spec_.period;
        ++stalls_;
        return true;
    }
    std::uint64_t stalls() const noexcept { return stalls_; }

private:
    stall_spec spec_;
    clock::time_point next_;
    std::uint64_t stalls_ = 0;
};

}  // namespace sluice::echo
