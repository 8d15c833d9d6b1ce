// What the kill -9 test's writer appends: a payload derived from (appender, count), so the
// test can rebuild and compare every acknowledged record. Pure functions; test code only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace sluice::testing {

inline std::vector<std::byte> crash_test_payload(std::uint32_t appender, std::uint64_t count) {
    std::vector<std::byte> payload(12 + (appender * 7 + count * 13) % 500);
    std::memcpy(payload.data(), &appender, 4);
    std::memcpy(payload.data() + 4, &count, 8);
    for (std::size_t i = 12; i < payload.size(); ++i) payload[i] = std::byte((appender * 31 + count * 17 + i) & 0xFF);
    return payload;
}

}  // namespace sluice::testing
