// sluice::net::tcp::tcp_state: the eleven states of a connection, with RFC 9293's names
// (3.3.2, Figure 5). A plain value; any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::net::tcp {

enum class tcp_state : std::uint8_t {
    closed,        // no connection
    listen,        // waiting for a SYN (a listener; connections never return here)
    syn_sent,      // our SYN sent, waiting for the peer's
    syn_received,  // both SYNs seen, ours not yet acknowledged
    established,   // data flows both ways
    fin_wait_1,    // we closed; our FIN not yet acknowledged
    fin_wait_2,    // our FIN acknowledged; waiting for the peer's
    close_wait,    // the peer closed; we may still send
    closing,       // both closed at once; our FIN not yet acknowledged
    last_ack,      // the peer closed first, then we; waiting for the ACK of our FIN
    time_wait,     // both closed; waiting 2*MSL so old segments die (RFC 9293 3.6.1)
};

constexpr std::string_view to_string(tcp_state state) noexcept {
    switch (state) {
        case tcp_state::closed: return "CLOSED";
        case tcp_state::listen: return "LISTEN";
        case tcp_state::syn_sent: return "SYN-SENT";
        case tcp_state::syn_received: return "SYN-RECEIVED";
        case tcp_state::established: return "ESTABLISHED";
        case tcp_state::fin_wait_1: return "FIN-WAIT-1";
        case tcp_state::fin_wait_2: return "FIN-WAIT-2";
        case tcp_state::close_wait: return "CLOSE-WAIT";
        case tcp_state::closing: return "CLOSING";
        case tcp_state::last_ack: return "LAST-ACK";
        case tcp_state::time_wait: return "TIME-WAIT";
    }
    return "?";
}

// States in which our side may still send data (RFC 9293 3.10.2 SEND).
constexpr bool can_send(tcp_state state) noexcept {
    return state == tcp_state::established || state == tcp_state::close_wait;
}
// States in which the peer may still send data (we have not seen its FIN).
constexpr bool can_receive(tcp_state state) noexcept {
    return state == tcp_state::established || state == tcp_state::fin_wait_1 || state == tcp_state::fin_wait_2;
}
// States of a synchronized connection (RFC 9293 3.5.2: ESTABLISHED and after).
constexpr bool is_synchronized(tcp_state state) noexcept {
    return state != tcp_state::closed && state != tcp_state::listen && state != tcp_state::syn_sent &&
           state != tcp_state::syn_received;
}

}  // namespace sluice::net::tcp
