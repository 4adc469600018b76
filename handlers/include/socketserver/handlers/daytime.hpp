/// @file
/// @brief The daytime protocol (RFC 867): the local time as text, in C's `ctime` format.
#pragma once

#include <chrono>
#include <string>

#include <socketserver/datagram_request_handler.hpp>
#include <socketserver/stream_request_handler.hpp>

#include "socketserver/handlers/clock.hpp"

namespace socketserver::handlers {

/// @p when in local time, formatted as C's `ctime` and Python's `time.ctime()` do, without
/// the newline: `Sat Nov 21 22:12:21 2026`, day of month padded with a space
/// (`Sun Nov  1 ...`). Always English names: the result does not depend on the locale.
std::string ctime_text(std::chrono::system_clock::time_point when);

/// The daytime reply for @p when: ctime_text() and a newline.
std::string daytime_reply(std::chrono::system_clock::time_point when);

/// Daytime over a connection: sends `ctime_text(now) + "\n"` in one write, then the server
/// closes the connection. The client need not send anything.
using DaytimeHandler = ClockHandler<StreamRequestHandler, daytime_reply>;

/// Daytime over datagrams: each datagram (empty ones included) is answered with the time.
using DaytimeDatagramHandler = ClockHandler<DatagramRequestHandler, daytime_reply>;

} // namespace socketserver::handlers
