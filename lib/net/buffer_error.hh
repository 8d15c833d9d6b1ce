// sluice::net::buffer_error and buffer_result<T>: how a packet-buffer operation on the data
// path says it could not be done — a small code, no string, no exception (STYLE, errors).
// Plain values usable on any shard; a result owns the value it carries, nothing else.
#pragma once

#include <cassert>
#include <cstdint>
#include <string_view>
#include <utility>

namespace sluice::net {

enum class buffer_error : std::uint8_t {
    pool_empty,         // the pool had no free mbuf: drop, or retry on a later turn
    no_pool,            // no pool given, none current on this thread, and the packet has none
    too_large,          // more contiguous bytes than one mbuf holds, or a length past 4 GiB
    out_of_range,       // an offset or length past the end of the packet
    too_many_segments,  // the chain would pass DPDK's limit of 65535 segments
};

// A short phrase for logs and test failures ("the packet pool has no free mbuf").
constexpr std::string_view describe(buffer_error error) noexcept {
    switch (error) {
        case buffer_error::pool_empty: return "the packet pool has no free mbuf";
        case buffer_error::no_pool: return "no packet pool: pass one or set the shard's current pool";
        case buffer_error::too_large: return "more bytes than one mbuf (or one packet) can hold";
        case buffer_error::out_of_range: return "offset or length past the end of the packet";
        case buffer_error::too_many_segments: return "more than 65535 segments in one chain";
    }
    return "unknown buffer error";
}

// A value or a buffer_error. T must be default-constructible and cheap to move (spans,
// packets): storing both side by side keeps this free of std::variant's machinery.
template <typename T>
class [[nodiscard]] buffer_result {
public:
    buffer_result(T value) noexcept : value_(std::move(value)) {}
    buffer_result(buffer_error error) noexcept : error_(error), ok_(false) {}

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }

    T& value() & noexcept {
        assert(ok_);
        return value_;
    }
    const T& value() const& noexcept {
        assert(ok_);
        return value_;
    }
    T&& value() && noexcept {
        assert(ok_);
        return std::move(value_);
    }
    T& operator*() & noexcept { return value(); }
    const T& operator*() const& noexcept { return value(); }
    T&& operator*() && noexcept { return std::move(*this).value(); }
    T* operator->() noexcept { return &value(); }
    const T* operator->() const noexcept { return &value(); }

    buffer_error error() const noexcept {
        assert(!ok_);
        return error_;
    }

private:
    T value_{};
    buffer_error error_{};
    bool ok_ = true;
};

template <>
class [[nodiscard]] buffer_result<void> {
public:
    buffer_result() noexcept = default;
    buffer_result(buffer_error error) noexcept : error_(error), ok_(false) {}

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    buffer_error error() const noexcept {
        assert(!ok_);
        return error_;
    }

private:
    buffer_error error_{};
    bool ok_ = true;
};

}  // namespace sluice::net
