/// @file
/// @brief StreamServer, TCPServer and UnixStreamServer: servers of connections.
#pragma once

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/socket_base.hpp>

#include <memory>
#include <mutex>

#include "socketserver/base_server.hpp"
#include "socketserver/detail/bound_server.hpp"
#include "socketserver/detail/unix_socket_file.hpp"
#include "socketserver/server_parameters.hpp"

namespace socketserver {

class TLSContext;

/// A server of stream connections for any address family: what TCPServer and
/// UnixStreamServer share. Each request is one accepted connection.
class StreamServer : public BaseServer {
public:
  /// SO_REUSEADDR before binding (see ServerParameters); on by default (Python: off).
  bool allow_reuse_address = true;
  /// SO_REUSEPORT before binding, so several servers can share the port.
  bool allow_reuse_port = false;
  /// The listen() backlog (see ServerParameters).
  int request_queue_size = boost::asio::socket_base::max_listen_connections;

  ~StreamServer() override;

  /// The listening socket's descriptor.
  int fileno() const override;
  /// Opens the socket, applies the reuse options and binds server_address(), then records
  /// the address really bound. Throws system_error naming the address on failure.
  void server_bind() override;
  /// Listens with #request_queue_size.
  void server_activate() override;
  /// Accepts one connection, if one is waiting.
  std::optional<Request> get_request() override;
  /// Shuts the connection down for sending (the peer sees end of stream), then closes it.
  void shutdown_request(Request& request) override;
  /// Closes the connection.
  void close_request(Request& request) override;
  /// Removes the socket file of a Unix server (so no new client finds it), closes the
  /// listening socket, then drains.
  void server_close() override;

  /// Serves TLS with @p context (a TLSContext::server()) on every connection accepted
  /// from now on; null serves them plain. Each connection's handshake runs in its own
  /// thread, child process or fiber, never in the serving thread, and must finish within
  /// `request_timeout`; one that fails or times out is logged (the client and OpenSSL's
  /// reason) and closed. Handlers are unchanged: rfile and wfile read and write through
  /// TLS. TCP connections under TLS are set TCP_NODELAY: TLS 1.3's session tickets,
  /// sent after the handshake, would otherwise hold a short first reply back for the
  /// client's delayed acknowledgement (40 ms).
  ///
  /// Thread-safe, and the way to load a renewed certificate without a restart: make a new
  /// context from the new files and set it; connections already open keep the context
  /// they were accepted with.
  void set_tls_context(std::shared_ptr<TLSContext> context);
  /// The context new connections get; null when the server is plain.
  std::shared_ptr<TLSContext> tls_context() const;

protected:
  /// Only subclasses construct: pick TCPServer or UnixStreamServer.
  StreamServer(Address address, HandlerFactory factory, const ServerParameters& parameters);
  /// Starts an asynchronous wait for a connection to accept.
  void async_wait_for_request(std::function<void(const boost::system::error_code&)> done) override;
  /// Closes the child's copy of the listening socket.
  void after_fork_in_child() override;
  /// True for a TLS connection whose handshake is still to come.
  bool needs_opening(const Request& request) const noexcept override;
  /// Completes the TLS handshake.
  bool open_request(Request& request) override;

  /// The listening socket.
  boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol> acceptor_;

private:
  void report_accept_error(const boost::system::error_code& error);
  bool accept_error_reported_ = false;
  detail::UnixSocketFile socket_file_;
  mutable std::mutex tls_mutex_;
  std::shared_ptr<TLSContext> tls_;
};

/// Python's `TCPServer`: connections over IPv4 or IPv6 (give an IPv6 address for IPv6).
///
/// `TCPServer(address, factory, parameters = {})` binds and listens at once unless
/// `parameters.bind_and_activate` is false (then set options and call bind_and_activate()
/// yourself); `TCPServer(address, factory, bind_and_activate)` is Python's signature.
/// Throws when @p address is a Unix path or cannot be bound.
class TCPServer : public detail::BoundServer<StreamServer, false> {
public:
  using BoundServer::BoundServer;
};

/// Python's `UnixStreamServer`: connections over a Unix-domain socket file, constructed
/// like TCPServer from a `unix:` address.
///
/// A stale socket file left by a server that died is replaced; the file of a live server
/// is never taken over (binding fails with "address in use"). server_close() removes the
/// file this server created, and only that file (see detail::UnixSocketFile).
class UnixStreamServer : public detail::BoundServer<StreamServer, true> {
public:
  using BoundServer::BoundServer;
};

} // namespace socketserver
