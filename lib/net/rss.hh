// sluice::net RSS: the Toeplitz hash (reference and table-driven), the symmetric key,
// the redirection table (RETA) and the choice of a local port whose replies land on a
// given shard. Pure values: keys, hashers and tables are owned by whoever builds them
// (each shard builds its own hasher, so its tables sit in the shard's memory); any thread
// may call any function here on objects it owns or only reads.
//
// Spec: Microsoft, "RSS Hashing Functions" and "Verifying the RSS Hash Calculation"
// (learn.microsoft.com, windows-hardware/drivers/network); NICs implement the same
// function (e.g. Intel 82599 datasheet 7.1.2.8). docs/architecture.md rule 3 says how Sluice uses it.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sluice/core/result.hh"

namespace sluice::net {

// A Toeplitz secret key K: 16 to 52 bytes, most NICs take exactly 40 (Microsoft's 320
// bits); some (Intel 700/800 series) take 52. 16 is the least that covers the IPv4
// 4-tuple: 12 bytes of input slide a 32-bit window over 12 * 8 + 32 bits of key.
class toeplitz_key {
public:
    static constexpr std::size_t standard_size = 40;
    static constexpr std::size_t min_size = 16;
    static constexpr std::size_t max_size = 52;

    // Copies `bytes` (K[0] first, as the NIC's key register takes it); fails with a one-line
    // message when the length is outside [min_size, max_size].
    static result<toeplitz_key> from_bytes(std::span<const std::byte> bytes);

    std::span<const std::byte> bytes() const noexcept { return {bytes_.data(), size_}; }
    std::size_t size() const noexcept { return size_; }

    friend bool operator==(const toeplitz_key& a, const toeplitz_key& b) noexcept;

private:
    toeplitz_key() = default;

    std::array<std::byte, max_size> bytes_{};
    std::size_t size_ = 0;
};

// The symmetric key: 0x6d5a repeated to 40 bytes (Woo & Park, "Scalable TCP Session
// Monitoring with Symmetric Receive-side Scaling", KAIST 2012). Swapping source and
// destination (address and port) leaves the hash unchanged, so both directions of a flow
// reach the same queue. Why, in rss.cc next to its definition.
// `size` (16..52, default 40) suits devices whose key register is longer, e.g. 52 bytes.
toeplitz_key symmetric_toeplitz_key(std::size_t size = toeplitz_key::standard_size);

// Microsoft's verification key (6d 5a 56 da ... 01 fa), the one its published test vectors
// use. Not symmetric; for tests and for comparing with a NIC left on its default.
toeplitz_key microsoft_default_key();

// The reference Toeplitz hash, bit by bit as Microsoft's ComputeHash pseudocode states it:
// for each input bit from the most significant bit of input[0] on, a set bit XORs the
// left-most 32 bits of K into the result, then K shifts left one bit (zeros come in past
// its end). Slow and obviously right; the tests hold toeplitz_hasher to it.
std::uint32_t toeplitz_hash(const toeplitz_key& key, std::span<const std::byte> input);

// The packet-path Toeplitz hash for one key. The hash is linear over GF(2): the result is
// the XOR of one 32-bit term per input byte, chosen by the byte's position and value. The
// constructor tabulates those terms (256 per key byte, 1 KiB each: 40 KiB for a 40-byte
// key, of which the IPv4 4-tuple touches 12 KiB); a hash is then one lookup and one XOR per
// input byte. Build one per shard; it is read-only afterwards.
//
// Byte order: addresses and ports are taken in HOST byte order as plain numbers
// (66.9.149.187 is 0x420995bb, port 2794 is 2794), the way parsed headers hold them. The
// hash consumes each one most-significant byte first, which is the order the bytes have on
// the wire (network byte order) and so the order the NIC hashes them in. The raw-bytes
// overload `hash` takes the bytes exactly as they appear in the packet.
class toeplitz_hasher {
public:
    explicit toeplitz_hasher(const toeplitz_key& key);

    const toeplitz_key& key() const noexcept { return key_; }

    // Equal to toeplitz_hash(key(), input) for any input length.
    std::uint32_t hash(std::span<const std::byte> input) const noexcept {
        std::uint32_t result = 0;
        const std::size_t n = input.size() < table_.size() ? input.size() : table_.size();
        for (std::size_t i = 0; i < n; ++i) result ^= table_[i][std::to_integer<std::uint8_t>(input[i])];
        return result;  // bytes past the key's end meet an all-zero window: they add nothing
    }

    // Microsoft "IPv4 only": Input[8] = SourceAddress, DestinationAddress (@12-15, @16-19).
    std::uint32_t hash_ipv4(std::uint32_t src_addr, std::uint32_t dst_addr) const noexcept {
        return word(0, src_addr) ^ word(4, dst_addr);
    }

    // Microsoft "IPv4 with TCP" (and UDP where the NIC hashes UDP ports): Input[12] =
    // SourceAddress, DestinationAddress, SourcePort, DestinationPort (@12-15, @16-19,
    // @20-21, @22-23 counting from the IPv4 header).
    std::uint32_t hash_ipv4_l4(std::uint32_t src_addr, std::uint32_t dst_addr, std::uint16_t src_port,
                               std::uint16_t dst_port) const noexcept {
        return word(0, src_addr) ^ word(4, dst_addr) ^ half(8, src_port) ^ half(10, dst_port);
    }

private:
    using byte_terms = std::array<std::uint32_t, 256>;

