// host_flags: the --so_flags words, one table of keys.
#include "drivers/packetdrill/so_flags.hh"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "sluice/net/tcp/congestion/congestion_control.hh"

namespace sluice::packetdrill {

namespace {

std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (failure != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<bool> switch_value(std::string_view text) {
    if (text == "1" || text == "on") return true;
    if (text == "0" || text == "off") return false;
    return std::nullopt;
}

// Each key: its help line, and how it sets the flags (false when the value is wrong).
struct flag_key {
    std::string_view name;
    std::string_view help;
    std::function<bool(host_flags&, std::string_view)> set;
};

template <typename Apply>
std::function<bool(host_flags&, std::string_view)> on_number(std::uint64_t least, std::uint64_t most, Apply apply) {
    return [=](host_flags& flags, std::string_view text) {
        const auto value = number(text);
        if (!value || *value < least || *value > most) return false;
        apply(flags, *value);
        return true;
    };
}

template <typename Apply>
std::function<bool(host_flags&, std::string_view)> on_switch(Apply apply) {
    return [=](host_flags& flags, std::string_view text) {
        const auto value = switch_value(text);
        if (!value) return false;
        apply(flags, *value);
        return true;
    };
}

using std::chrono::microseconds;
using std::chrono::milliseconds;

const std::vector<flag_key>& keys() {
    static const std::vector<flag_key> all = {
        {"local_ip", "our address (default 198.18.0.1; match packetdrill's --local_ip)",
         [](host_flags& flags, std::string_view text) {
             const auto address = net::wire::ipv4_address::parse(text);
             if (address) flags.local = *address;
             return address.has_value();
         }},
        {"mtu", "the interface MTU, 576..9000 (default 1500; the MSS we announce follows it)",
         on_number(576, 9000, [](host_flags& f, std::uint64_t v) { f.mtu = v; })},
        {"mss", "the MSS we announce, at most the MTU's (RFC 9293 3.7.1)",
         on_number(88, 65495, [](host_flags& f, std::uint64_t v) { f.options.mss = std::uint16_t(v); })},
        {"rcvbuf", "receive buffer bytes; the window scale follows it (default 262144)",
         on_number(2048, 1u << 30, [](host_flags& f, std::uint64_t v) { f.options.receive.capacity = v; })},
        {"sndbuf", "send buffer bytes (default 262144)",
         on_number(2048, 1u << 30, [](host_flags& f, std::uint64_t v) { f.options.send_buffer = v; })},
        {"initial_rto_us", "RTO before any RTT sample (RFC 6298 2.1; default 1000000)",
         on_number(1000, 600'000'000, [](host_flags& f, std::uint64_t v) { f.options.rto.initial = microseconds(v); })},
        {"min_rto_us", "least RTO (RFC 6298 2.4; Sluice 10000, Linux 200000)",
         on_number(1, 600'000'000, [](host_flags& f, std::uint64_t v) { f.options.rto.minimum = microseconds(v); })},
        {"max_rto_us", "greatest RTO (RFC 6298 2.5; default 60000000, Linux 120000000)",
         on_number(1000, 600'000'000, [](host_flags& f, std::uint64_t v) { f.options.rto.maximum = microseconds(v); })},
        {"delayed_ack_us", "delayed-ACK timeout, 0 for none (RFC 9293 3.8.6.3; Sluice 1000, Linux 40000 at least)",
         on_number(0, 500'000, [](host_flags& f, std::uint64_t v) {
             f.options.delayed_ack = v != 0;
             if (v != 0) f.options.delayed_ack_timeout = microseconds(v);
         })},
        {"nodelay", "0 turns Nagle's algorithm on for every socket (Sluice 1, Linux 0)",
         on_switch([](host_flags& f, bool on) { f.options.nodelay = on; })},
        {"window_scale", "offer window scaling (RFC 7323 2; default 1)",
         on_switch([](host_flags& f, bool on) { f.options.window_scale = on; })},
        {"timestamps", "offer timestamps (RFC 7323 3; default 1)",
         on_switch([](host_flags& f, bool on) { f.options.timestamps = on; })},
        {"sack", "offer SACK (RFC 2018; default 1)", on_switch([](host_flags& f, bool on) { f.options.sack = on; })},
        {"congestion", "newreno or cubic (default cubic)",
         [](host_flags& flags, std::string_view text) {
             const auto algorithm = net::tcp::parse_congestion_algorithm(text);
             if (algorithm) flags.options.congestion = *algorithm;
             return algorithm.has_value();
         }},
        {"syn_retries", "SYN and SYN-ACK retransmissions before giving up (default 6)",
         on_number(0, 255, [](host_flags& f, std::uint64_t v) { f.options.syn_retries = unsigned(v); })},
        {"data_retries", "data retransmissions before ETIMEDOUT (default 15)",
         on_number(0, 255, [](host_flags& f, std::uint64_t v) { f.options.data_retries = unsigned(v); })},
        {"time_wait_ms", "how long TIME-WAIT lasts, 2*MSL (default 60000)",
         on_number(0, 600'000, [](host_flags& f, std::uint64_t v) { f.options.time_wait = milliseconds(v); })},
        {"syn_cookies", "answer SYNs beyond a full backlog with cookies (RFC 4987; default 1)",
         on_switch([](host_flags& f, bool on) { f.limits.syn_cookies = on; })},
    };
    return all;
}

}  // namespace

std::string host_flags_help() {
    std::string text;
    for (const flag_key& key : keys()) {
        text += "  ";
        text += key.name;
        text += "=: ";
        text += key.help;
        text += '\n';
    }
    return text;
}

result<host_flags> parse_host_flags(std::string_view text) {
    host_flags flags;
    while (!text.empty()) {
        const std::size_t start = text.find_first_not_of(" ,\t");
        if (start == std::string_view::npos) break;
        text.remove_prefix(start);
        const std::size_t end = std::min(text.find_first_of(" ,\t"), text.size());
        const std::string_view word = text.substr(0, end);
        text.remove_prefix(end);
        const std::size_t equals = word.find('=');
        const std::string_view name = word.substr(0, equals);
        const std::string_view value = equals == std::string_view::npos ? "" : word.substr(equals + 1);
        bool known = false;
        for (const flag_key& key : keys()) {
            if (key.name != name) continue;
            known = true;
            if (!key.set(flags, value)) {
                return error{"so_flags: bad value in '" + std::string(word) + "': " + std::string(key.help)};
            }
        }
        if (!known) {
            return error{"so_flags: unknown key '" + std::string(name) + "'; the keys are:\n" + host_flags_help()};
        }
    }
    return flags;
}

}  // namespace sluice::packetdrill
