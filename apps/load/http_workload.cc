// The http workload's request and its response scanner (RFC 9112, HTTP/1.1 message syntax;
// RFC 9110 for status codes and field values). Read RFC 9112 sections 2-7 before editing.
// The scanner rereads the front of the stream each time bytes arrive: it keeps no state
// between calls, so the engine can hand it any prefix, and every check below judges only
// bytes that have arrived (a prefix of a good response is never called malformed).
#include "apps/load/http_workload.hh"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

namespace sluice::load {
namespace {

// A chunk-size line longer than this is malformed (its extensions are all we skip over).
constexpr std::size_t max_chunk_line_length = 4096;

std::string_view as_text(std::span<const std::byte> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_space(char c) { return c == ' ' || c == '\t'; }  // SP / HTAB: OWS and BWS (RFC 9110 5.6.3)
char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool same_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// tchar (RFC 9110 5.6.2): the characters of a field name or a token.
bool is_token_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z')) return true;
    return u > 0x20 && u < 0x7f && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// field-vchar, SP, HTAB (RFC 9110 5.5): no CR, LF, NUL or other control byte in a value.
bool is_field_value_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '\t' || (u >= 0x20 && u != 0x7f);
}

// Calls each(element) for each element of a comma-separated list, OWS trimmed and empty
// elements skipped (RFC 9110 5.6.1); stops early, returning false, when each() does.
template <typename F>
bool for_each_list_element(std::string_view list, F each) {
    while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view element = trim(list.substr(0, comma));
        if (!element.empty() && !each(element)) return false;
        if (comma == std::string_view::npos) return true;
        list.remove_prefix(comma + 1);
    }
}

// One CRLF-terminated line starting at `from`, ending (its LF included) by `limit`.
struct line {
    enum class state { whole, partial, bare_lf, too_long } found;
    std::string_view content;  // without the CRLF
    std::size_t next = 0;      // where the following line starts
};

line next_line(std::string_view text, std::size_t from, std::size_t limit) {
    const std::size_t lf = text.find('\n', from);
    if (lf == std::string_view::npos) return {text.size() >= limit ? line::state::too_long : line::state::partial, {}, 0};
    if (lf + 1 > limit) return {line::state::too_long, {}, 0};
    if (lf == from || text[lf - 1] != '\r') return {line::state::bare_lf, {}, 0};
    return {line::state::whole, text.substr(from, lf - 1 - from), lf + 1};
}

// A field line (RFC 9112 5): name ":" OWS value OWS. Returns its problem, or null.
const char* split_field_line(std::string_view content, std::string_view& name, std::string_view& value) {
    if (is_space(content.front())) return "obs-fold continuation line in header section (RFC 9112 5.2)";
    const std::size_t colon = content.find(':');
    if (colon == std::string_view::npos) return "header field line without ':'";
    name = content.substr(0, colon);
    if (name.empty()) return "header field with an empty name";
    if (is_space(name.back())) return "whitespace between header field name and ':' (RFC 9112 5.1)";
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return "header field name is not a token";
    value = trim(content.substr(colon + 1));
    if (!std::all_of(value.begin(), value.end(), is_field_value_char)) return "control byte in header field value";
    return nullptr;
}

// What one response head (status line to the empty line) says about framing and the connection.
struct response_head {
    unsigned status = 0;
    unsigned minor_version = 0;
    std::size_t end = 0;  // just past the empty line
    std::optional<std::uint64_t> content_length;
    bool transfer_encoding = false;  // the field is present
    bool chunked_last = false;       // ... and chunked is its final coding (RFC 9112 6.1)
    bool connection_close = false;
    bool connection_keep_alive = false;
};

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4). We also
// take a line that ends right after the code, as many clients do.
const char* parse_status_line(std::string_view s, response_head& head) {
    if (s.size() < 8 || s.substr(0, 7) != "HTTP/1." || !is_digit(s[7])) return "status line does not start with HTTP/1.x";
    if (s.size() < 12 || s[8] != ' ' || !is_digit(s[9]) || !is_digit(s[10]) || !is_digit(s[11])) {
        return "status line has no three-digit status code";
    }
    if (s.size() > 12 && s[12] != ' ') return "status code is not three digits";
    const unsigned code = unsigned(s[9] - '0') * 100 + unsigned(s[10] - '0') * 10 + unsigned(s[11] - '0');
    if (code < 100 || code > 599) return "status code outside 100-599 (RFC 9110 15)";
    const std::string_view reason = s.substr(std::min<std::size_t>(s.size(), 13));
    if (!std::all_of(reason.begin(), reason.end(), is_field_value_char)) return "control byte in reason phrase";
    head.status = code;
    head.minor_version = unsigned(s[7] - '0');
    return nullptr;
}

