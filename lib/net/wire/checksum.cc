// The RFC 1071 sum over spans: 32-bit big-endian words into a 64-bit accumulator, with the
// odd byte at either end of a span placed by the stream's parity.
#include "sluice/net/wire/checksum.hh"

#include "sluice/net/wire/byte_order.hh"

namespace sluice::net::wire {
namespace {

std::uint64_t fold32(std::uint64_t sum) noexcept {
    sum = (sum & 0xffffffffu) + (sum >> 32);
    return (sum & 0xffffffffu) + (sum >> 32);
}

}  // namespace

void internet_checksum::add(std::span<const std::byte> bytes) noexcept {
    if (bytes.empty()) return;
    std::uint64_t sum = sum_;
    std::size_t at = 0;
    if (odd_) {
        // This byte completes the word whose high half ended the previous span.
        sum += load_u8(bytes, 0);
        at = 1;
    }
    for (; bytes.size() - at >= 4; at += 4) sum += load_be32(bytes, at);
    if (bytes.size() - at >= 2) {
        sum += load_be16(bytes, at);
        at += 2;
    }
    const bool ends_odd = at < bytes.size();
    // A high half; its low half is the next span's first byte, or the zero pad at the end.
    if (ends_odd) sum += std::uint64_t{load_u8(bytes, at)} << 8;
    odd_ = odd_ != ((bytes.size() % 2) != 0);
    sum_ = fold32(sum);
}

std::uint16_t internet_checksum::finish() const noexcept {
    std::uint64_t sum = fold32(sum_);
    // The deferred end-around carries (RFC 1071 section 2 (D)), until the sum fits 16 bits.
    while (sum > 0xffffu) sum = (sum & 0xffffu) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

}  // namespace sluice::net::wire
