// sluice::net::igmp: the host side of IGMP (RFC 3376 version 3, falling back to RFC 2236
// version 2 and RFC 1112 version 1 when an older querier is heard) as the l4_protocol of
// number 2 — joins and leaves of the interface's groups (multicast_groups, counted per
// user) announced with unsolicited reports, answers to general and group-specific
// queries after a random delay within the query's max response time, and the querier
// version kept. Every message leaves with TTL 1 and the Router Alert option (RFC 3376 4).
// Sans-I/O: times come in as `now`; poll(now) sends what is due and next_deadline() says
// when that is. One shard's stack owns it.
//
// Read before editing: RFC 3376 sections 4, 5, 7 and 8; RFC 2236 sections 2, 3 and 8.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>

#include "sluice/core/clock.hh"
#include "sluice/net/ipv4_output.hh"
#include "sluice/net/l4_protocol.hh"
#include "sluice/net/multicast_groups.hh"
#include "sluice/net/packet.hh"
#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/igmp.hh"
#include "sluice/net/wire/ipv4_address.hh"

namespace sluice::net {

// The host's variables, with the RFCs' defaults.
struct igmp_settings {
    std::uint8_t robustness = 2;                                             // RFC 3376 8.1
    clock::duration query_interval = std::chrono::seconds(125);              // RFC 3376 8.2
    clock::duration query_response_interval = std::chrono::seconds(10);      // RFC 3376 8.3
    clock::duration unsolicited_report_interval = std::chrono::seconds(1);   // RFC 3376 8.11
    clock::duration v2_unsolicited_report_interval = std::chrono::seconds(10);  // RFC 2236 8.10
    unsigned version = 3;  // the newest version spoken: 3, or 2 for an IGMPv2-only host
};

struct igmp_counters {
    std::uint64_t queries_received = 0;
    std::uint64_t reports_sent = 0;          // every version, solicited or not
    std::uint64_t leaves_sent = 0;           // version 2 leaves and version 3 change-to-include
    std::uint64_t reports_suppressed = 0;    // version 1/2: another member answered first
    std::uint64_t older_querier_heard = 0;   // version 1 or 2 queries while in a newer mode
    std::uint64_t send_failed = 0;
    std::uint64_t no_mbufs = 0;
};

class igmp final : public l4_protocol {
public:
    // `granularity`: how late poll() may run after next_deadline() (the housekeeping
    // period); answers are scheduled that much early so they stay within max response
    // time. `seed` spreads the random delays of hosts on one link.
    igmp(ipv4_output& ip, multicast_groups& groups, igmp_settings settings, clock::duration granularity,
         std::uint64_t seed, wire::drop_counters& dropped);

    // One more user of `group`; on the first, the interface joins and reports it at once,
    // then robustness - 1 more times (RFC 3376 5.1; RFC 2236 3). True on the first.
    bool join(wire::ipv4_address group, clock::time_point now);
    // One user fewer; on the last, the interface leaves: a version 3 change-to-include
    // report (robustness times, RFC 3376 5.1) or a version 2 leave to 224.0.0.2 (RFC 2236
    // 3); a version 1 host says nothing. True on the last.
    bool leave(wire::ipv4_address group, clock::time_point now);

    void receive(const wire::ipv4_header& header, packet&& message, clock::time_point now) override;
    void receive_icmp_error(const icmp_error&, clock::time_point) override {}  // nothing to act on

    // Sends the reports that are due.
    void poll(clock::time_point now);
    // When poll() next has something to send; nothing when no timer runs.
    std::optional<clock::time_point> next_deadline() const noexcept;

    // The Host Compatibility Mode (RFC 3376 7.2.1): 1, 2 or 3.
    unsigned version(clock::time_point now) const noexcept;
    const igmp_settings& settings() const noexcept { return settings_; }
    const igmp_counters& counters() const noexcept { return counters_; }

private:
    // One group's timers: joined (state-change reports to repeat, a query to answer) or
    // left with change-to-include reports still to repeat.
    struct group_timers {
        bool joined = true;
        std::optional<clock::time_point> answer_at;  // response to a query
        unsigned changes_left = 0;                   // state-change reports still to send
        clock::time_point change_at{};
    };

    void on_query(const wire::igmp_query& query, clock::time_point now);
    void hear_older_querier(unsigned querier_version, clock::time_point now);
    void cancel_timers() noexcept;
    void send_state_change(wire::ipv4_address group, bool joined, clock::time_point now);
    void send_current_state(wire::ipv4_address group, clock::time_point now);
    void send_current_state_of_all(clock::time_point now);
    void send_v3_report(std::span<const wire::igmp_group_record> records, bool leave, clock::time_point now);
    void send_v2_message(std::uint8_t type, wire::ipv4_address group, wire::ipv4_address destination, bool leave,
                         clock::time_point now);
    void send(std::span<const std::byte> message, wire::ipv4_address destination, bool leave, clock::time_point now);
    clock::duration random_up_to(clock::duration bound) noexcept;
    clock::duration answer_bound(clock::duration max_response) const noexcept;
    clock::duration unsolicited_interval(clock::time_point now) const noexcept;

    ipv4_output& ip_;
    multicast_groups& groups_;
    igmp_settings settings_;
    clock::duration granularity_;
    wire::drop_counters& dropped_;
    std::uint64_t random_;
    std::unordered_map<wire::ipv4_address, group_timers> timers_;
    std::optional<clock::time_point> general_answer_at_;  // version 3: one answer for all groups
    // An older querier was heard until these times (RFC 3376 7.2.1).
    std::optional<clock::time_point> v1_querier_until_;
    std::optional<clock::time_point> v2_querier_until_;
    igmp_counters counters_;
};

}  // namespace sluice::net
