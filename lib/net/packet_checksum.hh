// sluice::net::add_to_checksum: feeds every byte of a packet (one mbuf chain) to an RFC 1071
// sum, segment by segment, without copying. For ICMP and UDP over reassembled or chained
// datagrams. Any thread that may read the packet.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "lib/net/packet.hh"
#include "lib/net/wire/checksum.hh"

namespace sluice::net {

inline void add_to_checksum(wire::internet_checksum& sum, const packet& bytes) noexcept {
    std::array<std::span<const std::byte>, 16> pieces;
    for (std::size_t offset = 0; offset < bytes.length();) {
        const std::size_t count = bytes.spans(offset, pieces);
        if (count == 0) break;
        for (std::size_t i = 0; i < count; ++i) {
            sum.add(pieces[i]);
            offset += pieces[i].size();
        }
    }
}

}  // namespace sluice::net
