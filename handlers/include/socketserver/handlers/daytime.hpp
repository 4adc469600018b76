/// @file
/// @brief The daytime protocol (RFC 867): the local time as text, in C's `ctime` format.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <socketserver/datagram_request_handler.hpp>
#include <socketserver/stream_request_handler.hpp>

namespace socketserver::handlers {

/// Where the time handlers get the current time (the system clock by default; tests can
/// pass a fixed one).
using TimeSource = std::function<std::chrono::system_clock::time_point()>;

/// @p when in local time, formatted as C's `ctime` and Python's `time.ctime()` do, without
/// the newline: `Sat Nov 21 22:12:21 2026`, day of month padded with a space
/// (`Sun Nov  1 ...`). Always English names: the result does not depend on the locale.
std::string ctime_text(std::chrono::system_clock::time_point when);

/// Daytime over a connection: sends `ctime_text(now) + "\n"` in one write, then the server
/// closes the connection. The client need not send anything.
class DaytimeHandler : public StreamRequestHandler {
public:
  /// @param now the clock to read.
  explicit DaytimeHandler(TimeSource now = std::chrono::system_clock::now) : now_(std::move(now)) {}
  /// Sends the time.
  void handle() override;

private:
  TimeSource now_;
};

/// Daytime over datagrams: each datagram (empty ones included) is answered with the time.
class DaytimeDatagramHandler : public DatagramRequestHandler {
public:
  /// @param now the clock to read.
  explicit DaytimeDatagramHandler(TimeSource now = std::chrono::system_clock::now) : now_(std::move(now)) {}
  /// Replies with the time.
  void handle() override;

private:
  TimeSource now_;
};

} // namespace socketserver::handlers
