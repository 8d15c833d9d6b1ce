// Checks the HdrHistogram V2 encoding (byte layout against the format, round trips, nine-
// byte words, hostile input), base64, and the interval-log writer and reader.
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency already defines it
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/metrics/histogram_log.hh"

namespace metrics = sluice::metrics;
using histogram = metrics::hdr_histogram;

namespace {

histogram random_histogram(uint64_t seed, std::size_t n = 20'000) {
    histogram h(1, 3'600'000'000'000, 3);
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> latency_ns(10.0, 1.5);
    for (std::size_t i = 0; i < n; ++i) h.record(static_cast<int64_t>(latency_ns(rng)));
    return h;
}

std::vector<std::byte> bytes_of(std::string_view s) {
    std::vector<std::byte> out;
    for (char c : s) out.push_back(std::byte(c));
    return out;
}

// The message of a failed result; Boost evaluates the message even when the check passes.
template <typename T>
std::string why(const sluice::result<T>& r) {
    return r.ok() ? std::string() : r.message();
}

void check_same(const histogram& a, const histogram& b) {
    BOOST_TEST(a.same_configuration(b));
    BOOST_TEST(a.count() == b.count());
    BOOST_TEST(std::ranges::equal(a.counts(), b.counts()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(histogram_encoding)

BOOST_AUTO_TEST_CASE(encoding_matches_v2_byte_layout) {
    histogram h(1, 1000, 1);  // 32 sub-buckets: indexes 0..31 are the values themselves
    h.record(1);
    h.record(5);
    const auto bytes = metrics::encode(h);
    const std::vector<uint8_t> expected = {
        0x1c, 0x84, 0x93, 0x13,  // V2 cookie as the reference writes it
        0, 0, 0, 4,              // payload length
        0, 0, 0, 0,              // normalizing index offset
        0, 0, 0, 1,              // significant digits
        0, 0, 0, 0, 0, 0, 0, 1,  // lowest discernible value
        0, 0, 0, 0, 0, 0, 0x03, 0xe8,             // highest trackable value, 1000
        0x3f, 0xf0, 0, 0, 0, 0, 0, 0,             // int-to-double ratio, 1.0
        0x00,  // index 0: a single empty bucket is written as count 0
        0x02,  // index 1: count 1, ZigZag 2
        0x05,  // indexes 2..4: a run of 3 empty buckets, -3, ZigZag 5
        0x02,  // index 5: count 1
    };
    BOOST_REQUIRE(bytes.size() == expected.size());
    for (std::size_t i = 0; i < bytes.size(); ++i)
        BOOST_TEST(std::to_integer<uint8_t>(bytes[i]) == expected[i], "byte " << i);
}

BOOST_AUTO_TEST_CASE(encoding_round_trips) {
    const histogram h = random_histogram(11);
    auto plain = metrics::decode(metrics::encode(h));
    BOOST_REQUIRE_MESSAGE(plain.ok(), why(plain));
    check_same(h, *plain);

    const auto packed = metrics::encode_compressed(h);
    BOOST_TEST(std::to_integer<uint8_t>(packed[3]) == 0x14u);  // compressed V2 cookie
    auto unpacked = metrics::decode_compressed(packed);
    BOOST_REQUIRE_MESSAGE(unpacked.ok(), why(unpacked));
    check_same(h, *unpacked);
    for (double p : {0.0, 50.0, 99.9, 100.0})
        BOOST_TEST(unpacked->value_at_percentile(p) == h.value_at_percentile(p));
    // Decoded min/max are the bounds of the outermost buckets.
    BOOST_TEST(unpacked->min() == h.equivalent_range(h.min()).lowest);
    BOOST_TEST(unpacked->max() == h.equivalent_range(h.max()).highest);
    // Every reference log line starts like this.
    BOOST_TEST(metrics::to_base64(packed).starts_with("HISTF"));
}

BOOST_AUTO_TEST_CASE(empty_and_huge_counts_round_trip) {
    const histogram empty(1, 1000, 2);
    auto decoded = metrics::decode_compressed(metrics::encode_compressed(empty));
    BOOST_REQUIRE(decoded.ok());
    BOOST_TEST(decoded->empty());

    histogram h(1, 1000, 2);
    h.record(7, uint64_t{1} << 62);  // ZigZag doubles it past 63 bits: the ninth byte
    h.record(900, 3);
    auto huge = metrics::decode(metrics::encode(h));
    BOOST_REQUIRE(huge.ok());
    check_same(h, *huge);
}

BOOST_AUTO_TEST_CASE(decoder_rejects_truncated_and_corrupt_input_without_crashing) {
    const histogram h = random_histogram(5, 2000);
    const auto plain = metrics::encode(h);
    const auto packed = metrics::encode_compressed(h);
    for (std::size_t n = 0; n < plain.size(); ++n)
        BOOST_TEST(!metrics::decode(std::span(plain).first(n)).ok(), "plain cut at " << n);
    for (std::size_t n = 0; n < packed.size(); ++n)
        BOOST_TEST(!metrics::decode_compressed(std::span(packed).first(n)).ok(), "cut at " << n);

    // Random byte flips: an error, or a consistent histogram; never a crash or a
    // sanitizer report.
    std::mt19937_64 rng(99);
    for (int i = 0; i < 2000; ++i) {
        auto bad = (i % 2 ? plain : packed);
        bad[rng() % bad.size()] ^= std::byte(1 + rng() % 255);
        auto result = i % 2 ? metrics::decode(bad) : metrics::decode_compressed(bad);
        if (!result.ok()) continue;
        uint64_t sum = 0;  // what decoded must still be a consistent histogram
        for (const metrics::bucket& b : result->recorded_buckets()) sum += b.count;
        BOOST_TEST(sum == result->count());
    }

    auto wrong_cookie = plain;
    wrong_cookie[0] = std::byte{0};
    BOOST_TEST(!metrics::decode(wrong_cookie).ok());
}

BOOST_AUTO_TEST_CASE(base64_matches_rfc_4648_vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        BOOST_TEST(metrics::to_base64(bytes_of(plain)) == encoded);
        auto back = metrics::from_base64(encoded);
        BOOST_REQUIRE(back.ok());
        BOOST_TEST((*back == bytes_of(plain)));
    }
    for (std::string_view bad : {"Zg=", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg=="})
        BOOST_TEST(!metrics::from_base64(bad).ok(), bad);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(histogram_log)

BOOST_AUTO_TEST_CASE(writer_emits_version_start_time_and_legend) {
    std::ostringstream out;
    metrics::histogram_log_writer writer(out);
    writer.write_header(1'700'000'000.25, 1'700'000'000.0);
    std::istringstream lines(out.str());
    std::string line;
    std::getline(lines, line);
    BOOST_TEST(line == "#[Histogram log format version 1.3]");
    std::getline(lines, line);
    BOOST_TEST(line == "#[StartTime: 1700000000.250 (seconds since epoch), "
                       "Tue Nov 14 22:13:20 UTC 2023]");
    std::getline(lines, line);
    BOOST_TEST(line == "#[BaseTime: 1700000000.000 (seconds since epoch)]");
    std::getline(lines, line);
    BOOST_TEST(line == "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
                       "\"Interval_Compressed_Histogram\"");
}

BOOST_AUTO_TEST_CASE(interval_max_uses_the_unit_ratio) {
    histogram h(1, 3'600'000'000'000, 3);
    h.record(1'500'000);  // 1.5 ms in ns, in a bucket ending at 1,500,159
    for (const double ratio : {1e6, 1.0}) {
        std::ostringstream out;
        metrics::histogram_log_writer(out, ratio).write_interval(2.0, 1.0, h);
        char expected[64];
        std::snprintf(expected, sizeof expected, "2.000,1.000,%.3f,HISTF",
                      static_cast<double>(h.equivalent_range(1'500'000).highest) / ratio);
        BOOST_TEST(out.str().starts_with(expected), out.str());
    }
}

BOOST_AUTO_TEST_CASE(log_round_trips_through_reader) {
    const histogram first = random_histogram(1), second = random_histogram(2, 500);
    const histogram empty(1, 1000, 2);
    std::stringstream log;
    metrics::histogram_log_writer writer(log);
    writer.write_header(0.0);
    writer.write_comment("written by histogram_log_test");
    writer.write_interval(0.0, 1.0, first);
    writer.write_interval(1.0, 1.0, second, "shard1");
    writer.write_interval(2.0, 0.5, empty);

    auto read = metrics::read_histogram_log(log);
    BOOST_REQUIRE_MESSAGE(read.ok(), why(read));
    BOOST_TEST(read->start_time_sec.value_or(-1) == 0.0);
    BOOST_TEST(!read->base_time_sec.has_value());
    BOOST_REQUIRE(read->intervals.size() == 3u);
    const auto& got = read->intervals;
    check_same(got[0].histogram, first);
    check_same(got[1].histogram, second);
    check_same(got[2].histogram, empty);
    BOOST_TEST(got[0].tag.empty());
    BOOST_TEST(got[1].tag == "shard1");
    BOOST_TEST(got[1].start_timestamp_sec == 1.0);
    BOOST_TEST(got[2].interval_length_sec == 0.5);
    BOOST_TEST(std::abs(got[0].interval_max -
                        first.equivalent_range(first.max()).highest / 1e6) < 0.001);
}

BOOST_AUTO_TEST_CASE(reader_names_the_bad_line) {
    std::istringstream log("#[Histogram log format version 1.3]\n"
                           "0.000,1.000,0.011,HISTnotbase64!\n");
    auto read = metrics::read_histogram_log(log);
    BOOST_REQUIRE(!read.ok());
    BOOST_TEST(read.message().starts_with("histogram log line 2: "), read.message());

    std::istringstream short_line("0.000,1.000\n");
    BOOST_TEST(!metrics::read_histogram_log(short_line).ok());
}

BOOST_AUTO_TEST_SUITE_END()
