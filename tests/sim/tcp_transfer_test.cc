// TCP between two Sluice stacks over the seeded sim wire: the handshake through a
// listener, and bulk transfers in which every byte arrives exactly once and in order —
// on a clean wire, and under loss, reordering, duplication and delay (the fault grid).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tests/sim/tcp_support.hh"

using namespace sluice;
using namespace sluice::testing;
using namespace std::chrono_literals;

namespace {

struct grid_point {
    const char* name;
    double loss;
    double reorder;
    double duplicate;
    sim::nanoseconds delay;
    sim::nanoseconds jitter;
};

sim::link_profile profile_of(const grid_point& point) {
    sim::link_profile profile;
    profile.loss = point.loss;
    profile.reorder = point.reorder;
    profile.duplicate = point.duplicate;
    profile.delay = point.delay;
    profile.jitter = point.jitter;
    profile.rate_bps = 10'000'000'000ull;  // 10 Gbit/s: frames take time on the link
    return profile;
}

// The goodput table checked in beside this file: virtual-time goodput of each grid point
// and seed (the wire is seeded, so a figure moves only when the code does). A point more
// than `tolerance` below its row is a regression in recovery; well above it, the table is
// stale: SLUICE_UPDATE_TCP_GOODPUT=1 rewrites it from this run.
constexpr double tolerance = 0.15;

std::string goodput_table_path() {
    const char* root = std::getenv("SLUICE_SOURCE_ROOT");
    return std::string(root ? root : ".") + "/tests/sim/tcp_goodput.tsv";
}

std::map<std::string, double> read_goodput_table() {
    std::map<std::string, double> rows;
    std::ifstream in(goodput_table_path());
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto tab = line.rfind('\t');
        if (tab == std::string::npos) continue;
        rows[line.substr(0, tab)] = std::stod(line.substr(tab + 1));
    }
    return rows;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp_sim)

BOOST_AUTO_TEST_CASE(connects_through_a_listener_and_both_ends_establish) {
    two_hosts hosts;
    tcp_pair pair(hosts);
    BOOST_REQUIRE(pair.open());
    BOOST_CHECK(pair.server->conn.state() == net::tcp::tcp_state::established);
    BOOST_CHECK_EQUAL(pair.listening->counters().accepted, 1u);
    BOOST_CHECK(pair.client->conn.sack_enabled());
    BOOST_CHECK(pair.client->conn.timestamps_enabled());
    // MSS from the sim wire's 1500-byte MTU: 1460, less 12 bytes of timestamps.
    BOOST_CHECK_EQUAL(pair.client->conn.send_mss(), 1448);
}

BOOST_AUTO_TEST_CASE(connect_to_a_port_nobody_listens_on_is_refused) {
    two_hosts hosts;
    const net::tcp::four_tuple tuple{address("198.18.0.1"), 40001, address("198.18.0.2"), 81};
    auto* client = hosts.a->tcp_layer().table().connect(tuple, hosts.a->tcp_layer().options_for_interface(), hosts.now());
    BOOST_REQUIRE(client != nullptr);
    hosts.run_for(50ms);
    BOOST_CHECK(client->conn.state() == net::tcp::tcp_state::closed);
    BOOST_CHECK(client->conn.error() == net::tcp::connection_error::refused);
    BOOST_CHECK_EQUAL(hosts.b->tcp_layer().table().counters().resets_for_no_connection, 1u);
    hosts.a->tcp_layer().table().release(*client, hosts.now());
    BOOST_CHECK_EQUAL(hosts.a->tcp_layer().table().size(), 0u);
}

BOOST_AUTO_TEST_CASE(transfers_sixty_four_mebibytes_in_order_on_a_clean_wire) {
    two_hosts hosts(profile_of({"clean", 0, 0, 0, 10us, 0us}));
    tcp_pair pair(hosts);
    BOOST_REQUIRE(pair.open());
    const std::uint64_t total = 64u << 20;
    const auto result = pair.transfer(total, 60s);
    BOOST_CHECK_EQUAL(result.received, total);
    BOOST_CHECK_EQUAL(result.mismatches, 0u);
    BOOST_CHECK_EQUAL(pair.client->conn.counters().retransmitted_segments, 0u);
}

