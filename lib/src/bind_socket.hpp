// detail::bind_socket(): how every server opens and binds its socket.
#pragma once

#include <sys/socket.h>

#include <boost/asio/socket_base.hpp>
#include <boost/system/system_error.hpp>

#include "endpoints.hpp"
#include "socketserver/address.hpp"
#include "socketserver/detail/unix_socket_file.hpp"

namespace socketserver::detail {

/// Opens @p socket (an acceptor or a datagram socket) for @p endpoint, sets the reuse
/// options (IP only: they mean nothing for Unix sockets) and binds it. On failure closes
/// it and throws system_error naming @p address.
template <class Socket, class Endpoint>
void bind_socket(Socket& socket, const Endpoint& endpoint, const Address& address, bool reuse_address,
                 bool reuse_port) {
  using reuse_port_option = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  boost::system::error_code error;
  socket.open(endpoint.protocol(), error);
  if (!error && !address.is_unix()) {
    socket.set_option(boost::asio::socket_base::reuse_address(reuse_address), error);
    if (!error && reuse_port) socket.set_option(reuse_port_option(true), error);
  }
  if (!error) socket.bind(endpoint, error);
  if (error) {
    boost::system::error_code ignored;
    socket.close(ignored);
    throw boost::system::system_error(error, "cannot bind " + address.to_string());
  }
}

/// Binds @p socket for a server of @p address: through @p file for a Unix path (which
/// replaces a stale socket file), directly otherwise. Returns the address really bound —
/// the real port when port 0 was asked.
template <class Socket, class Endpoint>
Address bind_server_socket(Socket& socket, const Endpoint& endpoint, const Address& address, bool reuse_address,
                           bool reuse_port, UnixSocketFile& file, SocketKind kind) {
  auto bind = [&] { bind_socket(socket, endpoint, address, reuse_address, reuse_port); };
  if (address.is_unix()) {
    file.bind(address.path(), kind, bind);
    return address;
  }
  bind();
  return to_address(socket.local_endpoint());
}

} // namespace socketserver::detail
