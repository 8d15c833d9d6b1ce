// sluice::storage::io_result: what a storage operation gives back — a byte count (or 0)
// on success, or -errno in liburing's convention, plus an optional one-line detail when
// Sluice itself refused the request (an O_DIRECT alignment, the wrong shard). A plain
// value, made and read on the shard that awaited the operation.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace sluice::storage {

class [[nodiscard]] io_result {
public:
    io_result() = default;
    // `value` >= 0: success (bytes moved, or 0); < 0: -errno.
    explicit io_result(std::int64_t value) noexcept : value_(value) {}
    io_result(std::int64_t value, std::string detail) : value_(value), detail_(std::move(detail)) {}

    static io_result failure(int error_number, std::string detail = {}) {
        return io_result(-std::int64_t(error_number), std::move(detail));
    }

    bool ok() const noexcept { return value_ >= 0; }
    explicit operator bool() const noexcept { return ok(); }

    // Bytes moved (or 0) when ok(); -errno otherwise.
    std::int64_t value() const noexcept { return value_; }
    // The positive errno, or 0 on success.
    int error_number() const noexcept { return ok() ? 0 : int(-value_); }

    // One line: Sluice's own reason if it refused the request, else strerror.
    std::string message() const {
        if (!detail_.empty()) return detail_;
        if (ok()) return "ok";
        return std::strerror(error_number());
    }

private:
    std::int64_t value_ = 0;
    std::string detail_;
};

}  // namespace sluice::storage
