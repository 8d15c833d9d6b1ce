// The redis workload's requests and its RESP2 reply scanner. The protocol is Redis's
// "RESP protocol spec" (redis.io/docs/latest/develop/reference/protocol-spec/): a reply
// starts with a type byte, every header line ends in CRLF, and bulk strings carry their
// length first. The scanner keeps no state between calls and judges only bytes that have
// arrived, so a prefix of a good reply is always incomplete, never malformed.
#include "apps/load/redis_workload.hh"

#include <cassert>
#include <cstring>
#include <stdexcept>

namespace sluice::load {
namespace {

// A request is "*N\r\n" then the command and the key as bulk strings; the key's ten
// digits sit at the same offset in a GET and a SET ("*2\r\n$3\r\nGET\r\n$14\r\nkey:").
constexpr std::size_t key_digits_offset = 22;
constexpr std::size_t key_digits = 10;  // %010u holds any uint32

// splitmix64's finalizer: a bijection on 64 bits whose outputs look independent.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    return x ^ (x >> 31);
}

// Stream `stream` of the draws for request `sequence`: a pure function, so each request
// is rebuilt from its number, and the streams (SET or GET, key) do not move together.
std::uint64_t draw(std::uint64_t seed, std::uint64_t sequence, std::uint64_t stream) {
    return mix(mix(seed ^ mix(stream)) ^ sequence);
}

std::string bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One CRLF-terminated header line starting at `from` (the type byte already read).
struct line {
    enum class state { whole, partial, malformed } found;
    std::string_view content;  // without the CRLF
    std::size_t next = 0;      // just past the LF
    const char* problem = nullptr;
};

line read_line(std::string_view text, std::size_t from) {
    const std::size_t end = text.find_first_of("\r\n", from);
    const std::size_t length = (end == std::string_view::npos ? text.size() : end) - from;
    if (length > redis_workload::max_line_length) return {line::state::malformed, {}, 0, "reply line longer than 64 KiB"};
    if (end == std::string_view::npos) return {line::state::partial, {}, 0};
    if (text[end] == '\n') return {line::state::malformed, {}, 0, "reply line ends in LF without CR"};
    if (end + 1 == text.size()) return {line::state::partial, {}, 0};
    if (text[end + 1] != '\n') return {line::state::malformed, {}, 0, "CR not followed by LF in reply line"};
    return {line::state::whole, text.substr(from, length), end + 2};
}

// A bulk string's or array's length: -1 (null) or 0..max_length.
const char* parse_length(std::string_view s, std::int64_t& n) {
    if (s == "-1") {
        n = -1;
        return nullptr;
    }
    if (s.empty()) return "empty length";
    if (s.front() == '-') return "negative length other than -1";
    n = 0;
    for (char c : s) {
        if (!is_digit(c)) return "length is not a decimal number";
        n = n * 10 + (c - '0');
        if (std::uint64_t(n) > redis_workload::max_length) return "length over 512 MiB";
    }
    return nullptr;
}

// ":" [ "+" | "-" ] digits: a signed 64-bit integer.
bool is_integer(std::string_view s) {
    const bool negative = !s.empty() && s.front() == '-';
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
    if (s.empty()) return false;
    const std::uint64_t limit = negative ? std::uint64_t(1) << 63 : (std::uint64_t(1) << 63) - 1;
    std::uint64_t n = 0;
    for (char c : s) {
        if (!is_digit(c)) return false;
        const auto d = std::uint64_t(c - '0');
        if (n > (limit - d) / 10) return false;
        n = n * 10 + d;
    }
    return true;
}

std::string type_problem(char type) {
    // RESP3's types (null, boolean, double, big number, blob error, verbatim string, map,
    // attribute, set, push) come only after HELLO 3, which we never send.
    if (std::strchr("_#,(!=%|~>", type) != nullptr && type != '\0') {
        return std::string("RESP3 reply type '") + type + "' not supported";
    }
    static constexpr char hex[] = "0123456789abcdef";
    const auto u = static_cast<unsigned char>(type);
    return std::string("unknown RESP type byte 0x") + hex[u >> 4] + hex[u & 15];
}

// One reply starting at `at`, inside `depth` arrays; whole(end of reply) when it is all here.
response_scan read_reply(std::string_view text, std::size_t at, unsigned depth) {
    if (at >= text.size()) return response_scan::need_more();
    const char type = text[at];
    if (std::strchr("+-:$*", type) == nullptr || type == '\0') return response_scan::bad(type_problem(type));
    if (type == '*' && depth >= redis_workload::max_depth) return response_scan::bad("arrays nested deeper than 8");
    const line l = read_line(text, at + 1);
    if (l.found == line::state::partial) return response_scan::need_more();
    if (l.found == line::state::malformed) return response_scan::bad(l.problem);
    switch (type) {
    case '+': return response_scan::whole(l.next);
    case '-': return response_scan::whole(l.next, true);  // the command failed (-ERR, -WRONGTYPE, ...)
    case ':':
        if (!is_integer(l.content)) return response_scan::bad("integer reply is not a signed 64-bit number");
        return response_scan::whole(l.next);
    default: break;
    }
    std::int64_t n = 0;
    if (const char* problem = parse_length(l.content, n)) {
        return response_scan::bad(std::string(type == '$' ? "bulk string " : "array ") + problem);
    }
    if (n < 0) return response_scan::whole(l.next);  // null bulk string or null array
    if (type == '$') {
        const std::size_t data_end = l.next + std::size_t(n);
        const auto missing_crlf = [&] {
            return response_scan::bad("bulk string of " + std::to_string(n) + " bytes not followed by CRLF");
        };
        if (text.size() > data_end && text[data_end] != '\r') return missing_crlf();
        if (text.size() < data_end + 2) return response_scan::need_more();
        if (text[data_end + 1] != '\n') return missing_crlf();
        return response_scan::whole(data_end + 2);
    }
    // An array: its elements follow, each a whole reply. The loop ends as soon as the
    // bytes do, so a huge count costs no more than the bytes that are here.
    std::size_t end = l.next;
    for (std::int64_t i = 0; i < n; ++i) {
        const response_scan element = read_reply(text, end, depth + 1);
        if (element.result != response_scan::outcome::complete) return element;
        end = element.length;
    }
    return response_scan::whole(end);
}

}  // namespace

