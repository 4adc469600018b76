/// @file
/// @brief StreamRequestHandler: a handler for one connection, with `rfile` and `wfile`.
#pragma once

#include <cstddef>
#include <optional>

#include "socketserver/base_request_handler.hpp"
#include "socketserver/socket_io.hpp"

namespace socketserver {

/// Python's `StreamRequestHandler`: read the connection through #rfile, answer through
/// #wfile.
///
/// ```cpp
/// struct Echo : socketserver::StreamRequestHandler {
///   void handle() override {
///     for (const std::string& line : rfile.lines()) wfile.write(line);
///   }
/// };
/// ```
///
/// Set the attributes in your constructor; setup() applies them.
class StreamRequestHandler : public BaseRequestHandler {
public:
  /// Limit for each read and write; when unset, the server's `request_timeout` applies.
  std::optional<Seconds> timeout;
  /// Set TCP_NODELAY on TCP connections, for small replies that must leave at once.
  bool disable_nagle_algorithm = false;
  /// Bytes #rfile reads from the socket at a time.
  std::size_t rbufsize = 16 * 1024;
  /// Bytes #wfile buffers before sending; 0 (the default, as in Python) sends each write.
  std::size_t wbufsize = 0;

  /// The connection's incoming bytes.
  SocketReader rfile;
  /// The connection's outgoing bytes.
  SocketWriter wfile;

  /// The connected socket (Python's `self.connection`). It is in blocking mode; rfile and
  /// wfile bound its reads and writes with #timeout through SO_RCVTIMEO/SO_SNDTIMEO.
  StreamSocket& connection() const { return *request().connection; }

  /// Applies the attributes above and attaches #rfile and #wfile.
  void setup() override;
  /// Flushes #wfile (errors are ignored: the peer may be gone).
  void finish() override;
};

} // namespace socketserver
