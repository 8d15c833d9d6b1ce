// Checks sluice-load's http workload (apps/load/http_workload.hh) on bytes alone: the exact
// GET it sends; that a response is incomplete at every split point until its last byte and
// then measured exactly, also with the next response behind it; each framing of RFC 9112
// 6.3 (Content-Length, chunked with extensions and trailers, no body for 1xx/204/304);
// which statuses count as failed; each malformed input named in its problem; and when the
// server closes the connection.
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency already defines it
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstddef>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "apps/load/http_workload.hh"

namespace load = sluice::load;
using load::response_scan;
using outcome = response_scan::outcome;

namespace {

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

response_scan scan(std::string_view s) { return load::http_workload({}).scan_response(bytes_of(s)); }

std::string request_of(load::http_workload& w, std::uint64_t sequence) {
    std::vector<std::byte> out(w.max_request_size());
    const std::size_t n = w.build_request(sequence, out);
    return {reinterpret_cast<const char*>(out.data()), n};
}

// Every proper prefix is incomplete and the whole is complete with its exact length.
void check_incomplete_until_whole(std::string_view response) {
    for (std::size_t split = 0; split < response.size(); ++split) {
        BOOST_TEST_INFO("split at " << split << " of " << response.size());
        BOOST_TEST(scan(response.substr(0, split)).result == outcome::incomplete);
    }
    const response_scan whole = scan(response);
    BOOST_TEST(whole.result == outcome::complete);
    BOOST_TEST(whole.length == response.size());
}

void check_malformed(std::string_view response, std::string_view named) {
    const response_scan s = scan(response);
    BOOST_TEST_INFO("response: " << response);
    BOOST_TEST(s.result == outcome::malformed);
    BOOST_TEST_INFO("problem: " << s.problem << ", expected to name: " << named);
    BOOST_TEST(s.problem.find(named) != std::string::npos);
}

constexpr std::string_view ok_with_length = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhello";
constexpr std::string_view chunked_with_extensions_and_trailers =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;name=value;quoted=\"a b\"\r\nhello\r\n"
    "1a \r\nabcdefghijklmnopqrstuvwxyz\r\n"
    "0;last\r\nExpires: never\r\nX-Checksum: 1\r\n\r\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(http_workload)

BOOST_AUTO_TEST_CASE(builds_a_keep_alive_get_with_host_and_user_agent) {
    load::http_workload w({.host = "198.18.0.7:8080", .path = "/index.html?x=1"});
    const std::string expected = "GET /index.html?x=1 HTTP/1.1\r\nHost: 198.18.0.7:8080\r\nUser-Agent: sluice-load\r\n\r\n";
    BOOST_TEST(w.name() == "http");
    BOOST_TEST((w.transport() == sluice::load::transport::tcp));
    BOOST_TEST(w.max_request_size() == expected.size());
    BOOST_TEST(request_of(w, 0) == expected);
    BOOST_TEST(request_of(w, 12345) == expected);
}

BOOST_AUTO_TEST_CASE(refuses_a_host_or_path_that_would_break_the_request_line) {
    BOOST_CHECK_THROW(load::http_workload({.host = "", .path = "/"}), std::invalid_argument);
    BOOST_CHECK_THROW(load::http_workload({.host = "a b", .path = "/"}), std::invalid_argument);
    BOOST_CHECK_THROW(load::http_workload({.host = "h", .path = "index.html"}), std::invalid_argument);
    BOOST_CHECK_THROW(load::http_workload({.host = "h", .path = "/a b"}), std::invalid_argument);
    BOOST_CHECK_THROW(load::http_workload({.host = "h", .path = "/\r\nX: y"}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(content_length_response_is_incomplete_at_every_split_until_whole) {
    check_incomplete_until_whole(ok_with_length);
}

BOOST_AUTO_TEST_CASE(chunked_response_is_incomplete_at_every_split_until_whole) {
    check_incomplete_until_whole(chunked_with_extensions_and_trailers);
}

BOOST_AUTO_TEST_CASE(interim_and_bodyless_responses_are_incomplete_at_every_split_until_whole) {
    check_incomplete_until_whole("HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n");
    check_incomplete_until_whole("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
}

BOOST_AUTO_TEST_CASE(first_of_two_pipelined_responses_has_its_exact_length) {
    const std::string two = std::string(ok_with_length) + std::string(chunked_with_extensions_and_trailers);
    const response_scan first = scan(two);
    BOOST_TEST(first.result == outcome::complete);
    BOOST_TEST(first.length == ok_with_length.size());
    const response_scan second = scan(std::string_view(two).substr(first.length));
    BOOST_TEST(second.result == outcome::complete);
    BOOST_TEST(second.length == chunked_with_extensions_and_trailers.size());

    const std::string chunked_then_other = std::string(chunked_with_extensions_and_trailers) + std::string(ok_with_length);
    BOOST_TEST(scan(chunked_then_other).length == chunked_with_extensions_and_trailers.size());
}

BOOST_AUTO_TEST_CASE(no_content_and_not_modified_have_no_body_even_with_content_length) {
    const std::string_view no_content = "HTTP/1.1 204 No Content\r\n\r\n";
    const std::string_view not_modified = "HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\nETag: \"x\"\r\n\r\n";
    for (std::string_view response : {no_content, not_modified}) {
        const response_scan s = scan(std::string(response) + "HTTP/1.1 200 OK\r\n");
        BOOST_TEST(s.result == outcome::complete);
        BOOST_TEST(s.length == response.size());
        BOOST_TEST(!s.failed);
    }
}

BOOST_AUTO_TEST_CASE(interim_responses_belong_to_the_final_response_after_them) {
    const std::string_view response =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    const response_scan s = scan(response);
    BOOST_TEST(s.result == outcome::complete);
    BOOST_TEST(s.length == response.size());
}

BOOST_AUTO_TEST_CASE(server_and_client_errors_are_complete_and_failed) {
    for (std::string_view status : {"500 Internal Server Error", "503 Service Unavailable", "404 Not Found", "400 Bad"}) {
        const std::string response = "HTTP/1.1 " + std::string(status) + "\r\nContent-Length: 3\r\n\r\nbad";
        const response_scan s = scan(response);
        BOOST_TEST_INFO(status);
        BOOST_TEST((s.result == outcome::complete && s.failed && s.length == response.size()));
    }
    BOOST_TEST(!scan("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n").failed);
    BOOST_TEST(!scan(ok_with_length).failed);
}

BOOST_AUTO_TEST_CASE(field_names_match_in_any_case_and_values_lose_surrounding_whitespace) {
    const std::string_view response = "HTTP/1.1 200 OK\r\ncontent-LENGTH: \t 2 \r\n\r\nok";
    BOOST_TEST(scan(response).length == response.size());
    const std::string_view chunked = "HTTP/1.1 200 OK\r\nTRANSFER-encoding: gzip, Chunked\r\n\r\n0\r\n\r\n";
    BOOST_TEST(scan(chunked).length == chunked.size());
}

BOOST_AUTO_TEST_CASE(equal_repeated_content_lengths_are_one_length) {
    const std::string_view response = "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok";
    BOOST_TEST(scan(response).length == response.size());
}

BOOST_AUTO_TEST_CASE(malformed_status_lines_are_named) {
    check_malformed("HTTP/2 200 OK\r\n\r\n", "HTTP/1.x");
    check_malformed("HTTX/1.1 200 OK\r\n\r\n", "HTTP/1.x");
    check_malformed("HTTP/1.1 20 OK\r\n\r\n", "status code");
    check_malformed("HTTP/1.1 2000 OK\r\n\r\n", "status code");
    check_malformed("HTTP/1.1 099 Low\r\n\r\n", "status code");
    check_malformed("HTTP/1.1 200 O\x01K\r\n\r\n", "reason");
    check_malformed("HTTP/1.1 200 OK\n\r\n", "LF without CR");
}

BOOST_AUTO_TEST_CASE(malformed_header_fields_are_named) {
    check_malformed("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "without ':'");
    check_malformed("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx", "whitespace between");
    check_malformed("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", "obs-fold");
    check_malformed("HTTP/1.1 200 OK\r\nX(y): 1\r\n\r\n", "not a token");
    check_malformed("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", "control byte");
    check_malformed("HTTP/1.1 200 OK\r\nX-A: 1\n\r\n", "LF without CR");
}

BOOST_AUTO_TEST_CASE(malformed_lengths_are_named) {
    check_malformed("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", "Content-Length is not a decimal");
    check_malformed("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", "Content-Length is not a decimal");
    check_malformed("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", "Content-Length is not a decimal");
    check_malformed("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", "empty Content-Length");
    check_malformed("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", "Content-Length over");
    check_malformed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", "conflicting Content-Length");
    check_malformed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", "both");
    check_malformed("HTTP/1.1 200 OK\r\nServer: t\r\n\r\n", "neither Content-Length nor chunked");
    check_malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "without final chunked");
    check_malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "not the final transfer coding");
    check_malformed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", "101");
}

BOOST_AUTO_TEST_CASE(malformed_chunks_are_named) {
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    check_malformed(head + "zz\r\n", "not a hex number");
    check_malformed(head + "-5\r\n", "not a hex number");
    check_malformed(head + "5x\r\nhello\r\n", "junk");
    check_malformed(head + "fffffffffffffffffffff\r\n", "chunk size over");
    check_malformed(head + "3\r\nhello\r\n0\r\n\r\n", "chunk data not followed by CRLF");
    check_malformed(head + "5\r\nhello\r\r", "chunk data not followed by CRLF");
    check_malformed(head + "3\r\nhelX", "chunk data not followed by CRLF");  // as soon as the byte after arrives
    check_malformed(head + "5\nhello\r\n", "LF without CR");
    check_malformed(head + "0\r\nbad trailer\r\n\r\n", "without ':'");
    check_malformed(head + "1" + std::string(5000, '0'), "chunk size line longer");
}

BOOST_AUTO_TEST_CASE(header_section_is_bounded_at_64_kib) {
    const std::string filler = "HTTP/1.1 200 OK\r\nX-Filler: " + std::string(load::http_workload::max_head_length, 'a');
    check_malformed(filler, "header section longer than 64 KiB");
    const std::string whole_but_over = filler + "\r\nContent-Length: 0\r\n\r\n";
    check_malformed(whole_but_over, "header section longer than 64 KiB");
    const std::string just_under = "HTTP/1.1 200 OK\r\nX-Filler: " + std::string(60 * 1024, 'a');
    BOOST_TEST(scan(just_under).result == outcome::incomplete);
    const std::string whole = just_under + "\r\nContent-Length: 0\r\n\r\n";
    BOOST_TEST(scan(whole).length == whole.size());
}

BOOST_AUTO_TEST_CASE(connection_close_or_http_1_0_without_keep_alive_closes) {
    const auto closes = [](std::string_view r) { return load::http_workload::closes_connection(bytes_of(r)); };
    BOOST_TEST(!closes(ok_with_length));
    BOOST_TEST(closes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
    BOOST_TEST(closes("HTTP/1.1 200 OK\r\nconnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n"));
    BOOST_TEST(!closes("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"));
    BOOST_TEST(closes("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
    BOOST_TEST(!closes("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"));
    BOOST_TEST(closes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
    BOOST_TEST(closes("garbage\r\n\r\n"));
}

BOOST_AUTO_TEST_SUITE_END()
