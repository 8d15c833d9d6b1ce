// Toeplitz keys, the reference hash, the hasher's tables, and the redirection table.
#include "sluice/net/rss.hh"

#include <algorithm>
#include <bit>
#include <string>

namespace sluice::net {

namespace {

template <std::size_t N>
toeplitz_key key_from(const std::array<std::uint8_t, N>& octets) {
    std::array<std::byte, N> bytes{};
    std::transform(octets.begin(), octets.end(), bytes.begin(), [](std::uint8_t b) { return std::byte{b}; });
    return toeplitz_key::from_bytes(bytes).value();
}

// Bit i of K, counting from the most significant bit of K[0]; zero past the key's end
// (Microsoft: K "shifts left", so zeros come in behind it).
std::uint32_t key_bit(std::span<const std::byte> key, std::size_t i) {
    if (i / 8 >= key.size()) return 0;
    return (std::to_integer<std::uint32_t>(key[i / 8]) >> (7 - i % 8)) & 1u;
}

// The 32 bits of K starting at bit i: what an input bit at offset i XORs into the hash.
std::uint32_t key_window(std::span<const std::byte> key, std::size_t i) {
    std::uint32_t window = 0;
    for (std::size_t b = 0; b < 32; ++b) window = (window << 1) | key_bit(key, i + b);
    return window;
}

}  // namespace

result<toeplitz_key> toeplitz_key::from_bytes(std::span<const std::byte> bytes) {
    if (bytes.size() < min_size || bytes.size() > max_size) {
        return error{"a Toeplitz RSS key must be " + std::to_string(min_size) + " to " + std::to_string(max_size) +
                     " bytes (NICs take " + std::to_string(standard_size) + " or 52), got " +
                     std::to_string(bytes.size())};
    }
    toeplitz_key key;
    std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
    key.size_ = bytes.size();
    return key;
}

bool operator==(const toeplitz_key& a, const toeplitz_key& b) noexcept {
    return std::ranges::equal(a.bytes(), b.bytes());
}

// Why repeating 0x6d5a makes the hash symmetric. An input bit at offset i (counting from
// the left of the input, as Microsoft's ComputeHash does) contributes, when set, the window
// W(i) = the 32 key bits starting at key bit i. This key has period 16 bits, so W(i) =
// W(i + 16k) for any k that keeps the window inside the key. In the IPv4 4-tuple (src 32
// bits, dst 32, sport 16, dport 16) swapping the directions moves every address bit by
// exactly 32 positions and every port bit by exactly 16: each set bit keeps its window,
// and the XOR of the same windows is the same hash. Likewise for the 2-tuple and for IPv6
// (128-bit addresses; 36 bytes of input end at key bit 288 + 31 < 320). The price: the
// hash then depends only on the XOR of the tuple's 16-bit words, which leaves 2^16 values,
// still far more than a RETA's 7 to 9 index bits need (Woo & Park, KAIST 2012).
toeplitz_key symmetric_toeplitz_key(std::size_t size) {
    size = std::clamp(size, toeplitz_key::min_size, toeplitz_key::max_size);
    std::array<std::byte, toeplitz_key::max_size> octets{};
    for (std::size_t i = 0; i < size; ++i) octets[i] = std::byte(i % 2 == 0 ? 0x6d : 0x5a);
    return toeplitz_key::from_bytes(std::span(octets.data(), size)).value();
}

// Microsoft, "Verifying the RSS Hash Calculation": the key its IPv4/IPv6 vectors use.
toeplitz_key microsoft_default_key() {
    return key_from(std::array<std::uint8_t, 40>{
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
        0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
        0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
    });
}

// Microsoft, "RSS Hashing Functions", ComputeHash(input[], n), one step per input bit.
std::uint32_t toeplitz_hash(const toeplitz_key& key, std::span<const std::byte> input) {
    const std::span<const std::byte> k = key.bytes();
    std::uint32_t left_most = key_window(k, 0);  // the left-most 32 bits of K
    std::size_t next_key_bit = 32;
    std::uint32_t result = 0;
    for (const std::byte byte : input) {
        for (int bit = 7; bit >= 0; --bit) {
            if (((std::to_integer<unsigned>(byte) >> bit) & 1u) != 0) result ^= left_most;
            left_most = (left_most << 1) | key_bit(k, next_key_bit++);  // shift K left 1 bit
        }
    }
    return result;
}

// Row p holds, for each byte value v, the XOR of the windows of v's set bits at input
// offsets 8p..8p+7. Positions past the key's end would hold only zeros, so the table
// stops there.
toeplitz_hasher::toeplitz_hasher(const toeplitz_key& key) : key_(key), table_(key.size()) {
    const std::span<const std::byte> k = key_.bytes();
    for (std::size_t position = 0; position < table_.size(); ++position) {
        std::array<std::uint32_t, 8> bit_term{};  // bit_term[j]: the term for value bit j (1 << j)
        for (unsigned j = 0; j < 8; ++j) bit_term[j] = key_window(k, 8 * position + (7 - j));
        byte_terms& row = table_[position];
        row[0] = 0;
        for (unsigned v = 1; v < 256; ++v) {
            const unsigned lowest = static_cast<unsigned>(std::countr_zero(v));
            row[v] = row[v & (v - 1)] ^ bit_term[lowest];  // v without its lowest bit, plus that bit
        }
    }
}

result<redirection_table> redirection_table::create(unsigned queue_count, std::size_t size) {
    if (queue_count == 0) return error{"a redirection table needs at least one queue"};
    if (size == 0 || size > max_size || !std::has_single_bit(size)) {
        return error{"a redirection table's size must be a power of two from 1 to " + std::to_string(max_size) +
                     " (NICs use 128 or 512), got " + std::to_string(size)};
    }
    if (queue_count > size) {
        return error{"a redirection table of " + std::to_string(size) + " entries cannot reach " +
                     std::to_string(queue_count) + " queues: use a table of at least " +
                     std::to_string(std::bit_ceil(std::size_t{queue_count})) + " entries"};
    }
    return redirection_table(queue_count, size);
}

redirection_table::redirection_table(unsigned queue_count, std::size_t size)
    : entries_(size), mask_(static_cast<std::uint32_t>(size - 1)), queue_count_(queue_count) {
    for (std::size_t i = 0; i < size; ++i) entries_[i] = static_cast<std::uint16_t>(i % queue_count);
}

std::optional<std::uint16_t> choose_local_port_for_shard(const toeplitz_hasher& hasher, const redirection_table& reta,
                                                         unsigned shard, const active_open& open) {
    return choose_local_port_for_shard(hasher, reta, shard, open, [](std::uint16_t) { return true; });
}

}  // namespace sluice::net
