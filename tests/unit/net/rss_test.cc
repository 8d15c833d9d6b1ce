// RSS: the Toeplitz hash gives Microsoft's published values; the table-driven hasher equals
// the bit-by-bit reference and DPDK's rte_softrss; the 0x6d5a key (and not the default)
// hashes both directions of a flow alike; the redirection table reaches every queue;
// software RSS sends a flow to one shard; and an active open's local port brings its
// replies to the opening shard, or is reported missing.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <rte_thash.h>  // the test's oracle only: lib/net never includes DPDK

#include "sluice/net/rss.hh"

using sluice::net::active_open;
using sluice::net::choose_local_port_for_shard;
using sluice::net::microsoft_default_key;
using sluice::net::port_range;
using sluice::net::redirection_table;
using sluice::net::shard_for_hash;
using sluice::net::symmetric_toeplitz_key;
using sluice::net::toeplitz_hash;
using sluice::net::toeplitz_hasher;
using sluice::net::toeplitz_key;

namespace {

constexpr std::uint32_t ipv4(unsigned a, unsigned b, unsigned c, unsigned d) {
    return std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d;
}

struct flow {
    std::uint32_t src_addr;
    std::uint32_t dst_addr;
    std::uint16_t src_port;
    std::uint16_t dst_port;

    flow reversed() const { return {dst_addr, src_addr, dst_port, src_port}; }
};

// The tuple's bytes as the packet carries them (network byte order): Microsoft's Input[12].
std::array<std::byte, 12> wire_bytes(const flow& f) {
    std::array<std::byte, 12> out{};
    auto put = [&](std::size_t at, std::uint32_t value, unsigned bytes) {
        for (unsigned i = 0; i < bytes; ++i) out[at + i] = std::byte(value >> (8 * (bytes - 1 - i)));
    };
    put(0, f.src_addr, 4);
    put(4, f.dst_addr, 4);
    put(8, f.src_port, 2);
    put(10, f.dst_port, 2);
    return out;
}

// DPDK's software Toeplitz, fed the way its documentation asks: host-order words, the key
// as the NIC takes it.
struct rte_oracle {
    explicit rte_oracle(const toeplitz_key& key) {
        std::transform(key.bytes().begin(), key.bytes().end(), key_bytes.begin(),
                       [](std::byte b) { return std::to_integer<std::uint8_t>(b); });
    }
    std::uint32_t l3(const flow& f) {
        rte_ipv4_tuple tuple{};
        tuple.src_addr = f.src_addr;
        tuple.dst_addr = f.dst_addr;
        return rte_softrss(reinterpret_cast<std::uint32_t*>(&tuple), RTE_THASH_V4_L3_LEN, key_bytes.data());
    }
    std::uint32_t l4(const flow& f) {
        rte_ipv4_tuple tuple{};
        tuple.src_addr = f.src_addr;
        tuple.dst_addr = f.dst_addr;
        tuple.sport = f.src_port;
        tuple.dport = f.dst_port;
        return rte_softrss(reinterpret_cast<std::uint32_t*>(&tuple), RTE_THASH_V4_L4_LEN, key_bytes.data());
    }
    alignas(4) std::array<std::uint8_t, toeplitz_key::max_size> key_bytes{};
};

struct random_flows {
    explicit random_flows(std::uint32_t seed) : engine(seed) {}
    flow next() {
        return {words(engine), words(engine), static_cast<std::uint16_t>(ports(engine)),
                static_cast<std::uint16_t>(ports(engine))};
    }
    std::mt19937 engine;
    std::uniform_int_distribution<std::uint32_t> words;
    std::uniform_int_distribution<std::uint32_t> ports{0, 65535};
};

// Microsoft, "Verifying the RSS Hash Calculation", IPv4 table (same rows in the Intel
// 82599 datasheet's RSS verification suite), with microsoft_default_key().
struct verification_vector {
    flow tuple;
    std::uint32_t ipv4_only;
    std::uint32_t ipv4_with_tcp;
};
const std::array<verification_vector, 5> microsoft_vectors{{
    {{ipv4(66, 9, 149, 187), ipv4(161, 142, 100, 80), 2794, 1766}, 0x323e8fc2, 0x51ccc178},
    {{ipv4(199, 92, 111, 2), ipv4(65, 69, 140, 83), 14230, 4739}, 0xd718262a, 0xc626b0ea},
    {{ipv4(24, 19, 198, 95), ipv4(12, 22, 207, 184), 12898, 38024}, 0xd2d0a5de, 0x5c2b394a},
    {{ipv4(38, 27, 205, 30), ipv4(209, 142, 163, 6), 48228, 2217}, 0x82989176, 0xafc7327f},
    {{ipv4(153, 39, 163, 191), ipv4(202, 188, 127, 2), 44251, 1303}, 0x5d1809c5, 0x10e828a2},
}};

redirection_table make_reta(unsigned queues, std::size_t size = redirection_table::default_size) {
    auto reta = redirection_table::create(queues, size);
    BOOST_REQUIRE_MESSAGE(reta.ok(), (reta.ok() ? std::string() : reta.message()));
    return std::move(reta).value();
}

std::uint32_t returning_hash(const toeplitz_hasher& hasher, const active_open& open, std::uint16_t local_port) {
    return hasher.hash_ipv4_l4(open.remote_addr, open.local_addr, open.remote_port, local_port);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rss)

BOOST_AUTO_TEST_CASE(matches_microsoft_verification_vectors) {
    const toeplitz_key key = microsoft_default_key();
    const toeplitz_hasher hasher(key);
    for (const auto& v : microsoft_vectors) {
        const auto bytes = wire_bytes(v.tuple);
        const auto l3_bytes = std::span<const std::byte>(bytes).first(8);
        BOOST_TEST(toeplitz_hash(key, bytes) == v.ipv4_with_tcp);
        BOOST_TEST(toeplitz_hash(key, l3_bytes) == v.ipv4_only);
        BOOST_TEST(hasher.hash(bytes) == v.ipv4_with_tcp);
        BOOST_TEST(hasher.hash(l3_bytes) == v.ipv4_only);
        BOOST_TEST(hasher.hash_ipv4_l4(v.tuple.src_addr, v.tuple.dst_addr, v.tuple.src_port, v.tuple.dst_port) ==
                   v.ipv4_with_tcp);
        BOOST_TEST(hasher.hash_ipv4(v.tuple.src_addr, v.tuple.dst_addr) == v.ipv4_only);
    }
}

BOOST_AUTO_TEST_CASE(fast_hash_equals_reference_and_rte_softrss_for_random_tuples) {
    for (const toeplitz_key& key : {symmetric_toeplitz_key(), microsoft_default_key()}) {
        const toeplitz_hasher hasher(key);
        rte_oracle dpdk(key);
        random_flows flows(20240611);
        int mismatches = 0;
        for (int i = 0; i < 100'000; ++i) {
            const flow f = flows.next();
            const auto bytes = wire_bytes(f);
            const std::uint32_t fast = hasher.hash_ipv4_l4(f.src_addr, f.dst_addr, f.src_port, f.dst_port);
            const std::uint32_t fast_l3 = hasher.hash_ipv4(f.src_addr, f.dst_addr);
            const std::uint32_t reference = toeplitz_hash(key, bytes);
            const std::uint32_t reference_l3 = toeplitz_hash(key, std::span<const std::byte>(bytes).first(8));
            // BOOST_REQUIRE on mismatch only: 10^5 passing assertions would flood the log.
            if (fast != reference || fast != dpdk.l4(f) || fast_l3 != reference_l3 || fast_l3 != dpdk.l3(f) ||
                hasher.hash(bytes) != reference) {
                ++mismatches;
                BOOST_TEST_REQUIRE(fast == reference);
                BOOST_TEST_REQUIRE(fast == dpdk.l4(f));
                BOOST_TEST_REQUIRE(fast_l3 == reference_l3);
                BOOST_TEST_REQUIRE(fast_l3 == dpdk.l3(f));
                BOOST_TEST_REQUIRE(hasher.hash(bytes) == reference);
            }
        }
        BOOST_TEST(mismatches == 0);
    }
}

BOOST_AUTO_TEST_CASE(raw_byte_hash_equals_reference_for_every_length_even_past_the_key) {
    for (const std::size_t key_size : {toeplitz_key::min_size, toeplitz_key::standard_size, toeplitz_key::max_size}) {
        std::mt19937 engine(7 + static_cast<std::uint32_t>(key_size));
        std::uniform_int_distribution<unsigned> octet(0, 255);
        std::vector<std::byte> key_bytes(key_size);
        for (auto& b : key_bytes) b = std::byte(octet(engine));
        const toeplitz_key key = toeplitz_key::from_bytes(key_bytes).value();
        const toeplitz_hasher hasher(key);
        for (std::size_t length = 0; length <= key_size + 8; ++length) {
            for (int trial = 0; trial < 50; ++trial) {
                std::vector<std::byte> input(length);
                for (auto& b : input) b = std::byte(octet(engine));
                BOOST_TEST_REQUIRE(hasher.hash(input) == toeplitz_hash(key, input), "length " << length);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(symmetric_key_gives_both_directions_the_same_hash) {
    const toeplitz_key key = symmetric_toeplitz_key();
    BOOST_TEST(key.size() == toeplitz_key::standard_size);
    for (std::size_t i = 0; i < key.size(); ++i)
        BOOST_TEST(std::to_integer<unsigned>(key.bytes()[i]) == (i % 2 == 0 ? 0x6du : 0x5au));

    const toeplitz_hasher hasher(key);
    random_flows flows(42);
    for (int i = 0; i < 100'000; ++i) {
        const flow f = flows.next();
        const flow r = f.reversed();
        const bool same_l4 = hasher.hash_ipv4_l4(f.src_addr, f.dst_addr, f.src_port, f.dst_port) ==
                             hasher.hash_ipv4_l4(r.src_addr, r.dst_addr, r.src_port, r.dst_port);
        const bool same_l3 = hasher.hash_ipv4(f.src_addr, f.dst_addr) == hasher.hash_ipv4(r.src_addr, r.dst_addr);
        const bool same_reference = toeplitz_hash(key, wire_bytes(f)) == toeplitz_hash(key, wire_bytes(r));
        if (!same_l4 || !same_l3 || !same_reference) {
            BOOST_TEST_REQUIRE(same_l4);
            BOOST_TEST_REQUIRE(same_l3);
            BOOST_TEST_REQUIRE(same_reference);
        }
    }
}

BOOST_AUTO_TEST_CASE(default_key_is_not_symmetric) {
    const toeplitz_hasher hasher(microsoft_default_key());
    for (const auto& v : microsoft_vectors) {
        const flow r = v.tuple.reversed();
        BOOST_TEST(hasher.hash_ipv4_l4(r.src_addr, r.dst_addr, r.src_port, r.dst_port) != v.ipv4_with_tcp);
        BOOST_TEST(hasher.hash_ipv4(r.src_addr, r.dst_addr) != v.ipv4_only);
    }
    // Not a few unlucky rows: almost every flow's directions part.
    random_flows flows(43);
    int same = 0;
    for (int i = 0; i < 10'000; ++i) {
        const flow f = flows.next();
        const flow r = f.reversed();
        same += hasher.hash_ipv4_l4(f.src_addr, f.dst_addr, f.src_port, f.dst_port) ==
                hasher.hash_ipv4_l4(r.src_addr, r.dst_addr, r.src_port, r.dst_port);
    }
    BOOST_TEST(same < 10);
}

BOOST_AUTO_TEST_CASE(keys_outside_16_to_52_bytes_are_refused) {
    const std::vector<std::byte> bytes(toeplitz_key::max_size + 1, std::byte{0x6d});
    const auto too_short = toeplitz_key::from_bytes(std::span(bytes).first(toeplitz_key::min_size - 1));
    const auto too_long = toeplitz_key::from_bytes(bytes);
    BOOST_TEST(!too_short.ok());
    BOOST_TEST(!too_long.ok());
    BOOST_TEST(too_long.message().find("16 to 52 bytes") != std::string::npos, too_long.message());
    BOOST_TEST(toeplitz_key::from_bytes(std::span(bytes).first(toeplitz_key::min_size)).ok());
    BOOST_TEST(toeplitz_key::from_bytes(std::span(bytes).first(toeplitz_key::max_size)).ok());
}

BOOST_AUTO_TEST_CASE(redirection_table_spreads_flows_over_every_queue) {
    for (const std::size_t size : {std::size_t{128}, std::size_t{512}}) {
        for (unsigned queues = 1; queues <= 8; ++queues) {
            const redirection_table reta = make_reta(queues, size);
            BOOST_TEST(reta.size() == size);
            BOOST_TEST(reta.queue_count() == queues);
            for (std::size_t i = 0; i < size; ++i) BOOST_TEST_REQUIRE(reta.entries()[i] == i % queues);

            for (const toeplitz_key& key : {symmetric_toeplitz_key(), microsoft_default_key()}) {
                const toeplitz_hasher hasher(key);
                random_flows flows(1000 + queues);
                std::vector<int> per_queue(queues, 0);
                constexpr int flow_count = 20'000;
                for (int i = 0; i < flow_count; ++i) {
                    const flow f = flows.next();
                    const auto queue =
                        reta.queue_for(hasher.hash_ipv4_l4(f.src_addr, f.dst_addr, f.src_port, f.dst_port));
                    BOOST_TEST_REQUIRE(queue < queues);
                    ++per_queue[queue];
                }
                // Every queue gets at least half its fair share (the RETA's i % n leaves at
                // most one extra entry per queue, and the hash is close to uniform).
                for (unsigned q = 0; q < queues; ++q)
                    BOOST_TEST(per_queue[q] > flow_count / static_cast<int>(queues) / 2,
                               "queue " << q << " of " << queues << " got " << per_queue[q]);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(redirection_table_refuses_sizes_that_cannot_work) {
    BOOST_TEST(!redirection_table::create(0).ok());
    BOOST_TEST(!redirection_table::create(4, 0).ok());
    BOOST_TEST(!redirection_table::create(4, 100).ok());  // not a power of two
    BOOST_TEST(!redirection_table::create(4, redirection_table::max_size * 2).ok());
    const auto too_few_entries = redirection_table::create(9, 8);
    BOOST_TEST(!too_few_entries.ok());
    BOOST_TEST(too_few_entries.message().find("at least 16 entries") != std::string::npos,
               too_few_entries.message());
    BOOST_TEST(redirection_table::create(8, 8).ok());
    BOOST_TEST(redirection_table::create(1, 1).ok());
}

BOOST_AUTO_TEST_CASE(software_rss_sends_each_flow_and_its_reply_to_one_shard) {
    const toeplitz_hasher hasher(symmetric_toeplitz_key());
    for (unsigned shards = 1; shards <= 8; ++shards) {
        const redirection_table reta = make_reta(shards, 512);
        random_flows flows(77);
        for (int i = 0; i < 10'000; ++i) {
            const flow f = flows.next();
            const flow r = f.reversed();
            const unsigned owner =
                shard_for_hash(reta, hasher.hash_ipv4_l4(f.src_addr, f.dst_addr, f.src_port, f.dst_port));
            BOOST_TEST_REQUIRE(owner < shards);
            // Every packet of the flow, either way, recomputes to the same owner.
            for (int again = 0; again < 3; ++again) {
                BOOST_TEST_REQUIRE(
                    shard_for_hash(reta, hasher.hash_ipv4_l4(f.src_addr, f.dst_addr, f.src_port, f.dst_port)) ==
                    owner);
                BOOST_TEST_REQUIRE(
                    shard_for_hash(reta, hasher.hash_ipv4_l4(r.src_addr, r.dst_addr, r.src_port, r.dst_port)) ==
                    owner);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(chosen_local_port_lands_on_the_wanted_shard) {
    const toeplitz_key key = symmetric_toeplitz_key();
    const toeplitz_hasher hasher(key);
    random_flows flows(99);
    for (unsigned shards = 1; shards <= 8; ++shards) {
        for (const std::size_t size : {std::size_t{128}, std::size_t{512}}) {
            const redirection_table reta = make_reta(shards, size);
            // Ranges of at least four times the table's size (see active_open in rss.hh).
            for (const port_range range : {port_range{}, port_range{10000, 12047}, port_range{1024, 65535}}) {
                for (int trial = 0; trial < 20; ++trial) {
                    const flow peer = flows.next();
                    const active_open open{
                        .local_addr = ipv4(198, 18, 0, 1),
                        .remote_addr = peer.dst_addr,
                        .remote_port = peer.dst_port,
                        .range = range,
                        .start_hint = peer.src_port,
                    };
                    for (unsigned shard = 0; shard < shards; ++shard) {
                        const auto port = choose_local_port_for_shard(hasher, reta, shard, open);
                        BOOST_TEST_REQUIRE(port.has_value(), "shard " << shard << " of " << shards);
                        BOOST_TEST_REQUIRE(*port >= range.first);
                        BOOST_TEST_REQUIRE(*port <= range.last);
                        // Replies (remote -> local) land on the shard: checked with the
                        // reference hash, not the hasher the function used.
                        const flow reply{open.remote_addr, open.local_addr, open.remote_port, *port};
                        BOOST_TEST_REQUIRE(shard_for_hash(reta, toeplitz_hash(key, wire_bytes(reply))) == shard);
                        // And, the key being symmetric, so do the packets going out.
                        BOOST_TEST_REQUIRE(shard_for_hash(reta, hasher.hash_ipv4_l4(open.local_addr, open.remote_addr,
                                                                                    *port, open.remote_port)) ==
                                           shard);
                        // Deterministic.
                        BOOST_TEST_REQUIRE((choose_local_port_for_shard(hasher, reta, shard, open) == port));
                    }
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(symmetric_key_reaches_every_table_entry_from_a_range_four_times_its_size) {
    const toeplitz_hasher hasher(symmetric_toeplitz_key());
    random_flows flows(5);
    for (const std::size_t size : {std::size_t{128}, std::size_t{512}}) {
        for (int trial = 0; trial < 500; ++trial) {
            const flow peer = flows.next();
            const auto first = static_cast<std::uint16_t>(peer.src_port % (65536 - 4 * size));
            std::vector<bool> reached(size, false);
            for (std::uint32_t port = first; port < first + 4 * size; ++port)
                reached[hasher.hash_ipv4_l4(peer.dst_addr, peer.src_addr, peer.dst_port,
                                            static_cast<std::uint16_t>(port)) &
                        (size - 1)] = true;
            BOOST_TEST(std::count(reached.begin(), reached.end(), true) == static_cast<long>(size),
                       "table of " << size << ", ports from " << first);
        }
    }
}

BOOST_AUTO_TEST_CASE(scan_starts_at_the_hint_wraps_in_range_and_skips_ports_in_use) {
    const toeplitz_hasher hasher(microsoft_default_key());  // replies only: any key works
    const redirection_table reta = make_reta(4);
    active_open open{.local_addr = ipv4(198, 18, 0, 1),
                     .remote_addr = ipv4(198, 19, 0, 1),
                     .remote_port = 80,
                     .range = {50000, 50999},
                     .start_hint = 50500};
    const unsigned shard = 2;
    const auto first = choose_local_port_for_shard(hasher, reta, shard, open);
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(*first >= open.start_hint);  // the hint's side of the range is scanned first
    for (std::uint32_t p = open.start_hint; p < *first; ++p)
        BOOST_TEST(shard_for_hash(reta, returning_hash(hasher, open, static_cast<std::uint16_t>(p))) != shard);

    // A port that qualifies is its own answer when given as the hint.
    open.start_hint = *first;
    BOOST_TEST((choose_local_port_for_shard(hasher, reta, shard, open) == first));

    // In use: the scan goes on to the next qualifying port.
    const auto next = choose_local_port_for_shard(hasher, reta, shard, open,
                                                  [&](std::uint16_t port) { return port != *first; });
    BOOST_TEST_REQUIRE(next.has_value());
    BOOST_TEST(*next != *first);
    BOOST_TEST(shard_for_hash(reta, returning_hash(hasher, open, *next)) == shard);

    // Past the last qualifying port, the scan wraps to the range's start.
    open.range = {50000, *first};
    open.start_hint = *first;
    const auto wrapped = choose_local_port_for_shard(hasher, reta, shard, open,
                                                     [&](std::uint16_t port) { return port != *first; });
    BOOST_TEST_REQUIRE(wrapped.has_value());
    BOOST_TEST(*wrapped < *first);
    for (std::uint32_t p = open.range.first; p < *wrapped; ++p)
        BOOST_TEST(shard_for_hash(reta, returning_hash(hasher, open, static_cast<std::uint16_t>(p))) != shard);

    // A hint outside the range starts the scan at the range's first port.
    open.range = {50000, 50999};
    open.start_hint = 80;
    const auto from_start = choose_local_port_for_shard(hasher, reta, shard, open);
    open.start_hint = 50000;
    BOOST_TEST((from_start == choose_local_port_for_shard(hasher, reta, shard, open)));
}

BOOST_AUTO_TEST_CASE(no_port_in_range_is_reported_as_nullopt) {
    const toeplitz_hasher hasher(symmetric_toeplitz_key());
    const redirection_table reta = make_reta(2);
    active_open open{.local_addr = ipv4(198, 18, 0, 1),
                     .remote_addr = ipv4(198, 19, 0, 1),
                     .remote_port = 443,
                     .range = {40000, 40000},
                     .start_hint = 40000};
    // A one-port range: the shard it lands on gets it, the other shard gets nothing.
    const unsigned owner = shard_for_hash(reta, returning_hash(hasher, open, 40000));
    BOOST_TEST((choose_local_port_for_shard(hasher, reta, owner, open) == std::optional<std::uint16_t>(40000)));
    BOOST_TEST(!choose_local_port_for_shard(hasher, reta, 1 - owner, open).has_value());

    // A shard the table never names.
    open.range = {};
    BOOST_TEST(!choose_local_port_for_shard(hasher, reta, 2, open).has_value());

    // An empty range.
    open.range = {50001, 50000};
    BOOST_TEST(!choose_local_port_for_shard(hasher, reta, owner, open).has_value());

    // Every qualifying port already in use.
    open.range = {};
    BOOST_TEST(!choose_local_port_for_shard(hasher, reta, owner, open, [](std::uint16_t) { return false; }).has_value());

    // The whole port space, every port but one in use: that one is found from any hint.
    open.range = {0, 65535};
    const auto only = choose_local_port_for_shard(hasher, reta, owner, open);
    BOOST_TEST_REQUIRE(only.has_value());
    open.start_hint = static_cast<std::uint16_t>(*only + 1);
    BOOST_TEST((choose_local_port_for_shard(hasher, reta, owner, open,
                                            [&](std::uint16_t port) { return port == *only; }) == only));
}

BOOST_AUTO_TEST_SUITE_END()
