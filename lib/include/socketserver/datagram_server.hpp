/// @file
/// @brief DatagramServer, UDPServer and UnixDatagramServer: servers of datagrams.
#pragma once

#include <cstddef>
#include <vector>

#include "socketserver/base_server.hpp"

namespace socketserver {

/// A server of datagrams for any address family: what UDPServer and UnixDatagramServer
/// share. Each request is one datagram; the handler answers through the server's socket.
class DatagramServer : public BaseServer {
public:
  /// Set SO_REUSEADDR before binding. Off by default, as in Python.
  bool allow_reuse_address = false;
  /// Set SO_REUSEPORT before binding.
  bool allow_reuse_port = false;
  /// The largest datagram accepted. The default takes any UDP datagram (65,507 bytes of
  /// payload at most); a larger one is dropped with a line on stderr, never truncated.
  std::size_t max_packet_size = 65536;

  ~DatagramServer() override;

  /// The socket's descriptor.
  int fileno() const override;
  /// Opens and binds the socket; records the address really bound.
  void server_bind() override;
  /// Nothing to do for datagrams (no listen()).
  void server_activate() override;
  /// Receives one datagram, if one is waiting.
  std::optional<Request> get_request() override;
  /// Closes the socket.
  void server_close() override;

  /// The server's socket, shared by every handler for its replies.
  DatagramSocket& socket() noexcept { return socket_; }

protected:
  /// Only subclasses construct: pick UDPServer or UnixDatagramServer.
  DatagramServer(Address address, HandlerFactory factory);
  /// Starts an asynchronous wait for a datagram.
  void async_wait_for_request(std::function<void(const boost::system::error_code&)> done) override;

private:
  DatagramSocket socket_;
  std::vector<char> receive_buffer_;
};

/// Python's `UDPServer`: datagrams over IPv4 or IPv6.
class UDPServer : public DatagramServer {
public:
  /// Binds @p address at once unless @p bind_and_activate is false.
  UDPServer(Address address, HandlerFactory factory, bool bind_and_activate = true);
};

/// Python's `UnixDatagramServer`: datagrams over a Unix-domain socket file.
///
/// Replies reach only clients that bound their own socket path. A stale socket file is
/// replaced, a live server's is not; server_close() removes the file this server created.
class UnixDatagramServer : public DatagramServer {
public:
  /// Binds the `unix:` @p address at once unless @p bind_and_activate is false.
  UnixDatagramServer(Address address, HandlerFactory factory, bool bind_and_activate = true);
  /// Closes the server and removes its socket file.
  ~UnixDatagramServer() override;
  /// Binds the socket file, replacing a stale one.
  void server_bind() override;
  /// Closes the socket and removes its file.
  void server_close() override;

private:
  bool created_socket_file_ = false;
};

} // namespace socketserver