BOOST_AUTO_TEST_CASE(every_byte_arrives_once_and_in_order_across_the_fault_grid) {
    const grid_point grid[] = {
        {"loss 1%", 0.01, 0, 0, 20us, 0us},
        {"loss 5%", 0.05, 0, 0, 20us, 0us},
        {"loss 10%", 0.10, 0, 0, 20us, 0us},
        {"reorder 5%", 0, 0.05, 0, 20us, 0us},
        {"duplicate 5%", 0, 0, 0.05, 20us, 0us},
        {"delay 1 ms, jitter 200 us", 0, 0, 0, 1ms, 200us},
        {"everything", 0.03, 0.03, 0.03, 100us, 50us},
    };
    const std::map<std::string, double> expected = read_goodput_table();
    const bool update = std::getenv("SLUICE_UPDATE_TCP_GOODPUT") != nullptr;
    std::ostringstream table;
    table << "# Virtual-time goodput (Mbit/s) of a 4 MiB transfer per fault grid point and seed, from\n"
             "# tests/sim/tcp_transfer_test.cc; regenerate with SLUICE_UPDATE_TCP_GOODPUT=1 (10 Gbit/s link).\n";
    for (const grid_point& point : grid) {
        for (std::uint64_t seed : {1u, 2u}) {
            BOOST_TEST_CONTEXT(point.name << ", seed " << seed) {
                two_hosts hosts(profile_of(point), seed);
                tcp_pair pair(hosts);
                BOOST_REQUIRE(pair.open());
                const std::uint64_t total = 4u << 20;
                const auto result = pair.transfer(total, 600s);
                BOOST_CHECK_EQUAL(result.received, total);
                BOOST_CHECK_EQUAL(result.mismatches, 0u);
                const auto& sent = pair.client->conn.counters();
                const double seconds = std::chrono::duration<double>(result.took).count();
                const double goodput = double(total) * 8 / seconds / 1e6;
                const std::string key = std::string(point.name) + "\tseed " + std::to_string(seed);
                table << key << "\t" << std::fixed << std::setprecision(1) << goodput << "\n";
                BOOST_TEST_MESSAGE(point.name << " seed " << seed << ": " << goodput << " Mbit/s, "
                                              << sent.retransmitted_segments << " retransmitted, "
                                              << sent.retransmit_timeouts << " timeouts");
                const auto row = expected.find(key);
                if (!update) {
                    BOOST_REQUIRE_MESSAGE(row != expected.end(), "no row for '" << key << "' in " << goodput_table_path()
                                                                                << "; regenerate it (SLUICE_UPDATE_TCP_GOODPUT=1)");
                    BOOST_CHECK_MESSAGE(goodput >= row->second * (1 - tolerance),
                                        "goodput " << goodput << " Mbit/s, more than " << tolerance * 100
                                                   << " % below the table's " << row->second);
                    if (goodput > row->second * (1 + tolerance)) {
                        BOOST_TEST_MESSAGE("goodput " << goodput << " is well above the table's " << row->second
                                                      << ": regenerate the table");
                    }
                }
            }
        }
    }
    if (update) std::ofstream(goodput_table_path()) << table.str();
}

// Messages of six segments, one after another, over a wire that drops 2 %: a lost tail
// has nothing after it to bring duplicate ACKs. The tail loss probe (RFC 8985 7) makes
// the peer's SACK show it after 2 ms, where without it each such tail waits for the RTO.
BOOST_AUTO_TEST_CASE(tail_loss_probes_repair_lost_message_tails_before_the_rto) {
    struct run {
        sim::nanoseconds took{0};
        net::tcp::connection_counters sent;
    };
    const auto exchange = [](bool probe) {
        two_hosts hosts(profile_of({"loss 2%", 0.02, 0, 0, 20us, 0us}), 7);
        tcp_pair pair(hosts);
        net::tcp::connection_options options;
        options.tail_loss_probe = probe;
        BOOST_REQUIRE(pair.open(options));
        run result;
        for (int i = 0; i < 400; ++i) {
            const auto got = pair.transfer(6 * 1448, 10s);
            BOOST_REQUIRE_EQUAL(got.received, 6u * 1448);
            BOOST_REQUIRE_EQUAL(got.mismatches, 0u);
            result.took += got.took;
        }
        result.sent = pair.client->conn.counters();
        return result;
    };
    const run with = exchange(true);
    const run without = exchange(false);
    using milliseconds = std::chrono::duration<double, std::milli>;
    BOOST_TEST_MESSAGE("with probes: " << milliseconds(with.took).count() << " ms, "
                                       << with.sent.loss_probes << " probes, " << with.sent.loss_probe_recoveries
                                       << " recoveries, " << with.sent.retransmit_timeouts << " timeouts; without: "
                                       << milliseconds(without.took).count() << " ms, "
                                       << without.sent.retransmit_timeouts << " timeouts");
    BOOST_CHECK_EQUAL(without.sent.loss_probes, 0u);
    BOOST_CHECK_GT(with.sent.loss_probe_recoveries, 0u);
    BOOST_CHECK_LT(with.sent.retransmit_timeouts, without.sent.retransmit_timeouts);
    BOOST_CHECK(with.took < without.took);  // virtual time: the wire is seeded
}

