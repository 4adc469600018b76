/// @file
/// @brief ServerParameters: the bind-time settings a server takes at construction.
#pragma once

#include <cstddef>
#include <optional>

#include <boost/asio/socket_base.hpp>

namespace socketserver {

/// The settings that must be in place before a server binds — Python's class attributes
/// `allow_reuse_address`, `allow_reuse_port`, `request_queue_size` and `max_packet_size`.
/// In Python a subclass sets them as class attributes, which exist before `__init__`
/// binds; in C++ a subclass's constructor body runs after the base has bound, so they are
/// given to the constructor instead:
///
/// ```cpp
/// ServerParameters parameters;
/// parameters.request_queue_size = 16;
/// TCPServer server{address, handler<Echo>(), parameters};
/// ```
///
/// (Designated initializers, `{.request_queue_size = 16}`, work too, but g++ 12 warns
/// about the fields they leave out under -Wextra.)
///
/// A server's members of the same names hold the values in force; changing them has an
/// effect only before bind_and_activate(), i.e. with `bind_and_activate = false`.
struct ServerParameters {
  /// SO_REUSEADDR; none takes the server's default (on for stream servers, so a restarted
  /// server can bind while old connections linger in TIME_WAIT; off for datagram servers,
  /// as in Python).
  std::optional<bool> allow_reuse_address;
  /// SO_REUSEPORT: several servers share the port.
  bool allow_reuse_port = false;
  /// Stream servers: the listen() backlog (the system maximum, SOMAXCONN, by default —
  /// not Python's 5).
  int request_queue_size = boost::asio::socket_base::max_listen_connections;
  /// Datagram servers: the largest datagram accepted.
  std::size_t max_packet_size = 65536;
  /// Bind and listen in the constructor (Python's `bind_and_activate`).
  bool bind_and_activate = true;
};

} // namespace socketserver
