#include "sluice/metrics/histogram_log.hh"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <istream>
#include <ostream>

namespace sluice::metrics {

namespace detail {

// The one place outside hdr_histogram that touches its counts by index: decoding.
struct histogram_codec {
    static bool add_at_index(hdr_histogram& h, std::size_t index, uint64_t count) {
        if (index >= h.counts_.size()) return false;
        h.counts_[index] += count;
        h.total_ += count;
        return true;
    }
    // After decoding, min/max can only be the bounds of the outermost non-empty buckets.
    static void set_min_max_from_buckets(hdr_histogram& h) {
        auto buckets = h.recorded_buckets();
        if (buckets.begin() == buckets.end()) return;
        h.min_ = (*buckets.begin()).range.lowest;
        for (const bucket& b : buckets) h.max_ = b.range.highest;
    }
};

}  // namespace detail

namespace {

constexpr std::size_t header_size = 40;
constexpr uint32_t cookie_base_mask = ~uint32_t{0xf0};
constexpr std::size_t max_leb128_bytes = 9;

void put_be(std::vector<std::byte>& out, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(std::byte(v >> (8 * i)));
}

uint64_t get_be(std::span<const std::byte> in, std::size_t at, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | std::to_integer<uint64_t>(in[at + i]);
    return v;
}

// ZigZag keeps small negative numbers short; LEB128 spends 7 bits a byte for eight bytes
// and all 8 bits of a ninth, so any 64-bit value fits in 9 bytes.
void put_zigzag(std::vector<std::byte>& out, int64_t value) {
    uint64_t v = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
    for (std::size_t i = 0; i < max_leb128_bytes - 1; ++i) {
        if (v < 0x80) {
            out.push_back(std::byte(v));
            return;
        }
        out.push_back(std::byte((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(std::byte(v));
}

// False when the word runs past the end of the input.
bool get_zigzag(std::span<const std::byte> in, std::size_t& at, int64_t& value) {
    uint64_t v = 0;
    for (std::size_t i = 0; i < max_leb128_bytes; ++i) {
        if (at >= in.size()) return false;
        const uint64_t b = std::to_integer<uint64_t>(in[at++]);
        if (i == max_leb128_bytes - 1) {
            v |= b << 56;
            break;
        }
        v |= (b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) break;
    }
    value = static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
    return true;
}

error bad_encoding(const std::string& why) {
    return error{"histogram decode: " + why + " (not an HdrHistogram V2 encoding?)"};
}

}  // namespace

std::vector<std::byte> encode(const hdr_histogram& h) {
    const auto counts = h.counts();
    std::size_t end = counts.size();
    while (end > 0 && counts[end - 1] == 0) --end;

    std::vector<std::byte> out;
    out.reserve(header_size + 16);
    put_be(out, v2_encoding_cookie, 4);
    put_be(out, 0, 4);  // payload length, patched below
    put_be(out, 0, 4);  // normalizing index offset: we never shift
    put_be(out, static_cast<uint32_t>(h.significant_digits()), 4);
    put_be(out, static_cast<uint64_t>(h.lowest_discernible_value()), 8);
    put_be(out, static_cast<uint64_t>(h.highest_trackable_value()), 8);
    uint64_t ratio_bits;
    const double ratio = 1.0;
    std::memcpy(&ratio_bits, &ratio, sizeof ratio);
    put_be(out, ratio_bits, 8);

    for (std::size_t i = 0; i < end;) {
        if (counts[i] != 0) {
            put_zigzag(out, static_cast<int64_t>(counts[i++]));
            continue;
        }
        std::size_t run = 0;
        while (i < end && counts[i] == 0) ++i, ++run;
        put_zigzag(out, run == 1 ? 0 : -static_cast<int64_t>(run));
    }
    const uint64_t payload = out.size() - header_size;
    for (int i = 0; i < 4; ++i) out[4 + i] = std::byte(payload >> (8 * (3 - i)));
    return out;
}

result<hdr_histogram> decode(std::span<const std::byte> in) {
    if (in.size() < header_size) return bad_encoding("shorter than its 40-byte header");
    const uint32_t cookie = static_cast<uint32_t>(get_be(in, 0, 4));
    if ((cookie & cookie_base_mask) != (v2_encoding_cookie & cookie_base_mask))
        return bad_encoding("unknown cookie");
    const uint64_t payload = get_be(in, 4, 4);
    if (get_be(in, 8, 4) != 0) return bad_encoding("non-zero normalizing index offset");
    const auto digits = static_cast<int32_t>(get_be(in, 12, 4));
    const auto lowest = static_cast<int64_t>(get_be(in, 16, 8));
    const auto highest = static_cast<int64_t>(get_be(in, 24, 8));
    if (payload > in.size() - header_size) return bad_encoding("payload longer than input");

    auto made = hdr_histogram::create(lowest, highest, digits);
    if (!made) return bad_encoding("bad configuration: " + made.message());
    hdr_histogram h = std::move(made).value();

    const auto words = in.subspan(header_size, payload);
    std::size_t at = 0;
    std::size_t index = 0;
    while (at < words.size()) {
        int64_t word;
        if (!get_zigzag(words, at, word)) return bad_encoding("truncated count");
        if (word < 0) {
            const uint64_t run = uint64_t{0} - static_cast<uint64_t>(word);
            if (run > h.counts().size() - index) return bad_encoding("zero run past the end");
            index += run;
        } else if (!detail::histogram_codec::add_at_index(h, index++,
                                                          static_cast<uint64_t>(word))) {
            return bad_encoding("more counts than the configuration has buckets");
        }
    }
    detail::histogram_codec::set_min_max_from_buckets(h);
    return h;
}

std::vector<std::byte> encode_compressed(const hdr_histogram& h) {
    const std::vector<std::byte> plain = encode(h);
    uLongf packed_size = compressBound(plain.size());
    std::vector<std::byte> out(8 + packed_size);
    // compress2 writes a zlib stream (header + deflate + adler32), as java.util.zip's
    // Deflater does; it only fails on a too-small buffer, which compressBound rules out.
    compress2(reinterpret_cast<Bytef*>(out.data() + 8), &packed_size,
              reinterpret_cast<const Bytef*>(plain.data()), plain.size(), Z_DEFAULT_COMPRESSION);
    out.resize(8 + packed_size);
    std::vector<std::byte> head;
    put_be(head, v2_compressed_encoding_cookie, 4);
    put_be(head, packed_size, 4);
    std::copy(head.begin(), head.end(), out.begin());
    return out;
}

result<hdr_histogram> decode_compressed(std::span<const std::byte> in) {
    if (in.size() < 8) return bad_encoding("shorter than the compressed header");
    const uint32_t cookie = static_cast<uint32_t>(get_be(in, 0, 4));
    if ((cookie & cookie_base_mask) != (v2_compressed_encoding_cookie & cookie_base_mask))
        return bad_encoding("unknown compressed cookie");
    const uint64_t packed = get_be(in, 4, 4);
    if (packed > in.size() - 8) return bad_encoding("compressed length longer than input");

    z_stream z{};
    if (inflateInit(&z) != Z_OK) return bad_encoding("zlib inflateInit failed");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + 8));
    z.avail_in = static_cast<uInt>(packed);
    // Inflate the header first, then exactly the payload it announces, so hostile input
    // cannot make us inflate more than one histogram's worth.
    std::vector<std::byte> plain(header_size);
    auto inflate_to = [&](std::size_t from) {
        z.next_out = reinterpret_cast<Bytef*>(plain.data() + from);
        z.avail_out = static_cast<uInt>(plain.size() - from);
        int rc = Z_OK;
        while (z.avail_out > 0 && rc == Z_OK) rc = inflate(&z, Z_NO_FLUSH);
        return z.avail_out == 0 && (rc == Z_OK || rc == Z_STREAM_END);
    };
    bool ok = inflate_to(0);
    if (ok) {
        const uint64_t payload = get_be(plain, 4, 4);
        if (payload > (uint64_t{1} << 28)) {  // far beyond any real configuration
            inflateEnd(&z);
            return bad_encoding("payload length too large");
        }
        plain.resize(header_size + payload);
        ok = payload == 0 || inflate_to(header_size);
    }
    inflateEnd(&z);
    if (!ok) return bad_encoding("zlib stream is corrupt or shorter than announced");
    return decode(plain);
}

namespace {
constexpr char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string to_base64(std::span<const std::byte> in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < in.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, in.size() - i);
        uint32_t group = 0;
        for (std::size_t k = 0; k < 3; ++k)
            group = (group << 8) | (k < n ? std::to_integer<uint32_t>(in[i + k]) : 0);
        for (std::size_t k = 0; k < 4; ++k)
            out.push_back(k <= n ? base64_alphabet[(group >> (18 - 6 * k)) & 0x3f] : '=');
    }
    return out;
}

result<std::vector<std::byte>> from_base64(std::string_view text) {
    if (text.size() % 4 != 0) return error{"base64: length is not a multiple of 4"};
    std::vector<std::byte> out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const std::string_view group = text.substr(i, 4);
        int pad = 0;  // '=' only at the very end, one or two of them
        if (i + 4 == text.size() && group[3] == '=') pad = group[2] == '=' ? 2 : 1;
        uint32_t bits = 0;
        for (int k = 0; k < 4; ++k) {
            uint32_t sextet = 0;
            if (k < 4 - pad) {
                const char c = group[static_cast<std::size_t>(k)];
                const char* at = c == '\0' ? nullptr : std::strchr(base64_alphabet, c);
                if (at == nullptr) return error{"base64: invalid character"};
                sextet = static_cast<uint32_t>(at - base64_alphabet);
            }
            bits = (bits << 6) | sextet;
        }
        for (int k = 0; k < 3 - pad; ++k) out.push_back(std::byte(bits >> (16 - 8 * k)));
    }
    return out;
}

void histogram_log_writer::write_header(double start_time_sec,
                                        std::optional<double> base_time_sec) {
    out_ << "#[Histogram log format version 1.3]\n";
    // The reader parses only the number; the date is for people, as the reference
    // writer prints it (java.util.Date.toString, in UTC).
    const std::time_t seconds = static_cast<std::time_t>(start_time_sec);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char date[64];
    std::strftime(date, sizeof date, "%a %b %d %H:%M:%S UTC %Y", &utc);
    char line[160];
    std::snprintf(line, sizeof line, "#[StartTime: %.3f (seconds since epoch), %s]\n",
                  start_time_sec, date);
    out_ << line;
    if (base_time_sec) {
        std::snprintf(line, sizeof line, "#[BaseTime: %.3f (seconds since epoch)]\n",
                      *base_time_sec);
        out_ << line;
    }
    out_ << "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
            "\"Interval_Compressed_Histogram\"\n";
}

void histogram_log_writer::write_comment(std::string_view text) {
    out_ << '#' << text << '\n';
}

void histogram_log_writer::write_interval(double start_timestamp_sec,
                                          double interval_length_sec, const hdr_histogram& h,
                                          std::string_view tag) {
    // Like the reference: the max reported is the top of its bucket.
    const double max = h.empty() ? 0.0 : static_cast<double>(h.equivalent_range(h.max()).highest);
    char fields[96];
    std::snprintf(fields, sizeof fields, "%.3f,%.3f,%.3f,", start_timestamp_sec,
                  interval_length_sec, max / max_value_unit_ratio_);
    if (!tag.empty()) out_ << "Tag=" << tag << ',';
    out_ << fields << to_base64(encode_compressed(h)) << '\n';
}

namespace {

bool parse_double(std::string_view text, double& value) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size();
}

// "#[StartTime: 12.500 (seconds ..." -> 12.5
std::optional<double> header_time(std::string_view line, std::string_view prefix) {
    if (!line.starts_with(prefix)) return std::nullopt;
    line.remove_prefix(prefix.size());
    const auto end = line.find_first_of(" ,]");
    double value;
    if (!parse_double(line.substr(0, end), value)) return std::nullopt;
    return value;
}

}  // namespace

