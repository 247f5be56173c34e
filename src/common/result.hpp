#pragma once
// The one result type for expected failures (README, error policy): a value, or the error that
// says why there is none — std::expected's shape (GCC 12's C++20 has no std::expected). Real
// errors (I/O, a damaged database, a broken invariant) stay exceptions.
//
//   Result<int64_t, KeyRefusal> add(...);      return id;  /  return
//   Failure{KeyRefusal::too_short}; if (!result) return answer_for(result.error());
//
// Result<void, E> is "done, or E". Reading value() of a failure (or error() of a success) is a
// programming error and throws std::logic_error.

#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace pbx::common {

// The error a function returns instead of its value.
template <class E>
struct Failure {
  E error;
};
template <class E>
Failure(E) -> Failure<E>;

template <class T, class E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  template <class F>
  requires std::is_constructible_v<E, F> Result(Failure<F> failure)  // NOLINT: implicit
      : state_(std::in_place_index<1>, std::move(failure.error)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(checked(true)); }
  const T& value() const& { return std::get<0>(checked(true)); }
  T&& value() && { return std::get<0>(std::move(checked(true))); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  const E& error() const { return std::get<1>(checked(false)); }

 private:
  std::variant<T, E>& checked(bool want_value) {
    if (has_value() != want_value) throw std::logic_error(bad_access(want_value));
    return state_;
  }
  const std::variant<T, E>& checked(bool want_value) const {
    if (has_value() != want_value) throw std::logic_error(bad_access(want_value));
    return state_;
  }
  static const char* bad_access(bool want_value) {
    return want_value ? "Result: value() of a failure" : "Result: error() of a success";
  }
  std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  template <class F>
  requires std::is_constructible_v<E, F> Result(Failure<F> failure)  // NOLINT: implicit
      : state_(std::in_place_index<1>, std::move(failure.error)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  const E& error() const {
    if (has_value()) throw std::logic_error("Result: error() of a success");
    return std::get<1>(state_);
  }

 private:
  std::variant<std::monostate, E> state_;
};

}  // namespace pbx::common
