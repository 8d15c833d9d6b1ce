// sluice::metrics::hdr_histogram: a High Dynamic Range histogram of int64 values with
// log-linear buckets (HdrHistogram's counts layout, so histogram_log.hh can encode it).
// Not thread-safe: one owner (normally one shard) records into it; merge copies to collect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <vector>

#include "sluice/core/result.hh"

namespace sluice::metrics {

namespace detail {
struct histogram_codec;  // histogram_log.cc: restores counts by index when decoding
}

// An inclusive range of values that the histogram cannot tell apart (one bucket).
struct value_range {
    int64_t lowest = 0;
    int64_t highest = 0;
    int64_t width() const noexcept { return highest - lowest + 1; }
};

// One non-empty bucket, as the recorded-bucket iteration yields it.
struct bucket {
    value_range range;
    uint64_t count = 0;
};

class hdr_histogram {
public:
    // Control path. lowest_discernible_value >= 1 is the resolution of the lowest bucket;
    // highest_trackable_value >= 2 * lowest; significant_digits in 1..5 bounds the
    // relative error of any reported value by 10^-digits.
    static result<hdr_histogram> create(int64_t lowest_discernible_value,
                                        int64_t highest_trackable_value,
                                        int significant_digits);
    // Same checks; throws std::invalid_argument with create()'s message.
    hdr_histogram(int64_t lowest_discernible_value, int64_t highest_trackable_value,
                  int significant_digits);

    // Hot path: no allocation. A value above highest_trackable_value() is counted in
    // overflow_count() and recorded as highest_trackable_value(); a negative value is
    // counted in underflow_count() and recorded as 0. Neither is ever dropped.
    void record(int64_t value) noexcept { record_clamped(value, 1); }
    void record(int64_t value, uint64_t count) noexcept {
        if (count != 0) record_clamped(value, count);  // a zero count must not move min/max
    }

    // All samples, including overflow and underflow (which sit in the end buckets).
    uint64_t count() const noexcept { return total_; }
    uint64_t overflow_count() const noexcept { return overflow_; }
    uint64_t underflow_count() const noexcept { return underflow_; }
    bool empty() const noexcept { return total_ == 0; }

    // Exact smallest and largest recorded values (after clamping); 0 when empty. A
    // decoded histogram only knows buckets, so there they are the bucket bounds.
    int64_t min() const noexcept { return total_ == 0 ? 0 : min_; }
    int64_t max() const noexcept { return max_; }
    // From bucket midpoints, as HdrHistogram computes them; 0 when empty.
    double mean() const noexcept;
    double stddev() const noexcept;

    // The highest value equivalent to the sample at `percentile` (0..100, clamped):
    // never below the exact sample, and above it by at most 10^-digits of it (values
    // below lowest_discernible_value are only as precise as the first bucket).
    // percentile 0 gives the lowest equivalent value of the smallest sample. 0 when empty.
    int64_t value_at_percentile(double percentile) const noexcept;

    void reset() noexcept;

    // Adds other's samples. With the same configuration the counts add exactly; with a
    // different one each of other's buckets is re-recorded at its lowest value, so the
    // result is as precise as the coarser of the two (and may add overflow). min/max
    // stay exact either way. Never fails.
    void merge(const hdr_histogram& other);

    // The bucket that holds `value` (clamped to 0..highest_trackable_value()).
    value_range equivalent_range(int64_t value) const noexcept;

    int64_t lowest_discernible_value() const noexcept { return lowest_; }
    int64_t highest_trackable_value() const noexcept { return highest_; }
    int significant_digits() const noexcept { return digits_; }
    bool same_configuration(const hdr_histogram& other) const noexcept {
        return lowest_ == other.lowest_ && highest_ == other.highest_ &&
               digits_ == other.digits_;
    }

    // The counts array in HdrHistogram's index order, and the lowest value at an index:
    // what the log encoder walks. Most callers want recorded_buckets() instead.
    std::span<const uint64_t> counts() const noexcept { return counts_; }
    int64_t value_at_index(std::size_t index) const noexcept;

    // Range over non-empty buckets in ascending value order:
    //   for (const bucket& b : h.recorded_buckets()) ...
    class bucket_iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = bucket;
        using difference_type = std::ptrdiff_t;
        using pointer = const bucket*;
        using reference = bucket;

        bucket_iterator() = default;
        bucket operator*() const noexcept;
        bucket_iterator& operator++() noexcept;
        bucket_iterator operator++(int) noexcept {
            auto old = *this;
            ++*this;
            return old;
        }
        bool operator==(const bucket_iterator& other) const noexcept {
            return index_ == other.index_;
        }

    private:
        friend class hdr_histogram;
        bucket_iterator(const hdr_histogram* h, std::size_t index) noexcept;
        void skip_empty() noexcept;
        const hdr_histogram* h_ = nullptr;
        std::size_t index_ = 0;
    };
    struct bucket_range {
        bucket_iterator first, last;
        bucket_iterator begin() const noexcept { return first; }
        bucket_iterator end() const noexcept { return last; }
    };
    bucket_range recorded_buckets() const noexcept;

private:
    friend struct detail::histogram_codec;
    struct layout {
        int unit_magnitude;                 // log2 of lowest_discernible_value, rounded down
        int sub_bucket_half_count_magnitude;
        int64_t sub_bucket_mask;            // bits that select a sub-bucket in bucket 0
        std::size_t counts_length;
    };
    static result<layout> check(int64_t lowest, int64_t highest, int digits);
    hdr_histogram(const layout& l, int64_t lowest, int64_t highest, int digits);

    std::size_t index_of(int64_t value) const noexcept {
        // Bucket = how many doublings value is past the first bucket; sub-bucket = its
        // top bits. OR-ing the mask keeps small values in bucket 0 without a branch.
        const int top_bit = 63 - __builtin_clzll(static_cast<uint64_t>(value | sub_bucket_mask_));
        const int bucket_index = top_bit - unit_magnitude_ - half_count_magnitude_;
        const int64_t sub_bucket = value >> (bucket_index + unit_magnitude_);
        return (static_cast<std::size_t>(bucket_index + 1) << half_count_magnitude_) +
               static_cast<std::size_t>(sub_bucket - (int64_t{1} << half_count_magnitude_));
    }
    void record_clamped(int64_t value, uint64_t count) noexcept {
        overflow_ += static_cast<uint64_t>(value > highest_) * count;
        underflow_ += static_cast<uint64_t>(value < 0) * count;
        const int64_t v = value < 0 ? 0 : (value > highest_ ? highest_ : value);  // cmov
        counts_[index_of(v)] += count;
        total_ += count;
        min_ = v < min_ ? v : min_;
        max_ = v > max_ ? v : max_;
    }

    int64_t lowest_;
    int64_t highest_;
    int digits_;
    int unit_magnitude_;
    int half_count_magnitude_;
    int64_t sub_bucket_mask_;
    std::vector<uint64_t> counts_;
    uint64_t total_ = 0;
    uint64_t overflow_ = 0;
    uint64_t underflow_ = 0;
    int64_t min_ = INT64_MAX;
    int64_t max_ = 0;
};

}  // namespace sluice::metrics
