// HdrHistogram's interchange formats for hdr_histogram: the V2 binary encoding (plain and
// zlib-compressed), and the interval log (format 1.3) that HdrHistogram's tools read.
// Control path only (allocates). Free functions are pure; a writer or reader is used by
// one thread and borrows the stream it was given, which the caller owns.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/result.hh"
#include "sluice/metrics/hdr_histogram.hh"

namespace sluice::metrics {

// V2 encoding, big-endian: cookie, payload length, normalizing index offset (0),
// significant digits, lowest, highest (int64), int-to-double ratio (double 1.0), then the
// counts up to the last non-empty one as ZigZag LEB128 (<= 9 bytes each), a negative
// word -n standing for n empty buckets. The reference implementation writes the cookie
// bases below with 0x10 set (bits 4..7 once held a word size); readers mask them off.
inline constexpr uint32_t v2_encoding_cookie = 0x1c849303 | 0x10;
// Compressed form: cookie, length of what follows, zlib (deflate) of the V2 encoding.
inline constexpr uint32_t v2_compressed_encoding_cookie = 0x1c849304 | 0x10;

std::vector<std::byte> encode(const hdr_histogram& h);
std::vector<std::byte> encode_compressed(const hdr_histogram& h);
// Decoded histograms take the configuration in the encoding. They know buckets, not
// samples: min()/max() become bucket bounds and overflow_count() is 0 (the format has no
// such field; overflowed samples are in the top bucket). Malformed input is an error.
result<hdr_histogram> decode(std::span<const std::byte> bytes);
result<hdr_histogram> decode_compressed(std::span<const std::byte> bytes);

std::string to_base64(std::span<const std::byte> bytes);
result<std::vector<std::byte>> from_base64(std::string_view text);

// Writes a log that HdrHistogram's HistogramLogReader/HistogramLogProcessor read:
//   #[Histogram log format version 1.3]
//   #[StartTime: 0.000 (seconds since epoch), Thu Jan 01 00:00:00 UTC 1970]
//   #[BaseTime: 0.000 (seconds since epoch)]          (optional)
//   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//   0.000,1.000,0.011,HISTFAAAA...
// Interval_Max is the histogram's max divided by max_value_unit_ratio (the reference
// writer's default 10^6 turns nanoseconds into milliseconds). Stream errors are left in
// the stream's state for the caller to check.
class histogram_log_writer {
public:
    explicit histogram_log_writer(std::ostream& out, double max_value_unit_ratio = 1e6)
        : out_(out), max_value_unit_ratio_(max_value_unit_ratio) {}

    // start_time_sec: seconds since the epoch. Interval timestamps are read relative to
    // base_time_sec when it is written; without it, the reader takes timestamps more
    // than a year before StartTime as relative to StartTime, others as absolute.
    void write_header(double start_time_sec, std::optional<double> base_time_sec = {});
    void write_comment(std::string_view text);  // one line, "#" prepended
    void write_interval(double start_timestamp_sec, double interval_length_sec,
                        const hdr_histogram& h, std::string_view tag = {});

private:
    std::ostream& out_;
    double max_value_unit_ratio_;
};

struct log_interval {
    std::string tag;  // empty when the line has no Tag=
    double start_timestamp_sec;
    double interval_length_sec;
    double interval_max;  // as written, in max-value units
    hdr_histogram histogram;
};

struct histogram_log {
    std::optional<double> start_time_sec;
    std::optional<double> base_time_sec;
    std::vector<log_interval> intervals;
};

// Reads a log in the format above (comments and the legend line are skipped). An error
// names the line number and what is wrong with it.
result<histogram_log> read_histogram_log(std::istream& in);

}  // namespace sluice::metrics
