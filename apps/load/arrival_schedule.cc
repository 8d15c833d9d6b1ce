// Constant: the k-th time is start + (k + phase) / rate, computed from k each time, so
// rounding never accumulates. Poisson: gaps drawn from an exponential distribution (a
// Poisson process's inter-arrival times), summed in double nanoseconds.
#include "apps/load/arrival_schedule.hh"

#include <cmath>

namespace sluice::load {

std::string_view to_string(arrival_process process) noexcept {
    return process == arrival_process::poisson ? "poisson" : "constant";
}

arrival_schedule::arrival_schedule(arrival_process process, double rate, clock::time_point start,
                                   std::uint64_t seed, double phase)
    : process_(process),
      mean_gap_ns_(1e9 / rate),
      start_(start),
      phase_ns_(process == arrival_process::constant ? phase * 1e9 / rate : 0.0),
      offset_ns_(phase_ns_),
      random_(seed),
      gaps_(1.0) {
    if (process_ == arrival_process::poisson) offset_ns_ = gaps_(random_) * mean_gap_ns_;
    upcoming_ = start_ + clock::duration(std::llround(offset_ns_));
}

clock::time_point arrival_schedule::next() noexcept {
    const clock::time_point due = upcoming_;
    upcoming_ = advance();
    return due;
}

clock::time_point arrival_schedule::advance() noexcept {
    ++index_;
    if (process_ == arrival_process::constant) {
        offset_ns_ = phase_ns_ + double(index_) * mean_gap_ns_;
    } else {
        offset_ns_ += gaps_(random_) * mean_gap_ns_;
    }
    return start_ + clock::duration(std::llround(offset_ns_));
}

}  // namespace sluice::load