// Content-Length = 1*DIGIT (RFC 9110 8.6). A list of equal values, or several equal
// fields, is taken as that one value, as 8.6 allows; differing ones are an error.
const char* add_content_length(std::string_view value, response_head& head) {
    const char* problem = nullptr;
    bool any = false;
    for_each_list_element(value, [&](std::string_view element) {
        any = true;
        std::uint64_t n = 0;
        for (char c : element) {
            if (!is_digit(c)) {
                problem = "Content-Length is not a decimal number";
                return false;
            }
            n = n * 10 + std::uint64_t(c - '0');
            if (n > http_workload::max_body_length) {
                problem = "Content-Length over 512 MiB";
                return false;
            }
        }
        if (head.content_length && *head.content_length != n) {
            problem = "conflicting Content-Length values";
            return false;
        }
        head.content_length = n;
        return true;
    });
    if (!any) return "empty Content-Length";
    return problem;
}

// Transfer-Encoding lists codings in the order applied; chunked must be the last and
// appear once (RFC 9112 6.1). A transfer-parameter after ';' does not change the coding.
const char* add_transfer_encoding(std::string_view value, response_head& head) {
    head.transfer_encoding = true;
    const char* problem = nullptr;
    for_each_list_element(value, [&](std::string_view element) {
        if (head.chunked_last) {
            problem = "chunked is not the final transfer coding (RFC 9112 6.1)";
            return false;
        }
        head.chunked_last = same_ignoring_case(trim(element.substr(0, element.find(';'))), "chunked");
        return true;
    });
    return problem;
}

void add_connection(std::string_view value, response_head& head) {
    for_each_list_element(value, [&](std::string_view option) {
        head.connection_close = head.connection_close || same_ignoring_case(option, "close");
        head.connection_keep_alive = head.connection_keep_alive || same_ignoring_case(option, "keep-alive");
        return true;
    });
}

// Reads the head starting at `from`, which with any before it must end by max_head_length.
// On success returns whole(end of head); the fields land in `head`.
response_scan read_head(std::string_view text, std::size_t from, response_head& head) {
    head = {};
    bool first = true;
    for (std::size_t at = from;;) {
        const line l = next_line(text, at, http_workload::max_head_length);
        switch (l.found) {
        case line::state::partial: return response_scan::need_more();
        case line::state::too_long: return response_scan::bad("header section longer than 64 KiB");
        case line::state::bare_lf: return response_scan::bad("line in header section ends in LF without CR");
        case line::state::whole: break;
        }
        at = l.next;
        if (first) {
            if (const char* problem = parse_status_line(l.content, head)) return response_scan::bad(problem);
            first = false;
            continue;
        }
        if (l.content.empty()) {
            head.end = at;
            return response_scan::whole(at);
        }
        std::string_view name, value;
        const char* problem = split_field_line(l.content, name, value);
        if (!problem && same_ignoring_case(name, "content-length")) problem = add_content_length(value, head);
        if (!problem && same_ignoring_case(name, "transfer-encoding")) problem = add_transfer_encoding(value, head);
        if (!problem && same_ignoring_case(name, "connection")) add_connection(value, head);
        if (problem) return response_scan::bad(problem);
    }
}