    std::uint32_t half(std::size_t at, std::uint16_t value) const noexcept {
        return table_[at][value >> 8] ^ table_[at + 1][value & 0xffu];
    }
    std::uint32_t word(std::size_t at, std::uint32_t value) const noexcept {
        return half(at, static_cast<std::uint16_t>(value >> 16)) ^ half(at + 2, static_cast<std::uint16_t>(value));
    }

    toeplitz_key key_;
    std::vector<byte_terms> table_;  // table_[position][byte value]; one row per key byte
};

// A redirection table like a NIC's RETA (Microsoft "RSS Configuration": the indirection
// table; Intel 82599 7.1.2.8.2): `size` entries (a power of two), each a queue number; a
// packet goes to entry[hash & (size - 1)], i.e. the hash's low bits pick the entry. Entry i
// is i % queue_count, so flows spread evenly over the queues. The DPDK driver programs the
// NIC with entries() (drivers/dpdk/reta.hh) where the device takes it, so hardware and
// software RSS agree on every hash; offload_flags::rss_table_size says whether it did.
class redirection_table {
public:
    static constexpr std::size_t default_size = 128;  // 82599, i210; mlx5 and ice take 512
    static constexpr std::size_t max_size = 65536;

    // Fails with a one-line message unless queue_count >= 1, size is a power of two in
    // [1, max_size], and queue_count <= size (a queue with no entry would see nothing).
    static result<redirection_table> create(unsigned queue_count, std::size_t size = default_size);

    std::uint16_t queue_for(std::uint32_t hash) const noexcept { return entries_[hash & mask_]; }

    std::size_t size() const noexcept { return entries_.size(); }
    unsigned queue_count() const noexcept { return queue_count_; }
    std::span<const std::uint16_t> entries() const noexcept { return entries_; }

private:
    redirection_table(unsigned queue_count, std::size_t size);

    std::vector<std::uint16_t> entries_;
    std::uint32_t mask_ = 0;
    unsigned queue_count_ = 0;
};

// docs/architecture.md rule 3: shard i owns queue i of every port, so the queue a hash selects is the
// shard that owns the flow. With hardware RSS `reta` is the table programmed into the NIC
// (one queue per shard); with software RSS (fewer queues than shards) it is a table over
// all shards, and the polling shard forwards each packet to shard_for_hash(...) by ring.
inline unsigned shard_for_hash(const redirection_table& reta, std::uint32_t hash) noexcept {
    return reta.queue_for(hash);
}

// An inclusive range of local ports. RFC 6335 section 6 sets 49152-65535 aside for
// dynamic (ephemeral) ports.
struct port_range {
    std::uint16_t first = 49152;
    std::uint16_t last = 65535;  // first > last is an empty range
};

// What an active open knows before it picks its local port. Host byte order, as above.
// Range size matters with the symmetric key: the hash is then a linear function of the
// tuple's 16-bit words XORed together, and the port's low 7 bits reach only 64 of a
// 128-entry table's indices (rank 6), so a short range can miss entries and so whole
// shards. Any aligned block of 256 ports reaches all 128 entries, any aligned 512 all
// 512; so any range of at least four times the table's size, like the ephemeral range,
// reaches every entry of a 128- or 512-entry table.
struct active_open {
    std::uint32_t local_addr = 0;
    std::uint32_t remote_addr = 0;
    std::uint16_t remote_port = 0;
    port_range range{};
    std::uint16_t start_hint = 0;  // first port tried; outside `range`, range.first is
                                   // (a caller following RFC 6056 passes a random one)
};

// Picks a local port for an active open so that the packets coming BACK (remote -> local:
// src = remote, dst = local) hash, through `reta`, to `shard`; docs/architecture.md rule 3. With the
// symmetric key the packets going out hash alike. Scans the range from start_hint upward,
// wrapping once, and returns the first port whose hash lands on `shard` and for which
// available(port) is true (the caller's check that the 4-tuple is not in use); nullopt
// when no port in the range qualifies. Deterministic: the same arguments give the same port.
template <std::predicate<std::uint16_t> Available>
std::optional<std::uint16_t> choose_local_port_for_shard(const toeplitz_hasher& hasher, const redirection_table& reta,
                                                         unsigned shard, const active_open& open,
                                                         Available&& available) {
    const port_range range = open.range;
    if (range.first > range.last) return std::nullopt;
    const std::uint32_t count = std::uint32_t{range.last} - range.first + 1;
    // Toeplitz is linear over XOR, so hash(tuple) = hash(tuple with port 0) ^ hash(port
    // alone): hash the fixed part once and only the port per candidate.
    const std::uint32_t fixed = hasher.hash_ipv4_l4(open.remote_addr, open.local_addr, open.remote_port, 0);
    std::uint16_t port = (open.start_hint >= range.first && open.start_hint <= range.last) ? open.start_hint
                                                                                          : range.first;
    for (std::uint32_t tried = 0; tried < count; ++tried) {
        const std::uint32_t hash = fixed ^ hasher.hash_ipv4_l4(0, 0, 0, port);
        if (shard_for_hash(reta, hash) == shard && available(port)) return port;
        port = port == range.last ? range.first : static_cast<std::uint16_t>(port + 1);
    }
    return std::nullopt;
}

// As above, with every port available.
std::optional<std::uint16_t> choose_local_port_for_shard(const toeplitz_hasher& hasher, const redirection_table& reta,
                                                         unsigned shard, const active_open& open);

}  // namespace sluice::net
