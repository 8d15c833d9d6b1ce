// What the libFuzzer targets in tests/fuzz share: an invariant check that aborts with the
// broken rule (libFuzzer then saves the input), a reader that takes fields from the input's
// bytes, and EAL with one mbuf pool, started once per fuzzing process. One thread: the
// fuzzer calls every target on its main thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <unistd.h>

#include "sluice/dpdk/eal.hh"
#include "sluice/net/packet_pool.hh"

// A broken invariant: says which and where, then aborts so the fuzzer keeps the input.
#define SLUICE_FUZZ_CHECK(condition, ...)                                                      \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            std::fprintf(stderr, "fuzz: invariant broken at %s:%d: %s: ", __FILE__, __LINE__, \
                         #condition);                                                          \
            std::fprintf(stderr, __VA_ARGS__);                                                 \
            std::fputc('\n', stderr);                                                          \
            std::abort();                                                                      \
        }                                                                                      \
    } while (false)

namespace sluice::fuzz {

// Fields read from the front of the input; past the end every read gives zeros, so any
// input decodes to something.
class input_reader {
public:
    explicit input_reader(std::span<const std::uint8_t> bytes) noexcept : bytes_(bytes) {}

    bool empty() const noexcept { return at_ >= bytes_.size(); }
    std::size_t left() const noexcept { return empty() ? 0 : bytes_.size() - at_; }
    std::uint8_t u8() noexcept { return empty() ? 0 : bytes_[at_++]; }
    std::uint16_t u16() noexcept { return std::uint16_t(u8() << 8 | u8()); }
    std::uint32_t u32() noexcept { return std::uint32_t(u16()) << 16 | u16(); }
    // Up to n bytes, fewer at the end.
    std::span<const std::uint8_t> take(std::size_t n) noexcept {
        const std::size_t count = n < left() ? n : left();
        auto out = bytes_.subspan(at_, count);
        at_ += count;
        return out;
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t at_ = 0;
};

inline std::span<const std::byte> as_bytes(std::span<const std::uint8_t> bytes) noexcept {
    return {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()};
}

// EAL (no hugepages, no PCI, no shared config files, a file prefix of this process's own:
// DPDK 22.11 refuses --in-memory beside --no-huge, which implies legacy memory) and one mbuf
// pool made current on the calling thread; both live until the process ends. The pool has
// no per-lcore cache, so available() == capacity() says every mbuf came back. Exits with
// the reason when EAL does not start: nothing can be fuzzed without mbufs.
inline net::packet_pool& start_eal_once(const char* program, unsigned mbufs = 4095) {
    static net::packet_pool* pool = [&] {
        auto started = dpdk::eal::start(program, {"--no-huge", "--no-pci", "--no-shconf", "-m", "256",
                                                  "--file-prefix=" + std::string(program) + "-" + std::to_string(getpid())});
        if (!started) {
            std::fprintf(stderr, "fuzz: EAL did not start: %s\n", started.message().c_str());
            std::exit(1);
        }
        static std::unique_ptr<dpdk::eal> running = std::move(*started);
        auto made = net::packet_pool::create({.name = "fuzz", .count = mbufs, .cache_size = 0});
        if (!made) {
            std::fprintf(stderr, "fuzz: no mbuf pool: %s\n", made.message().c_str());
            std::exit(1);
        }
        static net::packet_pool owned = std::move(made).value();
        net::packet_pool::set_current(&owned);
        return &owned;
    }();
    return *pool;
}

}  // namespace sluice::fuzz