result<histogram_log> read_histogram_log(std::istream& in) {
    histogram_log log;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        std::string_view rest = line;
        if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
        if (auto t = header_time(rest, "#[StartTime: ")) log.start_time_sec = t;
        if (auto t = header_time(rest, "#[BaseTime: ")) log.base_time_sec = t;
        if (rest.empty() || rest.front() == '#' || rest.starts_with("\"StartTimestamp\""))
            continue;

        auto fail = [&](const std::string& why) {
            return error{"histogram log line " + std::to_string(number) + ": " + why};
        };
        std::string tag;
        if (rest.starts_with("Tag=")) {
            const auto comma = rest.find(',');
            if (comma == std::string_view::npos) return fail("Tag= without fields");
            tag = rest.substr(4, comma - 4);
            rest.remove_prefix(comma + 1);
        }
        double numbers[3];
        for (double& n : numbers) {
            const auto comma = rest.find(',');
            if (comma == std::string_view::npos || !parse_double(rest.substr(0, comma), n))
                return fail("expected start,length,max,histogram");
            rest.remove_prefix(comma + 1);
        }
        auto bytes = from_base64(rest);
        if (!bytes) return fail(bytes.message());
        auto h = decode_compressed(*bytes);
        if (!h) return fail(h.message());
        log.intervals.push_back(
            {std::move(tag), numbers[0], numbers[1], numbers[2], std::move(h).value()});
    }
    return log;
}

}  // namespace sluice::metrics
