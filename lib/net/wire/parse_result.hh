// sluice::net::wire::parse_result<T>: what every wire parser returns, a header value or the
// drop_reason it was refused for (STYLE, errors: a small code on the data path, no string,
// no exception). A plain value owning its T; any thread.
#pragma once

#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/outcome.hh"

namespace sluice::net::wire {

// The rules of lib/net/wire, written once:
//
// 1. Checked on the way in. `X::parse(bytes)` is the only way from received bytes to a
//    value. It checks every length against bytes.size() before it reads, reads nothing
//    outside `bytes`, and refuses anything malformed with a drop_reason. It never throws,
//    never allocates and keeps no pointer into `bytes`: the value is a copy of the fields.
// 2. Lengths in a parsed value are checked. A length or offset a value reports
//    (ipv4_header::header_length and total_length, udp_header::length) has been checked
//    against the span it was parsed from, so cutting that same span with it
//    (bytes.subspan(h.header_length, h.payload_length())) stays inside. These spans are the
//    views: the bytes stay in the packet, nothing is copied.
// 3. Unchecked on the way out. `x.emit(out)` writes exactly X's length at the front of
//    `out`; the caller sized `out` (asserted in debug builds). emit trusts its fields: it
//    writes what it is given, so a stack that emits nonsense sends nonsense.
// 4. Bytes past what a header says it covers (Ethernet padding after a short IPv4 packet,
//    after ARP's 28 bytes) are not the parser's business: the caller trims them.
// A parser's answer: the header value, or the drop_reason it was refused for (error()).
template <typename T>
using parse_result = outcome<T, drop_reason>;

}  // namespace sluice::net::wire
