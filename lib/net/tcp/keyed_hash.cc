// SipHash-2-4 written from the algorithm in section 2 of the SipHash paper: four 64-bit
// words of state seeded from the key and the constants "somepseudorandomlygeneratedbytes",
// each little-endian message word mixed in around two SipRounds, the length in the top
// byte of the last word, then 0xff into v2 and four SipRounds.
#include "sluice/net/tcp/keyed_hash.hh"

#include <bit>
#include <random>

namespace sluice::net::tcp {

namespace {

struct sip_state {
    std::uint64_t v0, v1, v2, v3;

    void round() noexcept {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }

    // One message word: c = 2 SipRounds between the two xors.
    void compress(std::uint64_t word) noexcept {
        v3 ^= word;
        round();
        round();
        v0 ^= word;
    }
};

// Up to 8 bytes as a little-endian number.
std::uint64_t load_little_endian(const std::byte* bytes, std::size_t count) noexcept {
    std::uint64_t word = 0;
    for (std::size_t i = 0; i < count; ++i) word |= std::uint64_t(bytes[i]) << (8 * i);
    return word;
}

}  // namespace

hash_key hash_key::random() {
    std::random_device device;
    auto draw64 = [&device] {
        // random_device yields unsigned int; four 16-bit pieces whatever its width.
        std::uint64_t value = 0;
        for (int i = 0; i < 4; ++i) value = value << 16 | (device() & 0xffffu);
        return value;
    };
    const std::uint64_t k0 = draw64();
    return hash_key{k0, draw64()};
}

std::uint64_t keyed_hash(const hash_key& key, std::span<const std::byte> bytes) noexcept {
    sip_state state{key.k0 ^ 0x736f6d6570736575u, key.k1 ^ 0x646f72616e646f6du,
                    key.k0 ^ 0x6c7967656e657261u, key.k1 ^ 0x7465646279746573u};
    const std::size_t whole = bytes.size() / 8 * 8;
    for (std::size_t offset = 0; offset < whole; offset += 8) {
        state.compress(load_little_endian(bytes.data() + offset, 8));
    }
    // The last word: the 0..7 bytes left, and the length mod 256 in its top byte.
    state.compress(load_little_endian(bytes.data() + whole, bytes.size() - whole) |
                   std::uint64_t(bytes.size() & 0xff) << 56);
    // Finalisation: d = 4 SipRounds.
    state.v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) state.round();
    return state.v0 ^ state.v1 ^ state.v2 ^ state.v3;
}

hash_input& hash_input::add(std::uint64_t value, std::size_t byte_count) noexcept {
    // Fields are fixed by the callers; a field past the end would be a bug, so it is cut off
    // rather than written past the buffer.
    for (std::size_t i = byte_count; i-- > 0 && size_ < capacity;) {
        bytes_[size_++] = std::byte((value >> (8 * i)) & 0xff);
    }
    return *this;
}

hash_input& hash_input::add(const four_tuple& tuple) noexcept {
    return add(tuple.local.value, 4).add(tuple.local_port, 2).add(tuple.remote.value, 4).add(tuple.remote_port, 2);
}

}  // namespace sluice::net::tcp
