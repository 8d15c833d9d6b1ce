// Layout: bucket b covers values [2^(b+u+h), 2^(b+u+h+1)) (bucket 0 also covers the values
// below), split into sub-buckets of width 2^(b+u); u = log2(lowest), 2^(h+1) = sub-bucket
// count. Bucket 0 uses all its sub-buckets, later ones only their upper half (the lower
// half would repeat the previous bucket), which gives HdrHistogram's index order.
#include "sluice/metrics/hdr_histogram.hh"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace sluice::metrics {

namespace {

int floor_log2(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

result<hdr_histogram::layout> hdr_histogram::check(int64_t lowest, int64_t highest,
                                                   int digits) {
    if (digits < 1 || digits > 5)
        return error{"hdr_histogram: significant_digits must be 1..5 (got " +
                     std::to_string(digits) + ")"};
    if (lowest < 1)
        return error{"hdr_histogram: lowest_discernible_value must be >= 1 (got " +
                     std::to_string(lowest) + ")"};
    if (highest / 2 < lowest)
        return error{"hdr_histogram: highest_trackable_value (" + std::to_string(highest) +
                     ") must be at least twice lowest_discernible_value (" +
                     std::to_string(lowest) + ")"};

    // Sub-buckets per bucket: the next power of two >= 2 * 10^digits, so that a bucket's
    // width is at most 10^-digits of any value in it.
    int64_t largest_single_unit = 2;
    for (int i = 0; i < digits; ++i) largest_single_unit *= 10;
    const int sub_bucket_count_magnitude =
        floor_log2(static_cast<uint64_t>(largest_single_unit - 1)) + 1;

    layout l{};
    l.unit_magnitude = floor_log2(static_cast<uint64_t>(lowest));
    l.sub_bucket_half_count_magnitude = sub_bucket_count_magnitude - 1;
    if (l.unit_magnitude + l.sub_bucket_half_count_magnitude > 61)
        return error{"hdr_histogram: lowest_discernible_value " + std::to_string(lowest) +
                     " is too large for " + std::to_string(digits) +
                     " significant digits; lower either"};
    l.sub_bucket_mask = ((int64_t{1} << sub_bucket_count_magnitude) - 1) << l.unit_magnitude;

    // Bucket of highest, found the same way index_of() does.
    const int top_bit = floor_log2(static_cast<uint64_t>(highest | l.sub_bucket_mask));
    const int bucket_count = top_bit - l.unit_magnitude - l.sub_bucket_half_count_magnitude + 1;
    l.counts_length = static_cast<std::size_t>(bucket_count + 1)
                      << l.sub_bucket_half_count_magnitude;
    return l;
}

result<hdr_histogram> hdr_histogram::create(int64_t lowest, int64_t highest, int digits) {
    auto l = check(lowest, highest, digits);
    if (!l) return l.failure();
    return hdr_histogram(*l, lowest, highest, digits);
}

hdr_histogram::hdr_histogram(int64_t lowest, int64_t highest, int digits)
    : hdr_histogram(
          [&] {
              auto l = check(lowest, highest, digits);
              if (!l) throw std::invalid_argument(l.message());
              return *l;
          }(),
          lowest, highest, digits) {}

hdr_histogram::hdr_histogram(const layout& l, int64_t lowest, int64_t highest, int digits)
    : lowest_(lowest),
      highest_(highest),
      digits_(digits),
      unit_magnitude_(l.unit_magnitude),
      half_count_magnitude_(l.sub_bucket_half_count_magnitude),
      sub_bucket_mask_(l.sub_bucket_mask),
      counts_(l.counts_length, 0) {}

int64_t hdr_histogram::value_at_index(std::size_t index) const noexcept {
    const int64_t half_count = int64_t{1} << half_count_magnitude_;
    int bucket_index = static_cast<int>(index >> half_count_magnitude_) - 1;
    int64_t sub_bucket = static_cast<int64_t>(index & static_cast<std::size_t>(half_count - 1)) +
                         half_count;
    if (bucket_index < 0) {  // bucket 0 also owns the lower half of the sub-buckets
        sub_bucket -= half_count;
        bucket_index = 0;
    }
    return sub_bucket << (bucket_index + unit_magnitude_);
}

namespace {

// Width of the bucket at an index: 2^(bucket + unit), bucket 0 for the first two halves.
int64_t width_at_index(std::size_t index, int half_count_magnitude, int unit_magnitude) {
    const int bucket_index = std::max(0, static_cast<int>(index >> half_count_magnitude) - 1);
    return int64_t{1} << (bucket_index + unit_magnitude);
}

}  // namespace

value_range hdr_histogram::equivalent_range(int64_t value) const noexcept {
    const int64_t v = std::clamp(value, int64_t{0}, highest_);
    const std::size_t index = index_of(v);
    const int64_t low = value_at_index(index);
    return {low, low + (width_at_index(index, half_count_magnitude_, unit_magnitude_) - 1)};
}

double hdr_histogram::mean() const noexcept {
    if (total_ == 0) return 0.0;
    double sum = 0.0;
    for (const bucket& b : recorded_buckets())
        sum += static_cast<double>(b.range.lowest + b.range.width() / 2) *
               static_cast<double>(b.count);
    return sum / static_cast<double>(total_);
}

double hdr_histogram::stddev() const noexcept {
    if (total_ == 0) return 0.0;
    const double m = mean();
    double sum = 0.0;
    for (const bucket& b : recorded_buckets()) {
        const double d = static_cast<double>(b.range.lowest + b.range.width() / 2) - m;
        sum += d * d * static_cast<double>(b.count);
    }
    return std::sqrt(sum / static_cast<double>(total_));
}

int64_t hdr_histogram::value_at_percentile(double percentile) const noexcept {
    if (total_ == 0) return 0;
    double p = percentile > 0.0 ? percentile : 0.0;  // also maps NaN to 0
    p = p < 100.0 ? p : 100.0;
    // One ulp down so that p * total landing a hair above an integer (round-off) does not
    // push the rank into the next bucket.
    p = std::max(0.0, std::nextafter(p, 0.0));
    const double rank = std::ceil(p / 100.0 * static_cast<double>(total_));
    const uint64_t target =
        std::clamp<uint64_t>(static_cast<uint64_t>(rank), uint64_t{1}, total_);

    uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= target) {
            const int64_t low = value_at_index(i);
            if (!(percentile > 0.0)) return low;  // the 0th percentile is the minimum
            return low + (width_at_index(i, half_count_magnitude_, unit_magnitude_) - 1);
        }
    }
    return max_;  // unreachable: the counts sum to total_
}

