// igmp: the host's group membership protocol (RFC 3376, RFC 2236, RFC 1112).
#include "sluice/net/igmp.hh"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace sluice::net {
namespace {

bool before(const std::optional<clock::time_point>& a, clock::time_point b) noexcept { return a && *a <= b; }

}  // namespace

igmp::igmp(ipv4_output& ip, multicast_groups& groups, igmp_settings settings, clock::duration granularity,
           std::uint64_t seed, wire::drop_counters& dropped)
    : ip_(ip),
      groups_(groups),
      settings_(settings),
      granularity_(granularity),
      dropped_(dropped),
      random_(seed | 1) {}

unsigned igmp::version(clock::time_point now) const noexcept {
    if (v1_querier_until_ && now < *v1_querier_until_) return 1;
    if (v2_querier_until_ && now < *v2_querier_until_) return std::min(2u, settings_.version);
    return settings_.version;
}

clock::duration igmp::unsolicited_interval(clock::time_point now) const noexcept {
    return version(now) == 3 ? settings_.unsolicited_report_interval : settings_.v2_unsolicited_report_interval;
}

// xorshift64: the delays need spread between hosts, not strength.
clock::duration igmp::random_up_to(clock::duration bound) noexcept {
    if (bound <= clock::duration::zero()) return clock::duration::zero();
    random_ ^= random_ << 13;
    random_ ^= random_ >> 7;
    random_ ^= random_ << 17;
    return clock::duration(static_cast<clock::rep>(random_ % static_cast<std::uint64_t>(bound.count() + 1)));
}

// RFC 3376 5.2 and RFC 2236 3: a delay chosen in [0, max response time]. poll() may run up
// to one granularity after the deadline, so the delay is chosen that much shorter.
clock::duration igmp::answer_bound(clock::duration max_response) const noexcept {
    return std::max(clock::duration::zero(), max_response - granularity_);
}

bool igmp::join(wire::ipv4_address group, clock::time_point now) {
    if (!groups_.add(group)) return false;
    // RFC 2236 6 and RFC 3376 5: 224.0.0.1 is never reported.
    if (group == wire::igmp_all_hosts) return true;
    group_timers& timers = timers_[group];
    timers = group_timers{};
    send_state_change(group, true, now);
    // RFC 3376 5.1 (and RFC 2236 3: "repeat once or twice"): robustness - 1 more, each
    // after a random delay within the unsolicited report interval.
    timers.changes_left = settings_.robustness > 1 ? settings_.robustness - 1u : 0u;
    timers.change_at = now + random_up_to(unsolicited_interval(now));
    return true;
}

bool igmp::leave(wire::ipv4_address group, clock::time_point now) {
    if (!groups_.remove(group)) return false;
    if (group == wire::igmp_all_hosts) return true;
    const unsigned mode = version(now);
    if (mode == 1) {  // RFC 2236 7.2 (and RFC 1112): a version 1 host leaves silently
        timers_.erase(group);
        return true;
    }
    send_state_change(group, false, now);
    if (mode == 2) {  // RFC 2236 3: one leave
        timers_.erase(group);
        return true;
    }
    group_timers& timers = timers_[group];
    timers = group_timers{};
    timers.joined = false;
    timers.changes_left = settings_.robustness > 1 ? settings_.robustness - 1u : 0u;
    timers.change_at = now + random_up_to(settings_.unsolicited_report_interval);
    if (timers.changes_left == 0) timers_.erase(group);
    return true;
}

void igmp::receive(const wire::ipv4_header&, packet&& message, clock::time_point now) {
    const auto bytes = message.linearize(message.length());
    if (!bytes) return dropped_.count(wire::drop_reason::no_mbufs);
    const auto parsed = wire::igmp_message::parse(*bytes);
    if (!parsed) return dropped_.count(parsed.error());
    switch (parsed->type) {
        case wire::igmp_type_membership_query: return on_query(parsed->query, now);
        case wire::igmp_type_v1_membership_report:
        case wire::igmp_type_v2_membership_report: {
            // RFC 2236 3: in version 1 or 2 another member's report for a group whose
            // answer we hold answers for us too. Version 3 hosts never suppress (RFC 3376 5.2).
            const auto found = timers_.find(parsed->group);
            if (version(now) < 3 && found != timers_.end() && found->second.answer_at) {
                found->second.answer_at.reset();
                ++counters_.reports_suppressed;
            }
            return;
        }
        default: return dropped_.count(wire::drop_reason::igmp_not_handled);  // leaves, v3 reports: routers'
    }
}

