/// @file
/// @brief DatagramServer, UDPServer and UnixDatagramServer: servers of datagrams.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "socketserver/base_server.hpp"
#include "socketserver/detail/bound_server.hpp"
#include "socketserver/detail/unix_socket_file.hpp"
#include "socketserver/server_parameters.hpp"

namespace socketserver {
namespace detail {
class SourceRateLimit;
} // namespace detail

/// A server of datagrams for any address family: what UDPServer and UnixDatagramServer
/// share. Each request is one datagram; the handler answers through the server's socket.
class DatagramServer : public BaseServer {
public:
  /// SO_REUSEADDR before binding (see ServerParameters). Off by default, as in Python.
  bool allow_reuse_address = false;
  /// SO_REUSEPORT before binding.
  bool allow_reuse_port = false;
  /// The largest datagram accepted. The default takes any UDP datagram (65,507 bytes of
  /// payload at most); a larger one is dropped with a log line, never truncated.
  std::size_t max_packet_size = 65536;
  /// Datagrams served per second from one source address (a burst of as many); the rest
  /// are dropped, with one log line when a source starts being limited. 0 (the default)
  /// means no limit. Every reply answers a datagram, so this bounds what a forged source
  /// address can make the server send to a victim, or to another server in a loop.
  double reply_rate_limit = 0;

  ~DatagramServer() override;

  /// The socket's descriptor.
  int fileno() const override;
  /// Opens and binds the socket; records the address really bound.
  void server_bind() override;
  /// Nothing to do for datagrams (no listen()).
  void server_activate() override;
  /// Receives one datagram, if one is waiting. Drops, with a log line, a datagram larger
  /// than #max_packet_size, one beyond #reply_rate_limit, and one that claims to come
  /// from the server's own address (forged: answering it would make the server answer
  /// itself for ever).
  std::optional<Request> get_request() override;
  /// Removes the socket file of a Unix server, then closes the socket.
  void server_close() override;

  /// The server's socket, shared by every handler for its replies.
  DatagramSocket& socket() noexcept { return socket_; }

protected:
  /// Only subclasses construct: pick UDPServer or UnixDatagramServer.
  DatagramServer(Address address, HandlerFactory factory, const ServerParameters& parameters);
  /// Starts an asynchronous wait for a datagram.
  void async_wait_for_request(std::function<void(const boost::system::error_code&)> done) override;

private:
  bool from_own_address(const DatagramEndpoint& sender);
  bool over_rate_limit(const Request& request);

  DatagramSocket socket_;
  std::unique_ptr<detail::SourceRateLimit> rate_limit_;
  bool self_datagram_reported_ = false;
  std::vector<char> receive_buffer_;
  detail::UnixSocketFile socket_file_;
};

/// Python's `UDPServer`: datagrams over IPv4 or IPv6, constructed like TCPServer.
class UDPServer : public detail::BoundServer<DatagramServer, false> {
public:
  using BoundServer::BoundServer;
};

/// Python's `UnixDatagramServer`: datagrams over a Unix-domain socket file, constructed
/// like TCPServer from a `unix:` address.
///
/// Replies reach only clients that bound their own socket path. A stale socket file is
/// replaced, a live server's is not; server_close() removes the file this server created,
/// and only that file.
class UnixDatagramServer : public detail::BoundServer<DatagramServer, true> {
public:
  using BoundServer::BoundServer;
};

} // namespace socketserver
