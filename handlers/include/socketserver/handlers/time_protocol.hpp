/// @file
/// @brief The time protocol (RFC 868): seconds since 1900-01-01 00:00 UTC as a 4-byte
/// big-endian integer, what `rdate` asks for.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <socketserver/datagram_request_handler.hpp>
#include <socketserver/stream_request_handler.hpp>

#include "socketserver/handlers/clock.hpp"

namespace socketserver::handlers {

/// Seconds from 1900-01-01 to 1970-01-01 (the Unix epoch), both at 00:00 UTC.
inline constexpr std::uint64_t rfc868_epoch_offset = 2'208'988'800;

/// @p when as RFC 868 time: whole seconds since 1900-01-01 00:00 UTC, modulo 2^32 (the
/// 32-bit count wraps in 2036, as every RFC 868 peer expects).
std::uint32_t rfc868_time(std::chrono::system_clock::time_point when) noexcept;

/// The 4 bytes RFC 868 sends for @p when, most significant first.
std::string rfc868_bytes(std::chrono::system_clock::time_point when);

/// Time over a connection: sends the 4 bytes in one write, then the server closes.
using TimeHandler = ClockHandler<StreamRequestHandler, rfc868_bytes>;

/// Time over datagrams: each datagram (`rdate -u` sends an empty one) is answered with
/// the 4 bytes.
using TimeDatagramHandler = ClockHandler<DatagramRequestHandler, rfc868_bytes>;

} // namespace socketserver::handlers
