// Checks sluice-load's redis workload (apps/load/redis_workload.hh) on bytes alone: the exact
// GET and SET it encodes; that its mix of SET and GET keeps to set_percent within a
// binomial bound and its keys to the key space; that a request is a function of (seed,
// number); that each RESP2 reply type is measured exactly, incomplete at every split until
// whole, -ERR counted failed; and that each malformed reply is named in its problem.
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency already defines it
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <ostream>
#include <cstdint>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/math/distributions/binomial.hpp>

#include "apps/load/redis_workload.hh"

namespace load = sluice::load;
using load::response_scan;
using outcome = response_scan::outcome;

namespace {

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

response_scan scan(std::string_view s) { return load::redis_workload({}).scan_response(bytes_of(s)); }

std::string request_of(load::redis_workload& w, std::uint64_t sequence) {
    std::vector<std::byte> out(w.max_request_size());
    const std::size_t n = w.build_request(sequence, out);
    return {reinterpret_cast<const char*>(out.data()), n};
}

// The key index of a GET or SET built by the workload: the ten digits after "key:".
std::uint64_t key_index(const std::string& request) {
    const std::size_t at = request.find("key:");
    BOOST_REQUIRE(at != std::string::npos);
    return std::stoull(request.substr(at + 4, 10));
}

bool is_set(const std::string& request) { return request.starts_with("*3\r\n$3\r\nSET\r\n"); }

void check_incomplete_until_whole(std::string_view reply) {
    for (std::size_t split = 0; split < reply.size(); ++split) {
        BOOST_TEST_INFO("split at " << split << " of " << reply.size());
        BOOST_TEST(scan(reply.substr(0, split)).result == outcome::incomplete);
    }
    const response_scan whole = scan(reply);
    BOOST_TEST_INFO("reply: " << reply);
    BOOST_TEST(whole.result == outcome::complete);
    BOOST_TEST(whole.length == reply.size());
}

void check_malformed(std::string_view reply, std::string_view named) {
    const response_scan s = scan(reply);
    BOOST_TEST_INFO("reply: " << reply);
    BOOST_TEST(s.result == outcome::malformed);
    BOOST_TEST_INFO("problem: " << s.problem << ", expected to name: " << named);
    BOOST_TEST(s.problem.find(named) != std::string::npos);
}

std::string nested_arrays(unsigned depth) {
    std::string reply;
    for (unsigned i = 0; i < depth; ++i) reply += "*1\r\n";
    return reply + ":1\r\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(redis_workload)

BOOST_AUTO_TEST_CASE(encodes_get_as_a_resp_array_of_bulk_strings) {
    load::redis_workload w({.keys = 1, .value_size = 32, .set_percent = 0, .seed = 1});
    BOOST_TEST(w.name() == "redis");
    BOOST_TEST((w.transport() == load::transport::tcp));
    BOOST_TEST(request_of(w, 0) == "*2\r\n$3\r\nGET\r\n$14\r\nkey:0000000000\r\n");
}

BOOST_AUTO_TEST_CASE(encodes_set_with_a_value_of_value_size_bytes) {
    load::redis_workload w({.keys = 1, .value_size = 30, .set_percent = 100, .seed = 1});
    const std::string expected =
        "*3\r\n$3\r\nSET\r\n$14\r\nkey:0000000000\r\n$30\r\nabcdefghijklmnopqrstuvwxyzabcd\r\n";
    BOOST_TEST(request_of(w, 7) == expected);
    BOOST_TEST(w.max_request_size() == expected.size());

    load::redis_workload empty({.keys = 1, .value_size = 0, .set_percent = 100, .seed = 1});
    BOOST_TEST(request_of(empty, 0) == "*3\r\n$3\r\nSET\r\n$14\r\nkey:0000000000\r\n$0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(key_is_ten_zero_padded_digits_of_its_index) {
    load::redis_workload w({.keys = 4294967295u, .value_size = 32, .set_percent = 0, .seed = 3});
    for (std::uint64_t n = 0; n < 100; ++n) {
        const std::string r = request_of(w, n);
        BOOST_TEST(r.size() == std::string_view("*2\r\n$3\r\nGET\r\n$14\r\nkey:0000000000\r\n").size());
        const std::string digits = r.substr(r.find("key:") + 4, 10);
        BOOST_TEST(digits.find_first_not_of("0123456789") == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(refuses_settings_it_cannot_honour) {
    BOOST_CHECK_THROW(load::redis_workload({.keys = 0}), std::invalid_argument);
    BOOST_CHECK_THROW(load::redis_workload({.set_percent = 101}), std::invalid_argument);
    BOOST_CHECK_THROW(load::redis_workload({.value_size = 600u << 20}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(set_share_keeps_within_a_binomial_bound_and_keys_within_the_key_space) {
    constexpr unsigned requests = 10000;
    for (const unsigned percent : {0u, 10u, 50u, 100u}) {
        for (const std::uint64_t seed : {1u, 2u, 99u}) {
            load::redis_workload w({.keys = 1000, .value_size = 8, .set_percent = percent, .seed = seed});
            unsigned sets = 0;
            for (std::uint64_t n = 0; n < requests; ++n) {
                const std::string r = request_of(w, n);
                sets += is_set(r) ? 1 : 0;
                BOOST_TEST(key_index(r) < 1000u);
            }
            // A fair mix falls outside these quantiles once in a million runs.
            const boost::math::binomial share(requests, percent / 100.0);
            BOOST_TEST_INFO("set_percent " << percent << ", seed " << seed << ": " << sets << " SETs");
            BOOST_TEST(sets >= boost::math::quantile(share, 0.5e-6));
            BOOST_TEST_INFO("set_percent " << percent << ", seed " << seed << ": " << sets << " SETs");
            BOOST_TEST(sets <= boost::math::quantile(boost::math::complement(share, 0.5e-6)));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_key_of_a_small_key_space_is_used) {
    load::redis_workload w({.keys = 100, .value_size = 8, .set_percent = 10, .seed = 5});
    std::set<std::uint64_t> seen;
    for (std::uint64_t n = 0; n < 10000; ++n) seen.insert(key_index(request_of(w, n)));
    BOOST_TEST(seen.size() == 100u);
}

BOOST_AUTO_TEST_CASE(request_depends_only_on_seed_and_number) {
    load::redis_workload a({.seed = 42});
    load::redis_workload b({.seed = 42});
    const std::string fifth = request_of(a, 5);
    BOOST_TEST(request_of(a, 3) == request_of(b, 3));
    BOOST_TEST(request_of(a, 5) == fifth);  // building others in between changes nothing
    BOOST_TEST(request_of(b, 5) == fifth);

    load::redis_workload other({.seed = 43});
    unsigned differing = 0;
    for (std::uint64_t n = 0; n < 100; ++n) differing += request_of(a, n) != request_of(other, n) ? 1 : 0;
    BOOST_TEST(differing > 90u);
}

BOOST_AUTO_TEST_CASE(each_reply_type_is_incomplete_at_every_split_until_whole) {
    for (std::string_view reply : {"+OK\r\n", "-ERR unknown command\r\n", ":1000\r\n", ":-42\r\n", "$5\r\nhello\r\n",
                                   "$0\r\n\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n", "$4\r\n\r\n\r\n\r\n",
                                   "*3\r\n$3\r\nfoo\r\n:1\r\n*2\r\n+a\r\n$-1\r\n", "*2\r\n*1\r\n*-1\r\n-ERR x\r\n"}) {
        check_incomplete_until_whole(reply);
    }
}

BOOST_AUTO_TEST_CASE(error_reply_is_complete_and_failed) {
    const response_scan e = scan("-ERR wrong number of arguments\r\n");
    BOOST_TEST((e.result == outcome::complete && e.failed));
    BOOST_TEST(!scan("+OK\r\n").failed);
    BOOST_TEST(!scan("$-1\r\n").failed);
}

BOOST_AUTO_TEST_CASE(first_of_two_pipelined_replies_has_its_exact_length) {
    BOOST_TEST(scan("+OK\r\n$3\r\nbar\r\n").length == 5u);
    BOOST_TEST(scan("$3\r\nbar\r\n+OK\r\n").length == 9u);
    BOOST_TEST(scan("*1\r\n:7\r\n*1\r\n:8\r\n").length == 8u);
}

BOOST_AUTO_TEST_CASE(bulk_length_that_lies_is_malformed) {
    check_malformed("$3\r\nhello\r\n", "bulk string of 3 bytes not followed by CRLF");
    check_malformed("$5\r\nhello\rX", "bulk string of 5 bytes not followed by CRLF");
    check_malformed("$7\r\nhello\r\nX", "bulk string of 7 bytes not followed by CRLF");
}

BOOST_AUTO_TEST_CASE(arrays_nest_up_to_eight_deep) {
    const std::string eight = nested_arrays(load::redis_workload::max_depth);
    BOOST_TEST(scan(eight).length == eight.size());
    check_malformed(nested_arrays(load::redis_workload::max_depth + 1), "nested deeper than 8");
}

BOOST_AUTO_TEST_CASE(malformed_replies_are_named) {
    check_malformed("?what\r\n", "unknown RESP type byte 0x3f");
    check_malformed(std::string_view("\0\r\n", 3), "unknown RESP type byte 0x00");
    check_malformed("$abc\r\n", "bulk string length is not a decimal");
    check_malformed("$\r\n", "bulk string empty length");
    check_malformed("$-2\r\n", "negative length");
    check_malformed("*-5\r\n", "array negative length");
    check_malformed("*1x\r\n", "array length is not a decimal");
    check_malformed("$600000000\r\n", "length over 512 MiB");
    check_malformed("*99999999999999999999\r\n", "length over 512 MiB");
    check_malformed(":12a\r\n", "integer");
    check_malformed(":99999999999999999999\r\n", "integer");
    check_malformed(":\r\n", "integer");
    check_malformed("+OK\n", "LF without CR");
    check_malformed("+O\rK\r\n", "CR not followed by LF");
    check_malformed("+" + std::string(load::redis_workload::max_line_length + 1, 'a'), "longer than 64 KiB");
    check_malformed("*2\r\n:1\r\n!oops\r\n", "RESP3");
}

BOOST_AUTO_TEST_CASE(resp3_reply_types_are_named_unsupported) {
    for (const char type : std::string_view("_#,(!=%|~>")) {
        const std::string reply = std::string(1, type) + "1\r\n";
        check_malformed(reply, std::string("RESP3 reply type '") + type + "' not supported");
    }
}

BOOST_AUTO_TEST_CASE(integer_bounds_are_those_of_a_signed_64_bit_number) {
    BOOST_TEST(scan(":9223372036854775807\r\n").result == outcome::complete);
    BOOST_TEST(scan(":-9223372036854775808\r\n").result == outcome::complete);
    BOOST_TEST(scan(":9223372036854775808\r\n").result == outcome::malformed);
}

BOOST_AUTO_TEST_SUITE_END()
