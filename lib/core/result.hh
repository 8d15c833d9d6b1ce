// sluice::result<T>: the control-path error convention. A call that can fail for a
// reason a user can fix returns either a value or an `error` whose message names the
// problem and the fix, in one line. The data path uses counts and [[nodiscard]] instead.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sluice {

struct error {
    std::string message;  // one line: what went wrong and how to fix it
};

template <typename T>
class [[nodiscard]] result {
public:
    result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    result(error failure) : state_(std::in_place_index<1>, std::move(failure)) {}

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const error& failure() const { return std::get<1>(state_); }
    const std::string& message() const { return failure().message; }

private:
    std::variant<T, error> state_;
};

template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(error failure) : failure_(std::move(failure)), ok_(false) {}

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const error& failure() const { return failure_; }
    const std::string& message() const { return failure_.message; }

private:
    error failure_;
    bool ok_ = true;
};

}  // namespace sluice
