/// @file
/// @brief ByteWriter: the interface of Python's `wfile`.
#pragma once

#include <initializer_list>
#include <span>
#include <string_view>

namespace socketserver {

/// Where a handler writes its reply: a connection (SocketWriter) or a datagram (PacketWriter).
class ByteWriter {
public:
  virtual ~ByteWriter() = default;

  /// Writes all of @p data (like `sendall`); may buffer, see flush().
  void write(std::string_view data) { write(std::span<const std::string_view>(&data, 1)); }

  /// Writes the @p pieces back to back, as one reply (one system call when unbuffered).
  void write(std::initializer_list<std::string_view> pieces) {
    write(std::span<const std::string_view>(pieces.begin(), pieces.size()));
  }

  /// Writes the @p pieces back to back, as one reply.
  virtual void write(std::span<const std::string_view> pieces) = 0;

  /// Sends whatever is buffered.
  virtual void flush() {}
};

} // namespace socketserver
