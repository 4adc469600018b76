/// @file
/// @brief SocketReader and SocketWriter: `rfile` and `wfile` of a stream connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>

#include <boost/asio/buffer.hpp>

#include "socketserver/reader.hpp"
#include "socketserver/request.hpp"
#include "socketserver/seconds.hpp"
#include "socketserver/writer.hpp"

namespace socketserver {

class TLSSession;

/// Reads a connection with a deadline: each public call (a whole `readline()`, a whole
/// `read_exactly()`) must finish within #timeout, so a peer that goes silent, or that
/// trickles a line one byte at a time, raises `boost::system::system_error` with
/// `boost::asio::error::timed_out` instead of holding the handler for ever.
class SocketReader : public ByteReader {
public:
  /// A reader not yet attached to a connection.
  SocketReader() = default;

  /// Reads from @p socket (blocking or non-blocking mode).
  void attach(StreamSocket& socket) { attach(socket, nullptr); }
  /// Reads the TLS stream @p session carries over @p socket (its handshake done).
  void attach(StreamSocket& socket, TLSSession& session) { attach(socket, &session); }

  /// Time limit of each read call; none waits for ever.
  Timeout timeout;

  /// True once attach() was called.
  bool attached() const noexcept { return socket_ != nullptr; }

  /// Writes the rest of the stream, or its next @p count bytes, to the open file (or pipe,
  /// or socket) @p file_descriptor and returns how many bytes that was: the receiving
  /// counterpart of SocketWriter::send_file(). Buffered bytes go first; the rest moves with
  /// the kernel's splice(2) through a pipe, so the payload is never copied through the
  /// process (read and write take over when @p file_descriptor does not accept splice, as
  /// with O_APPEND files, and under TLS, whose bytes must be decrypted). Unlike the other reads, #timeout bounds inactivity here: each
  /// wait for more bytes may last that long, so a long transfer is not cut off.
  std::uint64_t read_to_file(int file_descriptor,
                             std::uint64_t count = std::numeric_limits<std::uint64_t>::max());

protected:
  /// Starts the deadline of one read call.
  void begin_operation() override;
  /// Reads what the socket has, waiting until the deadline.
  std::size_t fill(char* data, std::size_t size) override;
  /// Waits for bytes on a non-blocking socket (one a fiber serves) before a buffer is
  /// taken; a blocking socket waits in recv() itself.
  void wait_for_bytes() override;

private:
  void attach(StreamSocket& socket, TLSSession* session) {
    socket_ = &socket;
    tls_ = session;
    kernel_timeout_.reset();
    filled_ = false;
  }

  StreamSocket* socket_ = nullptr;
  TLSSession* tls_ = nullptr;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::optional<Seconds> kernel_timeout_;  // what SO_RCVTIMEO holds
  bool first_fill_ = true;                 // of the current operation
  bool filled_ = false;                    // the last read filled its buffer: more may be there
};

/// Writes a connection completely (like `sendall`), optionally buffered.
///
/// #timeout bounds inactivity: each write waits at most that long for the peer to make
/// room, so a peer that stops reading costs the handler at most #timeout.
class SocketWriter : public ByteWriter {
public:
  /// A writer not yet attached to a connection.
  SocketWriter() = default;

  /// Writes to @p socket (blocking or non-blocking mode); @p buffer_size 0 sends at once.
  void attach(StreamSocket& socket, std::size_t buffer_size) { attach(socket, nullptr, buffer_size); }
  /// Writes through the TLS stream @p session carries over @p socket (its handshake done).
  void attach(StreamSocket& socket, TLSSession& session, std::size_t buffer_size) {
    attach(socket, &session, buffer_size);
  }

  /// Inactivity limit of each write; none waits for ever.
  Timeout timeout;

  /// True once attach() was called.
  bool attached() const noexcept { return socket_ != nullptr; }

  /// The slowest transfer tolerated, in bytes per second (0: no minimum). A write() or
  /// send_file() of N bytes must then finish within #timeout plus N / min_rate seconds
  /// in all, however often the peer takes a few bytes, so a reader that trickles cannot
  /// hold the connection for ever: it fails with `boost::asio::error::timed_out`.
  std::size_t min_rate = 0;

  using ByteWriter::write;
  /// Sends the @p pieces (gathered into one system call when nothing is buffered).
  void write(std::span<const std::string_view> pieces) override;
  /// Sends whatever is buffered.
  void flush() override;

  /// Sends @p count bytes of the open file @p file_descriptor, starting at @p offset, with
  /// the kernel's sendfile(2): the bytes go from the page cache to the socket without a
  /// copy through the process (Python's `socket.sendfile()`); under TLS, which must
  /// encrypt them, the file is read and written in 64 KiB pieces instead. Flushes the buffer first;
  /// #timeout bounds inactivity as for write(). Returns the bytes sent, fewer than
  /// @p count only when the file ends first.
  std::uint64_t send_file(int file_descriptor, std::uint64_t offset, std::uint64_t count);

private:
  void attach(StreamSocket& socket, TLSSession* session, std::size_t buffer_size) {
    socket_ = &socket;
    tls_ = session;
    buffer_size_ = buffer_size;
    kernel_timeout_.reset();
  }
  void apply_timeout();
  std::uint64_t send_file_through_tls(int file_descriptor, std::uint64_t offset, std::uint64_t count);
  std::size_t send_some(std::span<const boost::asio::const_buffer> buffers,
                        const std::optional<std::chrono::steady_clock::time_point>& deadline);
  std::optional<std::chrono::steady_clock::time_point> transfer_deadline(std::uint64_t bytes) const;
  std::optional<std::chrono::steady_clock::time_point> next_deadline(
      const std::optional<std::chrono::steady_clock::time_point>& whole) const;
  [[noreturn]] void throw_too_slow() const;
  template <class Send>
  std::size_t within_rate(const std::optional<std::chrono::steady_clock::time_point>& whole, Send send) const;
  void send_all(std::span<const std::string_view> pieces);
  std::uint64_t paced(std::uint64_t wanted) const;

  StreamSocket* socket_ = nullptr;
  TLSSession* tls_ = nullptr;
  std::optional<Seconds> kernel_timeout_;  // what SO_SNDTIMEO holds
  std::size_t buffer_size_ = 0;
  std::string buffer_;
};

} // namespace socketserver