// The table sums its connections' counters, and keeps a connection's when it is freed:
// what sluice-echo's exit report shows of loss recovery is the shard's whole history.
BOOST_AUTO_TEST_CASE(the_tables_totals_keep_the_counters_of_freed_connections) {
    two_hosts hosts(profile_of({"loss 2%", 0.02, 0, 0, 20us, 0us}), 3);
    tcp_pair pair(hosts);
    net::tcp::connection_options options;
    options.time_wait = 100ms;
    BOOST_REQUIRE(pair.open(options));
    const auto result = pair.transfer(1u << 20, 60s);
    BOOST_REQUIRE_EQUAL(result.received, 1u << 20);
    const net::tcp::connection_counters before = pair.client->conn.counters();
    BOOST_REQUIRE_GT(before.retransmitted_segments, 0u);
    BOOST_CHECK_EQUAL(pair.table_a().connection_totals().retransmitted_segments, before.retransmitted_segments);
    pair.table_a().release(*pair.client, hosts.now());
    pair.table_b().release(*pair.server, hosts.now());
    hosts.run_for(2s);
    BOOST_REQUIRE_EQUAL(pair.table_a().size(), 0u);
    const net::tcp::connection_counters after = pair.table_a().connection_totals();
    BOOST_CHECK_GE(after.retransmitted_segments, before.retransmitted_segments);
    BOOST_CHECK_GT(after.segments_sent, before.segments_sent);  // the FIN went too
    BOOST_CHECK_EQUAL(after.bytes_sent, before.bytes_sent);
}

// A SYN flood of 100,000 SYN/s from spoofed sources while a transfer runs: the listener's
// SYN queue fills, SYN cookies answer the rest and keep no state, the transfer loses
// nothing, and a new connection from a real client still completes (through a cookie).
BOOST_AUTO_TEST_CASE(a_syn_flood_leaves_the_transfer_whole_and_new_connections_complete) {
    two_hosts hosts(profile_of({"clean", 0, 0, 0, 10us, 0us}));
    tcp_pair pair(hosts);
    BOOST_REQUIRE(pair.open());
    syn_flooder flood{hosts};
    sim::nanoseconds flooded_until = hosts.wire->now();
    // 100,000 SYN/s: one SYN per 10 us of virtual time, sent in the turn that reaches it.
    const auto keep_flooding = [&] {
        const auto due = (hosts.wire->now() - flooded_until) / 10us;
        if (due > 0) {
            flood.send(unsigned(std::min<std::int64_t>(due, 256)));
            flooded_until += due * 10us;
        }
    };
    const std::uint64_t total = 8u << 20;
    const auto result = pair.transfer(total, 60s, keep_flooding);
    BOOST_CHECK_EQUAL(result.received, total);
    BOOST_CHECK_EQUAL(result.mismatches, 0u);
    auto& table_b = pair.table_b();
    const double virtual_ms = std::chrono::duration<double, std::milli>(result.took).count();  // sim time
    BOOST_TEST_MESSAGE("flood: " << flood.sent << " SYNs in " << virtual_ms << " ms of virtual time; cookies sent "
                                 << table_b.counters().syn_cookies_sent << ", table " << table_b.size());
    BOOST_CHECK_GT(flood.sent, 100u);
    BOOST_CHECK_GT(table_b.counters().syn_cookies_sent, 0u);
    BOOST_CHECK_LE(table_b.size(), pair.listening->backlog() + 1);  // the SYN queue and the one connection
    // A real client now: its SYN meets a full SYN queue too, and its cookie brings it in.
    const net::tcp::four_tuple tuple{address("198.18.0.1"), 40100, address("198.18.0.2"), 80};
    auto* late = pair.table_a().connect(tuple, hosts.a->tcp_layer().options_for_interface(), hosts.now());
    BOOST_REQUIRE(late != nullptr);
    for (int i = 0; i < 1000 && late->conn.state() != net::tcp::tcp_state::established; ++i) {
        keep_flooding();
        hosts.step();
    }
    BOOST_CHECK(late->conn.state() == net::tcp::tcp_state::established);
    hosts.run_for(1ms);  // its third segment reaches B
    BOOST_CHECK_EQUAL(table_b.counters().syn_cookies_accepted, 1u);
    auto* late_server = table_b.accept(*pair.listening);
    BOOST_REQUIRE(late_server != nullptr);
    BOOST_CHECK(late_server->conn.state() == net::tcp::tcp_state::established);
}

BOOST_AUTO_TEST_CASE(graceful_close_from_both_ends_leaves_nothing_behind) {
    two_hosts hosts;
    tcp_pair pair(hosts);
    BOOST_REQUIRE(pair.open());
    auto& table_a = pair.table_a();
    auto& table_b = pair.table_b();
    table_a.release(*pair.client, hosts.now());  // FIN from A
    hosts.run_for(10ms);
    BOOST_CHECK(pair.server->conn.state() == net::tcp::tcp_state::close_wait);
    BOOST_CHECK(pair.server->conn.peer_finished());
    table_b.release(*pair.server, hosts.now());  // FIN from B
    hosts.run_for(10ms);
    // A waits in TIME-WAIT; B is gone.
    BOOST_CHECK_EQUAL(table_b.size(), 0u);
    BOOST_REQUIRE_EQUAL(table_a.size(), 1u);
    BOOST_CHECK_EQUAL(table_a.time_wait_count(), 1u);
    hosts.run_for(61s);
    BOOST_CHECK_EQUAL(table_a.size(), 0u);
}

BOOST_AUTO_TEST_SUITE_END()
