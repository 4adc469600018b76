#include "socketserver/make_server.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "socketserver/datagram_server.hpp"
#include "socketserver/forking_mixin.hpp"
#include "socketserver/stream_server.hpp"
#include "socketserver/thread_pool_mixin.hpp"
#include "socketserver/threading_mixin.hpp"

namespace socketserver {
namespace {

// Runs another handler and logs its request through the server's log: ServerConfig::log_requests.
class LoggedRequest : public BaseRequestHandler {
public:
  explicit LoggedRequest(const HandlerFactory& inner) : inner_(inner()) {}

  void handle() override {
    auto start = std::chrono::steady_clock::now();
    log("request from " + client_address().to_string());
    inner_->run(request(), server());  // its errors still reach handle_error()
    auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
    log("done with " + client_address().to_string() + " after " + std::to_string(elapsed.count()) + " ms");
  }

private:
  void log(const std::string& text) { server().log_message(text); }

  std::unique_ptr<BaseRequestHandler> inner_;
};

} // namespace

Mode parse_mode(std::string_view text) {
  for (Mode mode : {Mode::sync, Mode::threading, Mode::forking, Mode::pool, Mode::async})
    if (text == to_string(mode)) return mode;
  throw std::invalid_argument("unknown mode '" + std::string(text) +
                              "' (expected sync, threading, forking, pool or async)");
}

std::string_view to_string(Mode mode) {
  switch (mode) {
  case Mode::sync: return "sync";
  case Mode::threading: return "threading";
  case Mode::forking: return "forking";
  case Mode::pool: return "pool";
  case Mode::async: return "async";
  }
  return "unknown";
}

std::unique_ptr<BaseServer> make_server(const ServerConfig& config, HandlerFactory factory) {
  bool unix = config.address.is_unix();
  if (config.datagram)
    return unix ? make_server<UnixDatagramServer>(config, std::move(factory))
                : make_server<UDPServer>(config, std::move(factory));
  return unix ? make_server<UnixStreamServer>(config, std::move(factory))
              : make_server<TCPServer>(config, std::move(factory));
}

namespace detail {

HandlerFactory with_request_log(const ServerConfig& config, HandlerFactory factory) {
  if (!config.log_requests) return factory;
  return handler<LoggedRequest>(std::move(factory));
}

ServerParameters bind_parameters(const ServerConfig& config) {
  ServerParameters parameters;
  parameters.allow_reuse_port = config.reuse_port;
  parameters.request_queue_size = config.backlog;
  return parameters;
}

} // namespace detail

} // namespace socketserver
