/// @file
/// @brief sleep_for(): a pause that does not hold an event loop.
#pragma once

#include <chrono>

#include "socketserver/seconds.hpp"

namespace socketserver {

/// Pauses the calling handler for @p duration. In a fiber (AsyncMixIn) only this request
/// waits: the loop serves the others meanwhile. Elsewhere it is
/// std::this_thread::sleep_for(). In a fiber it throws `boost::system::system_error`
/// (`operation_aborted`) when the server cuts its requests during the pause (the drain
/// timeout passed).
void sleep_for(Seconds duration);

/// Like sleep_for(Seconds), for any std::chrono duration.
template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> duration) {
  sleep_for(std::chrono::duration_cast<Seconds>(duration));
}

} // namespace socketserver
