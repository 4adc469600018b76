/// @file
/// @brief Request: one unit of work handed from a server to a request handler.
#pragma once

#include <memory>

#include <optional>
#include <string>

#include <boost/asio/generic/datagram_protocol.hpp>
#include <boost/asio/generic/stream_protocol.hpp>

#include "socketserver/address.hpp"

namespace socketserver {

class TLSSession;

/// A connected stream socket (TCP or Unix), whatever its address family.
using StreamSocket = boost::asio::generic::stream_protocol::socket;
/// A datagram socket (UDP or Unix), whatever its address family.
using DatagramSocket = boost::asio::generic::datagram_protocol::socket;
/// The peer address of a datagram, as the socket reports it.
using DatagramEndpoint = boost::asio::generic::datagram_protocol::endpoint;

/// What Python's socketserver calls `request`: an accepted connection (stream servers)
/// or a received datagram together with the socket to answer on (datagram servers).
///
/// A Request is move-only; whoever holds it owns the connection. Stream connections are
/// ordinary blocking sockets: read and write them through StreamRequestHandler's `rfile`
/// and `wfile`, which add the timeouts (and TLS, when the server has it), or with Asio's
/// synchronous calls (no timeout, no TLS).
struct Request {
  /// The accepted connection; set by stream servers only.
  std::optional<StreamSocket> connection;
  /// The datagram's bytes; set by datagram servers only.
  std::string packet;
  /// The server's socket, for sending the reply; set by datagram servers only.
  DatagramSocket* datagram_socket = nullptr;
  /// The datagram's sender, for sending the reply; set by datagram servers only.
  DatagramEndpoint datagram_sender;
  /// The connection's TLS, on a server given a TLSContext: made when the connection is
  /// accepted, its handshake done before verify_request() and the handler run; null for a
  /// plain connection.
  std::shared_ptr<TLSSession> tls;
  /// The peer, printable (Python's `client_address`).
  Address client_address;
  /// Held for as long as the connection counts against the server's `max_connections`;
  /// released (and the server told) when the Request is destroyed.
  std::shared_ptr<void> admission;

  /// True when this request is a stream connection.
  bool is_stream() const noexcept { return connection.has_value(); }
};

} // namespace socketserver
