/// @file
/// @brief ClockHandler: the one shape of the time services (daytime, time): every request
/// is answered with the current time, written the way the protocol writes it.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace socketserver::handlers {

/// Where the time handlers get the current time (the system clock by default; tests can
/// pass a fixed one).
using TimeSource = std::function<std::chrono::system_clock::time_point()>;

/// How a time protocol writes a moment: the bytes of its reply.
using TimeFormat = std::string (*)(std::chrono::system_clock::time_point when);

/// A time service: reads the clock, writes the moment with @p Format and sends it in one
/// write.
///
/// Over a connection (@p Base is StreamRequestHandler) the server closes the connection
/// after the reply, and the client need not send anything; over datagrams (@p Base is
/// DatagramRequestHandler) every datagram, an empty one too, is answered.
///
/// @tparam Base StreamRequestHandler or DatagramRequestHandler.
/// @tparam Format the protocol's way of writing the time, e.g. daytime_reply().
template <class Base, TimeFormat Format>
class ClockHandler : public Base {
public:
  /// @param now the clock to read.
  explicit ClockHandler(TimeSource now = std::chrono::system_clock::now) : now_(std::move(now)) {}
  /// Sends the time.
  void handle() override { this->wfile.write(Format(now_())); }

private:
  TimeSource now_;
};

} // namespace socketserver::handlers