void igmp::cancel_timers() noexcept {
    // RFC 3376 7.2.1: a change of compatibility mode cancels every pending response and
    // retransmission.
    general_answer_at_.reset();
    for (auto it = timers_.begin(); it != timers_.end();) {
        if (!it->second.joined) {
            it = timers_.erase(it);
            continue;
        }
        it->second.answer_at.reset();
        it->second.changes_left = 0;
        ++it;
    }
}

void igmp::hear_older_querier(unsigned querier_version, clock::time_point now) {
    // RFC 3376 8.12: Older Version Querier Present Timeout = robustness * query interval
    // + query response interval.
    const clock::time_point until =
        now + settings_.robustness * settings_.query_interval + settings_.query_response_interval;
    const unsigned was = version(now);
    if (querier_version == 1) {
        v1_querier_until_ = until;
    } else {
        v2_querier_until_ = until;
    }
    if (version(now) != was) {
        ++counters_.older_querier_heard;
        cancel_timers();
    }
}

void igmp::on_query(const wire::igmp_query& query, clock::time_point now) {
    ++counters_.queries_received;
    if (query.version < 3) hear_older_querier(query.version, now);
    if (query.version == 3) {
        // RFC 3376 4.1.6 and 4.1.7: hosts adopt the querier's robustness and interval.
        if (query.robustness != 0) settings_.robustness = query.robustness;
        if (query.query_interval_seconds != 0) settings_.query_interval = std::chrono::seconds(query.query_interval_seconds);
    }
    const clock::duration bound = answer_bound(std::chrono::duration_cast<clock::duration>(query.max_response));
    if (!query.is_general() && !groups_.joined(query.group)) return;  // not a group of ours
    if (query.group == wire::igmp_all_hosts) return;

    if (version(now) == 3) {
        const clock::time_point at = now + random_up_to(bound);
        // RFC 3376 5.2, rules 1 and 2: a pending general answer due sooner covers it.
        if (before(general_answer_at_, at)) return;
        if (query.is_general()) {
            general_answer_at_ = at;
            return;
        }
        // Rules 3 and 4: one answer per group, the earlier one. A group-and-source-specific
        // query is answered with the group's whole state (EXCLUDE of no source), which
        // includes every source it asks about.
        auto& answer = timers_[query.group].answer_at;
        if (!answer || at < *answer) answer = at;
        return;
    }
    // RFC 2236 3: each group its own random delay, reset when the query asks sooner.
    auto schedule = [&](group_timers& timers) {
        const clock::time_point at = now + random_up_to(bound);
        if (!timers.answer_at || at < *timers.answer_at) timers.answer_at = at;
    };
    if (!query.is_general()) return schedule(timers_[query.group]);
    for (const wire::ipv4_address group : groups_.list()) {
        if (group != wire::igmp_all_hosts) schedule(timers_[group]);
    }
}

void igmp::poll(clock::time_point now) {
    if (before(general_answer_at_, now)) {
        general_answer_at_.reset();
        send_current_state_of_all(now);
    }
    for (auto it = timers_.begin(); it != timers_.end();) {
        group_timers& timers = it->second;
        if (timers.joined && before(timers.answer_at, now)) {
            timers.answer_at.reset();
            send_current_state(it->first, now);
        }
        if (timers.changes_left != 0 && timers.change_at <= now) {
            send_state_change(it->first, timers.joined, now);
            --timers.changes_left;
            timers.change_at = now + random_up_to(unsolicited_interval(now));
        }
        if (!timers.joined && timers.changes_left == 0) {
            it = timers_.erase(it);
        } else {
            ++it;
        }
    }
}

