// The echo and sockperf workloads on bytes: request layouts, stream framing, datagram
// matching, and what is refused as no answer.
#include <boost/test/unit_test.hpp>

#include <array>
#include <vector>

#include "apps/load/echo_workloads.hh"
#include "apps/load/workloads.hh"

using namespace sluice;
using load::response_scan;

namespace {
using outcome = response_scan::outcome;

std::vector<std::byte> request_of(load::workload& work, std::uint64_t sequence) {
    std::vector<std::byte> bytes(work.max_request_size());
    bytes.resize(work.build_request(sequence, bytes));
    return bytes;
}
unsigned byte_at(const std::vector<std::byte>& bytes, std::size_t i) { return std::to_integer<unsigned>(bytes[i]); }
}  // namespace

BOOST_AUTO_TEST_SUITE(echo_workloads)

BOOST_AUTO_TEST_CASE(a_sockperf_request_asks_for_a_pong_with_its_sequence_and_length) {
    load::sockperf_workload work(load::transport::udp, 64);
    const auto bytes = request_of(work, 0x0102030405060708ull);
    BOOST_REQUIRE(bytes.size() == 64u);
    for (unsigned i = 0; i < 8; ++i) BOOST_TEST(byte_at(bytes, i) == i + 1);
    BOOST_TEST(byte_at(bytes, 8) == 0u);
    BOOST_TEST(byte_at(bytes, 9) == 3u);  // client | pong request
    BOOST_TEST(byte_at(bytes, 13) == 64u);
}

BOOST_AUTO_TEST_CASE(a_sockperf_pong_matches_its_request_and_a_request_does_not) {
    load::sockperf_workload work(load::transport::udp, 64);
    auto pong = request_of(work, 77);
    BOOST_TEST(!work.answered_sequence(pong).has_value());  // still a request: client flag set
    pong[9] = std::byte{2};
    BOOST_TEST(work.answered_sequence(pong).value() == 77u);
    pong.pop_back();  // the length field no longer matches
    BOOST_TEST(!work.answered_sequence(pong).has_value());
}

BOOST_AUTO_TEST_CASE(sockperf_over_tcp_frames_pongs_by_their_length_field) {
    load::sockperf_workload work(load::transport::tcp, 32);
    auto one = request_of(work, 1), two = request_of(work, 2);
    one[9] = two[9] = std::byte{2};
    std::vector<std::byte> stream(one);
    stream.insert(stream.end(), two.begin(), two.end());
    for (std::size_t cut = 0; cut < 32; ++cut) {
        BOOST_TEST((work.scan_response(std::span(stream).first(cut)).result == outcome::incomplete));
    }
    const auto first = work.scan_response(stream);
    BOOST_TEST((first.result == outcome::complete));
    BOOST_TEST(first.length == 32u);
}

BOOST_AUTO_TEST_CASE(sockperf_over_tcp_refuses_a_lying_length_and_a_request_coming_back) {
    load::sockperf_workload work(load::transport::tcp, 32);
    auto pong = request_of(work, 1);
    const auto as_request = work.scan_response(pong);
    BOOST_TEST((as_request.result == outcome::malformed));
    BOOST_TEST(as_request.problem.find("client flag") != std::string::npos);
    pong[9] = std::byte{2};
    pong[13] = std::byte{3};  // shorter than sockperf's own header
    BOOST_TEST((work.scan_response(pong).result == outcome::malformed));
}

BOOST_AUTO_TEST_CASE(a_plain_echo_is_matched_by_the_sequence_it_carries) {
    load::echo_workload work(load::transport::udp, 16);
    const auto bytes = request_of(work, 123456);
    BOOST_TEST(bytes.size() == 16u);
    BOOST_TEST(work.answered_sequence(bytes).value() == 123456u);
    BOOST_TEST(!work.answered_sequence(std::span(bytes).first(15)).has_value());
}

BOOST_AUTO_TEST_CASE(a_tcp_echo_is_complete_after_message_size_bytes) {
    load::echo_workload work(load::transport::tcp, 64);
    std::vector<std::byte> stream(100);
    BOOST_TEST((work.scan_response(std::span(stream).first(63)).result == outcome::incomplete));
    const auto scan = work.scan_response(stream);
    BOOST_TEST((scan.result == outcome::complete));
    BOOST_TEST(scan.length == 64u);
}

BOOST_AUTO_TEST_CASE(an_unknown_workload_name_lists_the_known_ones) {
    load::workload_settings settings;
    settings.name = "memcached";
    const auto made = load::make_workload(settings);
    BOOST_REQUIRE(!made);
    BOOST_TEST(made.failure().message.find("memcached") != std::string::npos);
    BOOST_TEST(made.failure().message.find("sockperf-udp") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_listed_workload_name_makes_its_workload) {
    for (const char* name : {"sockperf-udp", "sockperf-tcp", "echo-udp", "echo-tcp", "http", "redis"}) {
        load::workload_settings settings;
        settings.name = name;
        const auto made = load::make_workload(settings);
        BOOST_REQUIRE(made);
        BOOST_TEST((*made)->name() == name);
    }
}

BOOST_AUTO_TEST_SUITE_END()
