/// @file
/// @brief TLSSession: the TLS state of one connection, and what its handshake settled.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "socketserver/request.hpp"
#include "socketserver/seconds.hpp"
#include "socketserver/tls_context.hpp"

struct ssl_st;

namespace socketserver {

/// One connection's TLS (Python's `ssl.SSLSocket`, without the socket): OpenSSL's state
/// for the connection's descriptor, read and written by SocketReader and SocketWriter.
///
/// A TLS server makes one for each connection it accepts and completes its handshake
/// before verify_request() and the handler run; the handler finds it as `request().tls`
/// (StreamRequestHandler::tls()) and reads from it what the handshake settled: the
/// client's certificate, the version, the cipher, the ALPN protocol. A client makes one
/// itself, calls handshake(), and attaches its reader and writer to it.
///
/// Waits (for the peer's handshake messages, for room to write) go through the same wait
/// as plain sockets: they block a thread, or suspend a fiber in async and pool modes.
class TLSSession {
public:
  /// TLS over the connected @p socket's descriptor, with @p context's certificates and
  /// settings. A client passes the server's name (a host name or an IP address): it is
  /// sent as SNI and the server's certificate must be issued for it. The session does not
  /// own the descriptor, and must not outlive it.
  TLSSession(std::shared_ptr<TLSContext> context, StreamSocket& socket, std::string_view server_name = {});
  ~TLSSession();
  TLSSession(const TLSSession&) = delete;
  TLSSession& operator=(const TLSSession&) = delete;

  /// Performs the handshake on @p socket (the one given to the constructor), as server or
  /// client according to the context. Throws std::runtime_error with OpenSSL's reason
  /// ("certificate verify failed", "wrong version number"...) when it fails, or
  /// boost::system::system_error `timed_out` when it has not finished within @p timeout.
  void handshake(StreamSocket& socket, const Timeout& timeout);
  /// True once handshake() succeeded.
  bool established() const noexcept { return established_; }

  /// Sends close_notify, TLS's end of stream, without waiting for the peer's: at most
  /// @p timeout for room in the socket; errors are ignored (the peer may be gone). Done
  /// once; later calls do nothing. StreamRequestHandler::finish() calls it.
  void close(StreamSocket& socket, const Timeout& timeout) noexcept;
  /// True when the peer ended its side with close_notify. A peer that closes the
  /// connection without it is seen by SocketReader as the end of the stream too (as
  /// Python's `suppress_ragged_eofs` does); a protocol that must tell a complete stream
  /// from a cut one checks this, or frames its data (a length, a final message).
  bool close_notify_received() const noexcept;

  /// True when the peer presented a certificate (always, for a server with a client CA).
  bool has_peer_certificate() const noexcept;
  /// The peer certificate's subject, one line in RFC 2253 form (`CN=alice,O=Example`);
  /// empty without one.
  std::string peer_subject() const;
  /// The peer certificate's common name (CN); empty without one.
  std::string peer_common_name() const;
  /// The subject alternative names of the peer's certificate: `DNS:localhost`,
  /// `IP:127.0.0.1`, `email:...`, `URI:...`.
  std::vector<std::string> peer_alt_names() const;
  /// The protocol version: `TLSv1.2`, `TLSv1.3`.
  std::string version() const;
  /// The cipher suite (OpenSSL's name: `TLS_AES_256_GCM_SHA384`).
  std::string cipher() const;
  /// The ALPN protocol agreed on; empty when none was.
  std::string alpn_protocol() const;

  /// The context the session was made with.
  const TLSContext& context() const noexcept { return *context_; }
  /// OpenSSL's `SSL*`, for what this class does not offer.
  ssl_st* native_handle() const noexcept { return ssl_; }

private:
  std::shared_ptr<TLSContext> context_;
  ssl_st* ssl_ = nullptr;
  bool established_ = false;
  bool closed_ = false;
};

} // namespace socketserver
