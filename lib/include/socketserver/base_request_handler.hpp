/// @file
/// @brief BaseRequestHandler: the object that serves one request.
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>

#include "socketserver/address.hpp"
#include "socketserver/request.hpp"

namespace socketserver {

class BaseServer;

/// Python's `BaseRequestHandler`: subclass it and override handle().
///
/// A new handler object serves each request. Python's constructor runs the handler; a C++
/// constructor cannot call overrides, so here the work happens in two phases: the server
/// constructs the handler (through its HandlerFactory, with any arguments you bound in),
/// then calls run(), which calls setup(), handle() and finish() — finish() even when
/// handle() throws. An exception that leaves handle() reaches the server's handle_error().
class BaseRequestHandler {
public:
  virtual ~BaseRequestHandler() = default;

  /// Serves @p request for @p server: setup(), handle(), finish().
  void run(Request& request, BaseServer& server);

  /// Prepares for handle(); the default does nothing.
  virtual void setup() {}
  /// Serves the request; the default does nothing.
  virtual void handle() {}
  /// Cleans up after handle(), even if it threw; the default does nothing.
  virtual void finish() {}

  /// The request being served (Python's `self.request`).
  Request& request() const { return *request_; }
  /// The peer's address (Python's `self.client_address`).
  const Address& client_address() const { return request_->client_address; }
  /// The server that accepted the request (Python's `self.server`).
  BaseServer& server() const { return *server_; }

  /// The server as your own server class, for its members (Python's `self.server.attr`):
  /// `server<MyServer>().counter`. Throws std::logic_error when the server is not a
  /// @p Server (a mix-in layered over it, as make_server<MyServer>() does, still is).
  template <class Server>
  Server& server() const {
    static_assert(std::is_base_of_v<BaseServer, Server>, "server<S>(): S must be a server class");
    if (auto* typed = dynamic_cast<Server*>(server_)) return *typed;
    throw std::logic_error(std::string("server<S>(): this handler's server is not a ") + typeid(Server).name());
  }

private:
  /// Called after finish(), whatever finish() did: StreamRequestHandler flushes wfile.
  virtual void after_finish() noexcept {}

  void bind(Request& request, BaseServer& server) {
    request_ = &request;
    server_ = &server;
  }

  Request* request_ = nullptr;
  BaseServer* server_ = nullptr;
};

} // namespace socketserver
