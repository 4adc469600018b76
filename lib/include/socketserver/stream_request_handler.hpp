/// @file
/// @brief StreamRequestHandler: a handler for one connection, with `rfile` and `wfile`.
#pragma once

#include <cstddef>
#include <optional>

#include "socketserver/base_request_handler.hpp"
#include "socketserver/socket_io.hpp"
#include "socketserver/tls_session.hpp"

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
  /// Time limit of each rfile/wfile call (a whole readline(), a whole write()), in
  /// seconds: `timeout = 5;`. When unset, the server's `request_timeout` applies.
  Timeout timeout;
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

  /// The connected socket (Python's `self.connection`), in blocking mode. Reads and
  /// writes through rfile and wfile are bounded by #timeout; calls made on the socket
  /// directly are not, and bypass TLS.
  StreamSocket& connection() const { return *request().connection; }

  /// The connection's TLS on a server with a TLSContext (the peer's certificate, the
  /// version, the cipher, the ALPN protocol); null on a plain connection. #rfile and
  /// #wfile read and write through it already.
  TLSSession* tls() const noexcept { return request().tls.get(); }

  /// Applies the attributes above and attaches #rfile and #wfile.
  void setup() override;
  /// Flushes #wfile, and under TLS sends close_notify (errors are ignored: the peer may be
  /// gone). The server does both after finish() too, so an override that does not call
  /// this loses nothing.
  void finish() override;

private:
  void after_finish() noexcept override;
  void end_stream() noexcept;
};

} // namespace socketserver
