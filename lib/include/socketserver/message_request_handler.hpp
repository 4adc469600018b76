/// @file
/// @brief MessageRequestHandler: a stream handler that serves one message at a time.
#pragma once

#include "socketserver/stream_request_handler.hpp"

namespace socketserver {

/// A StreamRequestHandler whose connection is a series of independent messages
/// (requests and their replies), served by handle_message() one at a time — the shape of
/// Python's `http.server`, with its `handle_one_request()` and `close_connection`.
///
/// ```cpp
/// struct LineEcho : socketserver::MessageRequestHandler {
///   void handle_message() override {
///     std::string line = rfile.readline();
///     if (line.empty()) close_connection = true;  // the client closed
///     else wfile.write(line);
///   }
/// };
/// ```
///
/// handle() is fixed: it calls handle_message() until #close_connection is set or #rfile
/// reaches end of stream, so in every mode the handler serves its connection just like a
/// StreamRequestHandler. (To serve many connections on one thread, run any handler in
/// async mode: AsyncMixIn with one loop thread.)
class MessageRequestHandler : public StreamRequestHandler {
public:
  /// Set by handle_message() to end the connection after this message (Python's
  /// `close_connection`).
  bool close_connection = false;

  /// Serves one message read from #rfile, answering through #wfile. Called when bytes
  /// have arrived (or the peer closed): a read that finds end of stream means the client
  /// is done; set #close_connection then, or the connection ends anyway once #rfile is
  /// at end of stream.
  virtual void handle_message() = 0;

  /// Calls handle_message() until #close_connection or end of stream. Two calls in a row
  /// that consume nothing from #rfile (and neither close nor reach end of stream) would
  /// repeat for ever at full speed, so the second one throws std::runtime_error, which
  /// ends the connection with a log line (handle_error()).
  void handle() final;

private:
  void serve_one_message();

  unsigned idle_calls_ = 0;
};

} // namespace socketserver
