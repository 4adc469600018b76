/// @file
/// @brief detail::deadline_after(): the one place a timeout becomes a point in time.
#pragma once

#include <chrono>
#include <optional>

#include "socketserver/seconds.hpp"

namespace socketserver::detail {

/// The clock of every deadline.
using Clock = std::chrono::steady_clock;
/// A point in time to give up at; none means wait for ever.
using Deadline = std::optional<Clock::time_point>;

/// @p duration on the clock, saturated: a duration longer than the clock can hold (a
/// century, say) becomes the longest it can, instead of overflowing into the past.
Clock::duration clock_duration(Seconds duration) noexcept;

/// The point in time @p duration from now (saturated like clock_duration()).
Clock::time_point time_after(Seconds duration) noexcept;

/// The deadline @p timeout from now, or none when there is no timeout.
inline Deadline deadline_after(const std::optional<Seconds>& timeout) noexcept {
  if (!timeout) return std::nullopt;
  return time_after(*timeout);
}

} // namespace socketserver::detail
