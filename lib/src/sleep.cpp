#include "socketserver/sleep.hpp"

#include <thread>

#include "fiber.hpp"

namespace socketserver {

void sleep_for(Seconds duration) {
  if (duration <= Seconds::zero()) return;
  if (detail::Fiber* fiber = detail::Fiber::current()) return fiber->sleep_until(detail::time_after(duration));
  std::this_thread::sleep_for(duration);
}

} // namespace socketserver