// A chunked body starting at `from` (RFC 9112 7.1): chunks of a hex size, optional
// extensions (skipped: we use none, and 7.1.1 says to ignore unknown ones), data and CRLF;
// then the last chunk of size 0, trailer field lines (7.1.2, checked for syntax only) and
// the empty line. Returns whole(end of body).
response_scan read_chunked_body(std::string_view text, std::size_t from) {
    std::uint64_t total = 0;
    std::size_t at = from;
    while (true) {
        const line l = next_line(text, at, at + max_chunk_line_length);
        if (l.found == line::state::partial) return response_scan::need_more();
        if (l.found == line::state::too_long) return response_scan::bad("chunk size line longer than 4 KiB");
        if (l.found == line::state::bare_lf) return response_scan::bad("chunk size line ends in LF without CR");
        std::uint64_t size = 0;
        std::size_t digits = 0;
        for (; digits < l.content.size() && is_hex_digit(l.content[digits]); ++digits) {
            const char c = lower(l.content[digits]);
            size = size * 16 + std::uint64_t(is_digit(c) ? c - '0' : c - 'a' + 10);
            if (size > http_workload::max_body_length) return response_scan::bad("chunk size over 512 MiB");
        }
        const std::string_view extensions = trim(l.content.substr(digits));
        if (digits == 0) return response_scan::bad("chunk size is not a hex number");
        if (!extensions.empty() && extensions.front() != ';') return response_scan::bad("chunk size followed by junk, not ';'");
        if (!std::all_of(extensions.begin(), extensions.end(), is_field_value_char)) {
            return response_scan::bad("control byte in chunk extension");
        }
        at = l.next;
        if (size == 0) break;
        total += size;
        if (total > http_workload::max_body_length) return response_scan::bad("chunked body over 512 MiB");
        const std::size_t data_end = at + std::size_t(size);
        if (text.size() > data_end && text[data_end] != '\r') return response_scan::bad("chunk data not followed by CRLF");
        if (text.size() < data_end + 2) return response_scan::need_more();
        if (text[data_end + 1] != '\n') return response_scan::bad("chunk data not followed by CRLF");
        at = data_end + 2;
    }
    for (const std::size_t trailer_limit = at + http_workload::max_head_length;;) {
        const line l = next_line(text, at, trailer_limit);
        if (l.found == line::state::partial) return response_scan::need_more();
        if (l.found == line::state::too_long) return response_scan::bad("trailer section longer than 64 KiB");
        if (l.found == line::state::bare_lf) return response_scan::bad("trailer line ends in LF without CR");
        at = l.next;
        if (l.content.empty()) return response_scan::whole(at);
        std::string_view name, value;
        if (const char* problem = split_field_line(l.content, name, value)) return response_scan::bad(problem);
    }
}

// Reads 1xx interim heads and the final head from the front of `text` (RFC 9110 15.2).
response_scan read_final_head(std::string_view text, response_head& head) {
    for (std::size_t at = 0;;) {
        response_scan step = read_head(text, at, head);
        if (step.result != response_scan::outcome::complete) return step;
        if (head.status == 101) return response_scan::bad("101 Switching Protocols to a request that asked for no upgrade");
        if (head.status >= 200) return step;
        at = head.end;
    }
}

bool is_request_safe(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u != 0x7f;
    });
}

}  // namespace

http_workload::http_workload(http_settings settings) {
    if (!is_request_safe(settings.host)) {
        throw std::invalid_argument("http workload: host must be non-empty, with no spaces or control bytes");
    }
    if (!is_request_safe(settings.path) || settings.path.front() != '/') {
        throw std::invalid_argument("http workload: path must start with '/' and hold no spaces or control bytes");
    }
    request_ = "GET " + settings.path + " HTTP/1.1\r\nHost: " + settings.host + "\r\nUser-Agent: sluice-load\r\n\r\n";
}

std::size_t http_workload::build_request(std::uint64_t sequence, std::span<std::byte> out) {
    (void)sequence;
    assert(out.size() >= request_.size());
    std::memcpy(out.data(), request_.data(), request_.size());
    return request_.size();
}

response_scan http_workload::scan_response(std::span<const std::byte> received) const {
    const std::string_view text = as_text(received);
    response_head head;
    response_scan step = read_final_head(text, head);
    if (step.result != response_scan::outcome::complete) return step;
    const bool failed = head.status >= 400;
    // Message body length, in RFC 9112 6.3's order.
    if (head.status == 204 || head.status == 304) return response_scan::whole(head.end, failed);  // (1)
    if (head.transfer_encoding && head.content_length) {
        return response_scan::bad("both Transfer-Encoding and Content-Length (RFC 9112 6.3 (3))");
    }
    if (head.transfer_encoding) {
        if (!head.chunked_last) return response_scan::bad("Transfer-Encoding without final chunked: body ends only at close");
        step = read_chunked_body(text, head.end);  // (4)
        if (step.result != response_scan::outcome::complete) return step;
        return response_scan::whole(step.length, failed);
    }
    if (head.content_length) {  // (6)
        const std::size_t end = head.end + std::size_t(*head.content_length);
        return text.size() < end ? response_scan::need_more() : response_scan::whole(end, failed);
    }
    return response_scan::bad("neither Content-Length nor chunked: body ends only at close, never on a kept-alive connection");
}

bool http_workload::closes_connection(std::span<const std::byte> response) {
    response_head head;
    if (read_final_head(as_text(response), head).result != response_scan::outcome::complete) return true;
    // RFC 9112 9.3: close when asked; HTTP/1.0 persists only with keep-alive.
    return head.connection_close || (head.minor_version == 0 && !head.connection_keep_alive);
}

}  // namespace sluice::load
