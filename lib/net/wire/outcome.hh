// sluice::net::wire::outcome<T, Code>: the data path's one result shape, a value or the
// small code that says why there is none (no string, no exception). The wire parsers return
// outcome<T, drop_reason> (parse_result.hh); packet buffers return outcome<T, buffer_error>
// (lib/net/buffer_error.hh). A plain value owning its T; any thread.
#pragma once

#include <cassert>
#include <utility>

namespace sluice::net::wire {

// T must be default-constructible and cheap to move (header values, spans, packets):
// storing both side by side keeps this free of std::variant's machinery.
template <typename T, typename Code>
class [[nodiscard]] outcome {
public:
    outcome(T value) noexcept : value_(std::move(value)) {}
    outcome(Code code) noexcept : error_(code), ok_(false) {}

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

    // Why there is no value; only for a failed outcome.
    Code error() const noexcept {
        assert(!ok_);
        return error_;
    }

private:
    T value_{};
    Code error_{};
    bool ok_ = true;
};

// Done, or the code that says why not.
template <typename Code>
class [[nodiscard]] outcome<void, Code> {
public:
    outcome() noexcept = default;
    outcome(Code code) noexcept : error_(code), ok_(false) {}

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    Code error() const noexcept {
        assert(!ok_);
        return error_;
    }

private:
    Code error_{};
    bool ok_ = true;
};

}  // namespace sluice::net::wire