redis_workload::redis_workload(redis_settings settings) : settings_(settings) {
    if (settings.keys == 0) throw std::invalid_argument("redis workload: keys must be at least 1");
    if (settings.set_percent > 100) throw std::invalid_argument("redis workload: set percent must be 0 to 100");
    if (settings.value_size > max_length) throw std::invalid_argument("redis workload: value size must be at most 512 MiB");
    const std::string key = "key:" + std::string(key_digits, '0');
    std::string value(settings.value_size, '\0');
    for (std::size_t i = 0; i < value.size(); ++i) value[i] = char('a' + i % 26);  // readable in a capture
    get_request_ = "*2\r\n" + bulk("GET") + bulk(key);
    set_request_ = "*3\r\n" + bulk("SET") + bulk(key) + bulk(value);
    assert(get_request_.compare(key_digits_offset - 4, 4, "key:") == 0);
}

std::size_t redis_workload::build_request(std::uint64_t sequence, std::span<std::byte> out) {
    const bool is_set = draw(settings_.seed, sequence, 0) % 100 < settings_.set_percent;
    auto index = std::uint32_t(draw(settings_.seed, sequence, 1) % settings_.keys);
    const std::string& request = is_set ? set_request_ : get_request_;
    assert(out.size() >= request.size());
    auto* bytes = reinterpret_cast<char*>(out.data());
    std::memcpy(bytes, request.data(), request.size());
    for (std::size_t i = key_digits; i-- > 0; index /= 10) bytes[key_digits_offset + i] = char('0' + index % 10);
    return request.size();
}

response_scan redis_workload::scan_response(std::span<const std::byte> received) const {
    return read_reply({reinterpret_cast<const char*>(received.data()), received.size()}, 0, 0);
}

}  // namespace sluice::load
