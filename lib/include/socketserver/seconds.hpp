/// @file
/// @brief Seconds: the duration type of every timeout.
#pragma once

#include <chrono>
#include <optional>
#include <type_traits>

namespace socketserver {

/// A duration in seconds, fractional allowed: `Seconds(2.5)`, or any `std::chrono`
/// duration (`500ms`) converted to it.
using Seconds = std::chrono::duration<double>;

/// An optional time limit that takes plain seconds: `timeout = 5;`, `timeout = 0.5;`,
/// `timeout = 200ms;`, or `timeout = std::nullopt;` for no limit. Otherwise it is a
/// `std::optional<Seconds>`.
class Timeout : public std::optional<Seconds> {
public:
  /// No limit.
  constexpr Timeout() noexcept = default;
  /// No limit.
  constexpr Timeout(std::nullopt_t) noexcept {}
  /// @p limit, or none.
  constexpr Timeout(const std::optional<Seconds>& limit) noexcept : std::optional<Seconds>(limit) {}
  /// @p seconds seconds.
  template <class Number>
    requires std::is_arithmetic_v<Number>
  constexpr Timeout(Number seconds) noexcept : std::optional<Seconds>(Seconds(static_cast<double>(seconds))) {}
  /// Any `std::chrono` duration.
  template <class Rep, class Period>
  constexpr Timeout(std::chrono::duration<Rep, Period> limit) noexcept
      : std::optional<Seconds>(std::chrono::duration_cast<Seconds>(limit)) {}
};

} // namespace socketserver
