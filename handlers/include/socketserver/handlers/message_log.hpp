/// @file
/// @brief The message log: prints every message a client sends, with its address (the
/// tutorials' "print cliente, msg" servers).
#pragma once

#include <cstddef>

#include <socketserver/datagram_request_handler.hpp>
#include <socketserver/stream_request_handler.hpp>

#include "socketserver/handlers/output.hpp"

namespace socketserver::handlers {

/// Logs a connection: `Connected by HOST:PORT`, then `HOST:PORT MESSAGE` for each piece of
/// data as it arrives (up to `piece_size` bytes, like `recv(1024)`; trailing newline
/// removed), then `Closing connection from HOST:PORT` when the client closes. Sends nothing.
class MessageLogHandler : public StreamRequestHandler {
public:
  /// @param log where the lines go; @param piece_size the most bytes read at a time.
  explicit MessageLogHandler(LineSink log = stdout_sink(), std::size_t piece_size = 1024)
      : log_(std::move(log)), piece_size_(piece_size) {}
  /// Logs each piece until end of stream.
  void handle() override;

private:
  LineSink log_;
  std::size_t piece_size_;
};

/// Logs each datagram as `HOST:PORT MESSAGE` (trailing newline removed). Sends nothing.
class MessageLogDatagramHandler : public DatagramRequestHandler {
public:
  /// @param log where the lines go.
  explicit MessageLogDatagramHandler(LineSink log = stdout_sink()) : log_(std::move(log)) {}
  /// Logs the datagram.
  void handle() override;

private:
  LineSink log_;
};

} // namespace socketserver::handlers
