// Synchronous socket I/O with a deadline.
//
// Asio's synchronous reads and writes cannot be bounded in time: SO_RCVTIMEO makes recv()
// fail with EAGAIN, and Asio then falls back to an unbounded poll(). So the data path of
// rfile and wfile calls recv()/sendmsg() itself — the one place where POSIX socket calls are
// used directly, because Asio has no timed synchronous operation:
//
// - the first read of an operation, and every write, is an ordinary blocking call bounded
//   by the kernel's SO_RCVTIMEO / SO_SNDTIMEO: one system call when the peer is live, as
//   with Python's blocking sockets;
// - a read later in the same operation (the rest of a line, say) must not wait longer than
//   what is left of the deadline, so it does not block: MSG_DONTWAIT, then poll() with the
//   remaining time.
//
// The same code works on sockets in non-blocking mode (EAGAIN at once, then the wait):
// sockets served by fibers are non-blocking, and their wait suspends the fiber instead of
// calling poll() (wait_until_ready()).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <boost/asio/buffer.hpp>

#include "socketserver/detail/deadline.hpp"
#include "socketserver/request.hpp"

namespace socketserver::detail {

enum class Readiness { readable, writable };

/// Waits until @p socket is ready or @p deadline passes (then throws system_error
/// timed_out): the one place that knows the concurrency mode. In a fiber (async mode) the
/// fiber suspends and its loop serves others meanwhile; elsewhere the thread blocks in
/// poll().
void wait_until_ready(StreamSocket& socket, Readiness readiness, const Deadline& deadline);
/// Likewise for a datagram socket.
void wait_until_ready(DatagramSocket& socket, Readiness readiness, const Deadline& deadline);

enum class KernelTimeout { receive, send };

/// Sets SO_RCVTIMEO or SO_SNDTIMEO of @p fd to @p timeout (none: no limit).
void set_kernel_timeout(int fd, KernelTimeout which, const std::optional<std::chrono::duration<double>>& timeout);

/// Reads at least one byte into @p buffer, or returns 0 at end of stream. With
/// @p may_block, a blocking socket waits in recv() itself (bounded by SO_RCVTIMEO, which
/// must not exceed what is left until @p deadline); otherwise the wait is a poll() bounded
/// by @p deadline.
std::size_t read_some(StreamSocket& socket, boost::asio::mutable_buffer buffer,
                      const Deadline& deadline, bool may_block);

/// Writes at least one byte of @p buffers; returns how many were written. A blocking
/// socket waits in sendmsg() (bounded by SO_SNDTIMEO), a non-blocking one in poll().
std::size_t write_some(StreamSocket& socket, std::span<const boost::asio::const_buffer> buffers,
                       const Deadline& deadline);

/// Sends up to @p count bytes of @p file from @p offset with sendfile(2); returns how many
/// were sent (0 at the end of the file).
std::size_t send_file_some(StreamSocket& socket, int file, std::uint64_t offset, std::uint64_t count,
                           const Deadline& deadline);

/// Moves up to @p count bytes from @p socket into the pipe @p pipe_write with splice(2),
/// without a copy through the process; returns how many (0 at end of stream). The first
/// try blocks in splice() (bounded by SO_RCVTIMEO), later waits are a poll() bounded by
/// @p deadline, as in read_some(); the pipe must have room for @p count bytes.
std::size_t splice_some(StreamSocket& socket, int pipe_write, std::size_t count, const Deadline& deadline);

/// Sends @p buffer to @p destination as one datagram, waiting for room until @p deadline.
void send_datagram(DatagramSocket& socket, boost::asio::const_buffer buffer,
                   const DatagramEndpoint& destination, const Deadline& deadline);

} // namespace socketserver::detail
