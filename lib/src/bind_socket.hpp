// detail::bind_socket(): how every server opens and binds its socket.
#pragma once

#include <sys/socket.h>

#include <boost/asio/socket_base.hpp>
#include <boost/system/system_error.hpp>

#include "socketserver/address.hpp"
#include "socketserver/server_parameters.hpp"

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

/// Default parameters, with `bind_and_activate` as given (for Python's signature).
inline ServerParameters deferred_unless(bool bind_and_activate) {
  ServerParameters parameters;
  parameters.bind_and_activate = bind_and_activate;
  return parameters;
}

/// @p address, when it is of the kind @p server needs (a Unix path or not); otherwise
/// throws invalid_argument naming the server class to use instead.
const Address& require_kind(const Address& address, bool unix_socket, const char* server, const char* other);

} // namespace socketserver::detail
