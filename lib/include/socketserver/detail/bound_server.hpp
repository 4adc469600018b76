/// @file
/// @brief detail::BoundServer: the constructors the four concrete servers share.
#pragma once

#include "socketserver/address.hpp"
#include "socketserver/handler_factory.hpp"
#include "socketserver/server_parameters.hpp"

namespace socketserver::detail {

/// @p address, when it is a Unix path exactly when @p unix_socket says so; otherwise throws
/// std::invalid_argument saying which kind of address (and server class) is needed.
Address require_address_kind(Address address, bool unix_socket);

/// Default parameters, with `bind_and_activate` as given (for Python's signature).
ServerParameters deferred_unless(bool bind_and_activate);

/// A @p Base server (StreamServer or DatagramServer) for addresses of one kind: its
/// constructors check the address, then bind and activate unless told not to.
template <class Base, bool UnixSocket>
class BoundServer : public Base {
public:
  /// Binds @p address at once unless `parameters.bind_and_activate` is false (then set
  /// options and call bind_and_activate() yourself). Throws when @p address is of the
  /// other kind or cannot be bound.
  BoundServer(Address address, HandlerFactory factory, const ServerParameters& parameters = {})
      : Base(require_address_kind(std::move(address), UnixSocket), std::move(factory), parameters) {
    if (parameters.bind_and_activate) this->bind_and_activate();
  }
  /// Python's signature: `Server(address, handler, bind_and_activate)`.
  BoundServer(Address address, HandlerFactory factory, bool bind_and_activate)
      : BoundServer(std::move(address), std::move(factory), deferred_unless(bind_and_activate)) {}
};

} // namespace socketserver::detail