std::optional<clock::time_point> igmp::next_deadline() const noexcept {
    std::optional<clock::time_point> next = general_answer_at_;
    auto take = [&next](clock::time_point at) {
        if (!next || at < *next) next = at;
    };
    for (const auto& [group, timers] : timers_) {
        if (timers.answer_at) take(*timers.answer_at);
        if (timers.changes_left != 0) take(timers.change_at);
    }
    return next;
}

void igmp::send_state_change(wire::ipv4_address group, bool joined, clock::time_point now) {
    switch (version(now)) {
        case 1:
            if (joined) send_v2_message(wire::igmp_type_v1_membership_report, group, group, false, now);
            return;
        case 2:
            if (joined) return send_v2_message(wire::igmp_type_v2_membership_report, group, group, false, now);
            return send_v2_message(wire::igmp_type_v2_leave_group, group, wire::igmp_all_routers, true, now);
        default: {
            // RFC 3376 5.1: joining is a change to EXCLUDE of no source, leaving a change
            // to INCLUDE of no source.
            const wire::igmp_group_record record{
                joined ? wire::igmp_record_change_to_exclude : wire::igmp_record_change_to_include, group};
            return send_v3_report({&record, 1}, !joined, now);
        }
    }
}

void igmp::send_current_state(wire::ipv4_address group, clock::time_point now) {
    switch (version(now)) {
        case 1: return send_v2_message(wire::igmp_type_v1_membership_report, group, group, false, now);
        case 2: return send_v2_message(wire::igmp_type_v2_membership_report, group, group, false, now);
        default: {
            const wire::igmp_group_record record{wire::igmp_record_mode_is_exclude, group};
            return send_v3_report({&record, 1}, false, now);
        }
    }
}

// RFC 3376 5.2: the answer to a general query holds a current-state record per group,
// in as many reports as it takes to keep each in one unfragmented datagram.
void igmp::send_current_state_of_all(clock::time_point now) {
    std::vector<wire::igmp_group_record> records;
    for (const wire::ipv4_address group : groups_.list()) {
        if (group != wire::igmp_all_hosts) records.push_back({wire::igmp_record_mode_is_exclude, group});
    }
    const std::size_t room = ip_.max_unfragmented_payload() - wire::ipv4_router_alert_length;
    const std::size_t per_report = (room - wire::igmp_message::v3_report_header_length) / wire::igmp_group_record::min_length;
    for (std::size_t first = 0; first < records.size(); first += per_report) {
        const std::size_t count = std::min(per_report, records.size() - first);
        send_v3_report(std::span<const wire::igmp_group_record>(records).subspan(first, count), false, now);
    }
}

void igmp::send_v3_report(std::span<const wire::igmp_group_record> records, bool leave, clock::time_point now) {
    std::vector<std::byte> message(wire::igmp_v3_report_length(records.size()));
    wire::emit_igmp_v3_report(message, records);
    send(message, wire::igmp_v3_routers, leave, now);  // RFC 3376 4.2.14
}

// RFC 2236 2 and 3: reports go to the group itself, leaves to all routers.
void igmp::send_v2_message(std::uint8_t type, wire::ipv4_address group, wire::ipv4_address destination, bool leave,
                           clock::time_point now) {
    std::array<std::byte, wire::igmp_message::min_length> message;
    wire::emit_igmp_v2_message(message, type, 0, group);
    send(message, destination, leave, now);
}

void igmp::send(std::span<const std::byte> message, wire::ipv4_address destination, bool leave,
                clock::time_point now) {
    auto datagram = packet::copy_of(message);
    if (!datagram) {
        ++counters_.no_mbufs;
        return;
    }
    // RFC 3376 4 and RFC 2236 2: TTL 1 and the Router Alert option on every message.
    datagram_options options;
    options.ttl = 1;
    options.router_alert = true;
    if (ip_.send_with(options, destination, wire::ip_protocol_igmp, std::move(*datagram), now) != send_status::sent) {
        ++counters_.send_failed;
        return;
    }
    ++(leave ? counters_.leaves_sent : counters_.reports_sent);
}

}  // namespace sluice::net
