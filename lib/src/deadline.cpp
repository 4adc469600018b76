#include "socketserver/detail/deadline.hpp"

#include <cmath>

namespace socketserver::detail {

Clock::duration clock_duration(Seconds duration) noexcept {
  // A quarter of the clock's range from now is still centuries away, and leaves room for
  // now() + duration without overflow.
  constexpr auto longest = Clock::duration::max() / 4;
  if (std::isnan(duration.count()) || duration.count() <= 0) return Clock::duration::zero();
  if (duration >= std::chrono::duration_cast<Seconds>(longest)) return longest;
  return std::chrono::duration_cast<Clock::duration>(duration);
}

Clock::time_point time_after(Seconds duration) noexcept { return Clock::now() + clock_duration(duration); }

} // namespace socketserver::detail
