// Checks sluice::metrics::hdr_histogram: percentiles against an exact sort of 10^6 seeded
// samples, within 10^-digits; bucket widths; min/max/mean/stddev; merge (same and
// different configurations); overflow and underflow; bad configurations; iteration.
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency already defines it
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "sluice/metrics/hdr_histogram.hh"

using sluice::metrics::bucket;
using histogram = sluice::metrics::hdr_histogram;

namespace {

// Log-uniform over 1..10^9 so that every bucket from the linear first one to ~2^30 sees
// samples: a relative-error bug anywhere in the layout shows up.
std::vector<int64_t> log_uniform_samples(std::size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> exponent(0.0, std::log(1e9));
    std::vector<int64_t> out(n);
    for (int64_t& v : out) v = static_cast<int64_t>(std::exp(exponent(rng)));
    return out;
}

double pow10(int digits) { return std::pow(10.0, -digits); }

}  // namespace

BOOST_AUTO_TEST_SUITE(hdr_histogram)

BOOST_AUTO_TEST_CASE(percentiles_within_stated_relative_error_of_exact_sort) {
    constexpr std::size_t n = 1'000'000;
    std::vector<int64_t> samples = log_uniform_samples(n, 20240601);
    std::vector<int64_t> sorted = samples;
    std::sort(sorted.begin(), sorted.end());

    // Percentiles whose rank p/100 * n is a whole number, so "the exact sample" is unambiguous.
    const double percentiles[] = {0.0001, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999, 100};
    for (int digits : {1, 2, 3, 4, 5}) {
        histogram h(1, 10'000'000'000, digits);
        for (int64_t v : samples) h.record(v);
        BOOST_TEST_CONTEXT("digits " << digits) {
            BOOST_TEST(h.count() == n);
            BOOST_TEST(h.min() == sorted.front());
            BOOST_TEST(h.max() == sorted.back());
            for (double p : percentiles) {
                const auto rank = static_cast<std::size_t>(std::llround(p / 100.0 * n));
                const int64_t exact = sorted[rank - 1];
                const int64_t ours = h.value_at_percentile(p);
                BOOST_TEST_CONTEXT("p" << p << " exact " << exact << " ours " << ours) {
                    BOOST_TEST(ours >= exact);
                    BOOST_TEST(static_cast<double>(ours - exact) <= exact * pow10(digits));
                    BOOST_TEST(ours == h.equivalent_range(exact).highest);
                }
            }
            BOOST_TEST(h.value_at_percentile(0) == h.equivalent_range(sorted.front()).lowest);
        }
    }
}

BOOST_AUTO_TEST_CASE(mean_and_stddev_within_stated_relative_error) {
    const std::vector<int64_t> samples = log_uniform_samples(200'000, 7);
    double sum = 0, sum_sq = 0, sum_dev_sq = 0;
    for (int64_t v : samples) sum += static_cast<double>(v), sum_sq += double(v) * double(v);
    const double mean = sum / samples.size();
    const double rms = std::sqrt(sum_sq / samples.size());
    for (int64_t v : samples) sum_dev_sq += (v - mean) * (v - mean);
    const double stddev = std::sqrt(sum_dev_sq / samples.size());

    for (int digits : {2, 3}) {
        histogram h(1, 10'000'000'000, digits);
        for (int64_t v : samples) h.record(v);
        // Each sample moves by at most 10^-digits of itself, so the mean does too and the
        // standard deviation by at most that much of the samples' root mean square.
        BOOST_TEST(std::abs(h.mean() - mean) <= mean * pow10(digits));
        BOOST_TEST(std::abs(h.stddev() - stddev) <= rms * pow10(digits));
    }
}

BOOST_AUTO_TEST_CASE(bucket_width_is_within_stated_relative_error) {
    for (int digits : {1, 3, 5}) {
        histogram h(1, int64_t{1} << 50, digits);
        for (int64_t v = 1; v < (int64_t{1} << 50); v = v * 3 / 2 + 1) {
            const auto range = h.equivalent_range(v);
            BOOST_TEST_CONTEXT("digits " << digits << " value " << v) {
                BOOST_TEST(range.lowest <= v);
                BOOST_TEST(v <= range.highest);
                BOOST_TEST(range.width() - 1 <= v * pow10(digits));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(lowest_discernible_value_sets_first_bucket_resolution) {
    histogram h(1000, 1'000'000'000, 2);
    // log2(1000) rounds down to 9: the finest bucket is 512 wide.
    BOOST_TEST(h.equivalent_range(5).lowest == 0);
    BOOST_TEST(h.equivalent_range(5).width() == 512);
    BOOST_TEST(h.equivalent_range(600).lowest == 512);
}

BOOST_AUTO_TEST_CASE(record_with_count_equals_repeated_records) {
    histogram once(1, 1'000'000, 3), repeated(1, 1'000'000, 3);
    once.record(12345, 7);
    once.record(99, 0);  // a zero count records nothing, not even a new minimum
    for (int i = 0; i < 7; ++i) repeated.record(12345);
    BOOST_TEST(once.count() == 7u);
    BOOST_TEST(once.min() == 12345);
    BOOST_TEST(std::ranges::equal(once.counts(), repeated.counts()));
}

BOOST_AUTO_TEST_CASE(merge_equals_recording_both_streams) {
    const auto a_samples = log_uniform_samples(50'000, 1);
    const auto b_samples = log_uniform_samples(70'000, 2);
    histogram a(1, 10'000'000'000, 3), b(1, 10'000'000'000, 3), both(1, 10'000'000'000, 3);
    for (int64_t v : a_samples) a.record(v), both.record(v);
    for (int64_t v : b_samples) b.record(v), both.record(v);
    b.record(20'000'000'000);  // overflow travels with the merge
    both.record(20'000'000'000);

    a.merge(b);
    BOOST_TEST(a.count() == both.count());
    BOOST_TEST(a.overflow_count() == 1u);
    BOOST_TEST(a.min() == both.min());
    BOOST_TEST(a.max() == both.max());
    BOOST_TEST(std::ranges::equal(a.counts(), both.counts()));
    for (double p : {50.0, 99.0, 99.99})
        BOOST_TEST(a.value_at_percentile(p) == both.value_at_percentile(p));
}

BOOST_AUTO_TEST_CASE(merge_with_different_configuration_rerecords_by_value) {
    // The coarse top, 2^20 - 1, ends a bucket of the fine one, so exactly the samples
    // above it land in fine buckets whose lowest value is above it.
    constexpr int64_t coarse_top = (int64_t{1} << 20) - 1;
    histogram fine(1, 10'000'000, 3), coarse(1, coarse_top, 2);
    const auto samples = log_uniform_samples(10'000, 3);
    std::size_t above_coarse = 0;
    for (int64_t v : samples) {
        fine.record(v);
        above_coarse += v > coarse_top;
    }
    coarse.merge(fine);
    BOOST_TEST(coarse.count() == fine.count());
    BOOST_TEST(fine.overflow_count() > 0u);  // counted once more in coarse, not twice
    BOOST_TEST(coarse.overflow_count() == above_coarse);
    BOOST_TEST(coarse.max() == std::min(fine.max(), coarse_top));
    BOOST_TEST(coarse.min() == fine.min());
    // Below the coarse top, percentiles agree within the coarser histogram's error.
    const int64_t fine_p50 = fine.value_at_percentile(50);
    BOOST_TEST(std::abs(coarse.value_at_percentile(50) - fine_p50) <= fine_p50 * 2 * pow10(2));
}

BOOST_AUTO_TEST_CASE(values_above_highest_trackable_are_counted_as_overflow) {
    histogram h(1, 1000, 3);
    h.record(500);
    h.record(5000);
    h.record(INT64_MAX, 3);
    BOOST_TEST(h.count() == 5u);
    BOOST_TEST(h.overflow_count() == 4u);
    BOOST_TEST(h.max() == 1000);  // clamped into the top bucket, not lost
    BOOST_TEST(h.value_at_percentile(100) == h.equivalent_range(1000).highest);
    BOOST_TEST(h.value_at_percentile(20) == 500);
}

BOOST_AUTO_TEST_CASE(negative_values_are_counted_as_underflow_at_zero) {
    histogram h(1, 1000, 3);
    h.record(-5);
    h.record(INT64_MIN);
    h.record(10);
    BOOST_TEST(h.count() == 3u);
    BOOST_TEST(h.underflow_count() == 2u);
    BOOST_TEST(h.min() == 0);
    BOOST_TEST(h.value_at_percentile(50) == 0);
}

BOOST_AUTO_TEST_CASE(bad_configuration_is_an_error_with_one_line_message) {
    struct config { int64_t lowest, highest; int digits; };
    for (const config c : {config{0, 1000, 3}, config{-1, 1000, 3}, config{1, 1000, 0},
                           config{1, 1000, 6}, config{10, 19, 3},
                           config{INT64_MAX / 2, INT64_MAX, 5}}) {
        auto made = histogram::create(c.lowest, c.highest, c.digits);
        BOOST_TEST_CONTEXT(c.lowest << ", " << c.highest << ", " << c.digits) {
            BOOST_REQUIRE(!made.ok());
            BOOST_TEST(!made.message().empty());
            BOOST_TEST(made.message().find('\n') == std::string::npos);
            try {
                histogram h(c.lowest, c.highest, c.digits);
                BOOST_FAIL("constructor accepted a bad configuration");
            } catch (const std::invalid_argument& e) {
                BOOST_TEST(e.what() == made.message());
            }
        }
    }
    BOOST_TEST(histogram::create(1, 2, 1).ok());
    BOOST_TEST(histogram::create(1, INT64_MAX, 5).ok());
}

BOOST_AUTO_TEST_CASE(recorded_buckets_list_each_nonempty_bucket_in_order) {
    histogram h(1, 1'000'000, 2);
    const int64_t values[] = {3, 3, 300, 301, 99'999, 1'000'000};
    for (int64_t v : values) h.record(v);
    std::vector<bucket> seen(h.recorded_buckets().begin(), h.recorded_buckets().end());
    // 300 and 301 share a bucket at 2 digits (width 2 past 255); 3 was recorded twice.
    BOOST_REQUIRE(seen.size() == 4u);
    BOOST_TEST(seen[0].range.lowest == 3);
    BOOST_TEST(seen[0].count == 2u);
    BOOST_TEST(seen[1].range.lowest == 300);
    BOOST_TEST(seen[1].range.highest == 301);
    BOOST_TEST(seen[1].count == 2u);
    uint64_t total = 0;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        total += seen[i].count;
        if (i > 0) BOOST_TEST(seen[i - 1].range.highest < seen[i].range.lowest);
    }
    BOOST_TEST(total == h.count());
}

BOOST_AUTO_TEST_CASE(reset_forgets_everything) {
    histogram h(1, 1000, 3);
    h.record(5);
    h.record(10'000);
    h.reset();
    BOOST_TEST(h.empty());
    BOOST_TEST(h.overflow_count() == 0u);
    BOOST_TEST(h.min() == 0);
    BOOST_TEST(h.max() == 0);
    BOOST_TEST(h.value_at_percentile(99) == 0);
    BOOST_TEST((h.recorded_buckets().begin() == h.recorded_buckets().end()));
    h.record(7);
    BOOST_TEST(h.min() == 7);
}

BOOST_AUTO_TEST_CASE(empty_histogram_reports_zeros) {
    const histogram h(1, 1000, 3);
    BOOST_TEST(h.count() == 0u);
    BOOST_TEST(h.mean() == 0.0);
    BOOST_TEST(h.stddev() == 0.0);
    BOOST_TEST(h.value_at_percentile(50) == 0);
    BOOST_TEST(h.value_at_percentile(std::nan("")) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
