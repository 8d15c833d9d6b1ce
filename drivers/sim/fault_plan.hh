// sluice::sim::plan_faults: the fault model of a link_profile, written once — the random
// draws for one frame, always in the same order (loss, duplicate, then per copy: corrupt
// and its bit, jitter, reorder and its distance), so a trace depends only on the seed,
// the profile and the frames. The simulated wire and the fault decorator around a real
// device (fault_device.hh) both act on its plan. Plain values; the caller's thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "sluice/sim/link_profile.hh"
#include "sluice/sim/random.hh"

struct rte_mbuf;

namespace sluice::sim {

struct copy_plan {
    bool corrupt = false;
    std::uint64_t bit = 0;  // which bit to flip, when corrupt
    nanoseconds jitter{0};
    bool hold = false;      // reordered: held back until `overtakers` later copies passed
    int overtakers = 0;
};

struct fault_plan {
    bool lost = false;
    bool duplicated = false;
    int copies = 0;  // 0 (lost), 1, or 2 (duplicated)
    std::array<copy_plan, 2> copy{};
};

inline fault_plan plan_faults(const link_profile& profile, random_source& random, std::uint32_t length) {
    fault_plan plan;
    if (profile.loss > 0 && random.chance(profile.loss)) {
        plan.lost = true;
        return plan;
    }
    plan.copies = 1;
    if (profile.duplicate > 0 && random.chance(profile.duplicate)) {
        plan.copies = 2;
        plan.duplicated = true;
    }
    for (int i = 0; i < plan.copies; ++i) {
        copy_plan& copy = plan.copy[std::size_t(i)];
        copy.corrupt = profile.corrupt > 0 && random.chance(profile.corrupt);
        copy.bit = copy.corrupt ? random.below(std::uint64_t(length) * 8) : 0;
        const std::int64_t jitter_span = profile.jitter.count();
        copy.jitter = nanoseconds(jitter_span > 0 ? std::int64_t(random.up_to(std::uint64_t(jitter_span))) : 0);
        copy.hold = profile.reorder > 0 && random.chance(profile.reorder);
        copy.overtakers = copy.hold ? 1 + int(random.below(std::clamp(profile.reorder_distance, 1u, 1u << 30))) : 0;
    }
    return plan;
}

// Flips bit `bit` of a frame the caller owns alone (a fresh copy), walking its segments.
void flip_bit(rte_mbuf* frame, std::uint64_t bit) noexcept;

}  // namespace sluice::sim
