// Synchronous socket I/O with a deadline.
//
// Asio's synchronous reads and writes cannot be bounded in time: SO_RCVTIMEO makes recv()
// fail with EAGAIN, and Asio then falls back to an unbounded poll(). So request sockets are
// kept in non-blocking mode, and when an operation would block we wait for readiness here,
// with poll() and the remaining time. This is the one place where POSIX is used directly:
// Asio has no timed synchronous wait.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>

#include <boost/asio/buffer.hpp>

#include "socketserver/request.hpp"

namespace socketserver::detail {

using Clock = std::chrono::steady_clock;
/// No deadline means wait for ever.
using Deadline = std::optional<Clock::time_point>;

/// The deadline `timeout` from now, or none.
Deadline deadline_after(const std::optional<std::chrono::duration<double>>& timeout);

enum class Readiness { readable, writable };

/// Waits until @p fd is ready or @p deadline passes (then throws system_error timed_out).
void wait_until_ready(int fd, Readiness readiness, const Deadline& deadline);

/// Reads at least one byte into @p buffer, or returns 0 at end of stream.
/// @p poll_first skips the first read attempt when data is unlikely to be there yet.
std::size_t read_some(StreamSocket& socket, boost::asio::mutable_buffer buffer,
                      const Deadline& deadline, bool poll_first);

/// Writes at least one byte of @p buffer; returns how many were written.
std::size_t write_some(StreamSocket& socket, std::span<const boost::asio::const_buffer> buffers,
                       const Deadline& deadline);

/// Sends @p buffer to @p destination as one datagram, waiting for room until @p deadline.
void send_datagram(DatagramSocket& socket, boost::asio::const_buffer buffer,
                   const DatagramEndpoint& destination, const Deadline& deadline);

} // namespace socketserver::detail
