#include "sluice/net/arp_cache.hh"

#include <utility>

namespace sluice::net {

arp_cache::lookup arp_cache::find(wire::ipv4_address next_hop, clock::time_point now) {
    const auto it = entries_.find(next_hop.value);
    if (it == entries_.end() || !it->second.mac || now >= it->second.expires_at) return {};
    entry& e = it->second;
    lookup found{e.mac, false};
    // RFC 1122 2.3.2.1: revalidate an entry in use before it times out, so traffic never
    // stalls on an expiry; once per lifetime.
    if (!e.refresh_sent && now >= e.expires_at - limits_.refresh_before) {
        e.refresh_sent = true;
        found.send_refresh = true;
    }
    return found;
}

arp_cache::entry* arp_cache::make_room_and_insert(wire::ipv4_address address, clock::time_point now) {
    if (entries_.size() >= limits_.max_entries) {
        // Evict the resolved entry nearest expiry (or already expired); never an address
        // with packets waiting, so nothing held is lost to a table flood.
        auto victim = entries_.end();
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (!it->second.waiting.empty()) continue;
            if (victim == entries_.end() || !it->second.mac ||
                (victim->second.mac && it->second.expires_at < victim->second.expires_at)) {
                victim = it;
            }
            if (!it->second.mac || it->second.expires_at <= now) break;
        }
        if (victim == entries_.end()) {
            ++counters_.table_full;
            return nullptr;
        }
        entries_.erase(victim);
    }
    return &entries_[address.value];
}

arp_cache::hold_outcome arp_cache::hold(wire::ipv4_address next_hop, packet&& ip_packet, clock::time_point now) {
    auto it = entries_.find(next_hop.value);
    entry* e = nullptr;
    if (it != entries_.end()) {
        e = &it->second;
        if (e->mac && now >= e->expires_at) {  // stale: ask again from scratch
            e->mac.reset();
            e->requests = 0;
            ++counters_.expired;
        }
    } else {
        e = make_room_and_insert(next_hop, now);
    }
    if (e == nullptr || e->waiting.size() >= limits_.max_waiting_per_address || waiting_ >= limits_.max_waiting) {
        ++counters_.dropped_waiting;
        return hold_outcome::dropped;  // ip_packet is freed by the caller's temporary
    }
    e->waiting.push_back(std::move(ip_packet));
    ++waiting_;
    ++counters_.held;
    if (e->requests == 0) {
        e->requests = 1;
        e->next_request = now + limits_.retry_interval;
        return hold_outcome::held_send_request;
    }
    return hold_outcome::held;
}

std::vector<packet> arp_cache::learn(wire::ipv4_address address, ethernet_address mac, clock::time_point now,
                                     bool create) {
    auto it = entries_.find(address.value);
    entry* e = nullptr;
    if (it != entries_.end()) {
        e = &it->second;
    } else if (create) {
        e = make_room_and_insert(address, now);
    }
    if (e == nullptr) return {};
    if (!e->mac || *e->mac != mac) ++counters_.learned;
    e->mac = mac;
    e->expires_at = now + limits_.reachable_time;
    e->refresh_sent = false;
    e->requests = 0;
    waiting_ -= e->waiting.size();
    return std::exchange(e->waiting, {});
}

void arp_cache::drop_waiting(entry& e) {
    counters_.dropped_waiting += e.waiting.size();
    waiting_ -= e.waiting.size();
    e.waiting.clear();
}

std::vector<wire::ipv4_address> arp_cache::advance(clock::time_point now) {
    std::vector<wire::ipv4_address> requests;
    for (auto it = entries_.begin(); it != entries_.end();) {
        entry& e = it->second;
        if (e.mac) {
            if (now >= e.expires_at) {  // aged out with nothing asking for it
                ++counters_.expired;
                drop_waiting(e);  // packets held on a resolved entry (hold() without find())
                it = entries_.erase(it);
                continue;
            }
        } else if (e.requests > 0 && now >= e.next_request) {
            if (e.requests >= limits_.max_requests) {
                // RFC 1122 2.3.2.1: give up after a few tries and tell no one but the counters.
                ++counters_.unresolved;
                drop_waiting(e);
                it = entries_.erase(it);
                continue;
            }
            ++e.requests;
            e.next_request = now + limits_.retry_interval;
            requests.push_back(wire::ipv4_address{it->first});
        } else if (e.requests == 0 && e.waiting.empty()) {
            it = entries_.erase(it);  // an entry made by eviction bookkeeping with nothing to do
            continue;
        }
        ++it;
    }
    return requests;
}

}  // namespace sluice::net
