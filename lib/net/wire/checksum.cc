// The RFC 1071 sum over spans: 32-bit big-endian words into a 64-bit accumulator, with the
// odd byte at either end of a span placed by the stream's parity.
#include "sluice/net/wire/checksum.hh"

#include <bit>
#include <cstring>

#include "sluice/net/wire/byte_order.hh"

namespace sluice::net::wire {
namespace {

std::uint64_t fold32(std::uint64_t sum) noexcept {
    sum = (sum & 0xffffffffu) + (sum >> 32);
    return (sum & 0xffffffffu) + (sum >> 32);
}

// The sum of `count` 32-bit big-endian words starting at `data`, folded to 16 bits. A
// one's-complement sum commutes with byte swapping (RFC 1071 2(B)): on a little-endian
// host the bytes are summed as they lie in memory, eight at a time into two independent
// accumulators, and the folded result is swapped once. A carry out of bit 63 is worth
// 2^64, which is 1 modulo 2^16 - 1, so carries are counted and added back as ones.
std::uint64_t big_endian_sum_of_words(const std::byte* data, std::size_t count) noexcept {
    const std::size_t length = count * 4;
    std::uint64_t even = 0, odd = 0, carries = 0;
    std::size_t at = 0;
    for (; length - at >= 16; at += 16) {
        std::uint64_t first, second;
        std::memcpy(&first, data + at, 8);
        std::memcpy(&second, data + at + 8, 8);
        even += first;
        carries += even < first;
        odd += second;
        carries += odd < second;
    }
    if (length - at >= 8) {
        std::uint64_t word;
        std::memcpy(&word, data + at, 8);
        even += word;
        carries += even < word;
        at += 8;
    }
    std::uint64_t sum = (even & 0xffffffffu) + (even >> 32) + (odd & 0xffffffffu) + (odd >> 32) + carries;
    if (length - at == 4) {
        std::uint32_t word;
        std::memcpy(&word, data + at, 4);
        sum += word;
    }
    sum = fold32(sum);
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    if constexpr (std::endian::native == std::endian::big) return sum;
    return static_cast<std::uint16_t>(sum << 8 | sum >> 8);
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
    const std::size_t words = (bytes.size() - at) / 4;
    sum += big_endian_sum_of_words(bytes.data() + at, words);
    at += words * 4;
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