void hdr_histogram::reset() noexcept {
    std::fill(counts_.begin(), counts_.end(), 0);
    total_ = overflow_ = underflow_ = 0;
    min_ = std::numeric_limits<int64_t>::max();
    max_ = 0;
}

void hdr_histogram::merge(const hdr_histogram& other) {
    if (other.total_ == 0) return;
    if (same_configuration(other)) {
        for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
        total_ += other.total_;
        overflow_ += other.overflow_;
        underflow_ += other.underflow_;
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
        return;
    }
    const int64_t old_min = min_, old_max = max_;
    // other's overflow sits in its top bucket; if that bucket is above our range the
    // re-record below counts it again, so only add it when it will not be.
    const int64_t other_top = other.value_at_index(other.index_of(other.highest_));
    if (other_top <= highest_) overflow_ += other.overflow_;
    underflow_ += other.underflow_;  // recorded there as 0, which is in range here
    for (std::size_t i = 0; i < other.counts_.size(); ++i)
        if (other.counts_[i] != 0) record_clamped(other.value_at_index(i), other.counts_[i]);
    // Keep min/max exact rather than the bucket bounds the re-record produced.
    min_ = std::min(old_min, std::min(other.min_, highest_));
    max_ = std::max(old_max, std::min(other.max_, highest_));
}

hdr_histogram::bucket_iterator::bucket_iterator(const hdr_histogram* h,
                                                std::size_t index) noexcept
    : h_(h), index_(index) {
    skip_empty();
}

void hdr_histogram::bucket_iterator::skip_empty() noexcept {
    while (index_ < h_->counts_.size() && h_->counts_[index_] == 0) ++index_;
}

bucket hdr_histogram::bucket_iterator::operator*() const noexcept {
    const int64_t low = h_->value_at_index(index_);
    const int64_t width = width_at_index(index_, h_->half_count_magnitude_, h_->unit_magnitude_);
    return {{low, low + (width - 1)}, h_->counts_[index_]};
}

hdr_histogram::bucket_iterator& hdr_histogram::bucket_iterator::operator++() noexcept {
    ++index_;
    skip_empty();
    return *this;
}

hdr_histogram::bucket_range hdr_histogram::recorded_buckets() const noexcept {
    return {bucket_iterator(this, 0), bucket_iterator(this, counts_.size())};
}

}  // namespace sluice::metrics
