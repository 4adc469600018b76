#include "bind_socket.hpp"

#include <stdexcept>
#include <string>

namespace socketserver::detail {

const Address& require_kind(const Address& address, bool unix_socket, const char* server, const char* other) {
  if (address.is_unix() == unix_socket) return address;
  std::string needed = unix_socket ? "a unix:PATH address" : "a host:port address";
  throw std::invalid_argument(std::string(server) + " needs " + needed + ", not " + address.to_string() +
                              " (use " + other + ")");
}

} // namespace socketserver::detail
