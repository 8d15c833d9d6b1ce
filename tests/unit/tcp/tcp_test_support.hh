// Helpers for the TCP core's buffer tests: a small mbuf pool made current for one test (and
// checked full again at its end), payloads whose bytes name their sequence numbers, and the
// bytes of a view. Tests run on the one thread that started EAL (tests/support/eal_fixture.hh).
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sluice/net/buffer.hh"
#include "sluice/net/buffer_error.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/packet_pool.hh"
#include "sluice/net/tcp/seq.hh"
#include "sluice/net/wire/tcp.hh"

// Failure messages print bytes as numbers and errors by their description (as packet_test.cc
// does), sequence numbers as numbers and SACK blocks as [left, right). One definition per
// type in a test executable: TCP tests take these rather than defining their own.
namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<std::byte> {
    void operator()(std::ostream& out, std::byte value) { out << unsigned(value); }
};
template <>
struct print_log_value<sluice::net::buffer_error> {
    void operator()(std::ostream& out, sluice::net::buffer_error value) { out << sluice::net::describe(value); }
};
template <>
struct print_log_value<sluice::net::tcp::seq> {
    void operator()(std::ostream& out, sluice::net::tcp::seq value) { out << value.value; }
};
template <>
struct print_log_value<sluice::net::wire::tcp_sack_block> {
    void operator()(std::ostream& out, const sluice::net::wire::tcp_sack_block& block) {
        out << '[' << block.left << ", " << block.right << ')';
    }
};
}  // namespace boost::test_tools::tt_detail

namespace sluice::net::tcp::testing {

using bytes = std::vector<std::byte>;

// The byte that sequence number s carries in every test payload: s mod 251 (a prime, so a
// byte off by any small distance shows, across the 2^32 wrap too).
inline std::byte byte_at(seq s) { return std::byte(s.value % 251); }

// The bytes of sequence numbers [start, start + n).
inline bytes pattern(seq start, std::size_t n) {
    bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = byte_at(start + std::uint32_t(i));
    return out;
}

inline bytes contents(const buffer& view) {
    bytes out(view.size());
    BOOST_REQUIRE_EQUAL(view.copy_out(0, out), out.size());
    return out;
}

// A pool for one test, current while it lives; every mbuf must be back at the end, so
// declare it before the buffers of the test.
struct test_pool : packet_pool {
    explicit test_pool(unsigned count = 255) : packet_pool(make(count)), current_(*this) {}
    ~test_pool() { BOOST_CHECK_EQUAL(available(), capacity()); }

    static packet_pool make(unsigned count) {
        static unsigned serial = 0;
        auto made = packet_pool::create({.name = "tcp_buffer_test_" + std::to_string(serial++),
                                         .count = count,
                                         .cache_size = 0,
                                         .data_room = packet_pool_config::default_data_room});
        BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? std::string() : made.message()));
        return std::move(made).value();
    }

private:
    scoped_current current_;
};

// The received segment that carries [start, start + n): fresh mbufs holding the pattern.
inline packet segment_packet(seq start, std::size_t n) {
    auto made = packet::copy_of(pattern(start, n));
    BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : describe(made.error())));
    return std::move(made).value();
}
inline buffer payload(seq start, std::size_t n) { return segment_packet(start, n).into_buffer(); }

// Takes every free mbuf of a pool, and gives them back when destroyed.
struct drained {
    std::vector<packet> held;
    explicit drained(packet_pool& pool) {
        while (auto p = packet::allocate(pool)) held.push_back(std::move(*p));
        BOOST_REQUIRE_EQUAL(pool.available(), 0u);
    }
};

}  // namespace sluice::net::tcp::testing
