#include "socketserver/detail/bound_server.hpp"

#include <stdexcept>
#include <string>

namespace socketserver::detail {

Address require_address_kind(Address address, bool unix_socket) {
  if (address.is_unix() == unix_socket) return address;
  throw std::invalid_argument(unix_socket ? "a Unix-domain server needs a unix:PATH address, not " + address.to_string() +
                                                " (use TCPServer or UDPServer)"
                                          : "a TCP or UDP server needs a host:port address, not " + address.to_string() +
                                                " (use UnixStreamServer or UnixDatagramServer)");
}

ServerParameters deferred_unless(bool bind_and_activate) {
  ServerParameters parameters;
  parameters.bind_and_activate = bind_and_activate;
  return parameters;
}

} // namespace socketserver::detail
