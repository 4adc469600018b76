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

// Runs another handler and logs its request on stderr: ServerConfig::log_requests.
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
  static void log(const std::string& text) {
    std::string line = "socketserver: " + text + "\n";
    std::fputs(line.c_str(), stderr);  // one call per line: lines of threads do not interleave
  }

  std::unique_ptr<BaseRequestHandler> inner_;
};

// Applies what the config says about this server type, then binds and listens.
template <class Server>
std::unique_ptr<BaseServer> build(const ServerConfig& config, HandlerFactory factory) {
  auto server = std::make_unique<Server>(config.address, std::move(factory), false);
  server->request_timeout = config.request_timeout;
  server->drain_timeout = config.drain_timeout;
  server->allowed_networks = config.allowed_networks;
  server->allow_reuse_port = config.reuse_port;
  if constexpr (std::is_base_of_v<StreamServer, Server>) server->request_queue_size = config.backlog;
  if constexpr (requires { server->queue_size; }) {
    if (config.workers > 0) server->workers = config.workers;
    server->queue_size = config.queue_size;
    server->wait_for_data = config.wait_for_data;
  }
  if constexpr (requires { server->max_children; }) server->max_children = config.max_children;
  server->bind_and_activate();
  return server;
}

template <class Server>
std::unique_ptr<BaseServer> build_for_mode(const ServerConfig& config, HandlerFactory factory) {
  switch (config.mode) {
  case Mode::sync: return build<Server>(config, std::move(factory));
  case Mode::threading: return build<ThreadingMixIn<Server>>(config, std::move(factory));
  case Mode::forking: return build<ForkingMixIn<Server>>(config, std::move(factory));
  case Mode::pool: return build<ThreadPoolMixIn<Server>>(config, std::move(factory));
  }
  throw std::invalid_argument("unknown mode");
}

} // namespace

Mode parse_mode(std::string_view text) {
  for (Mode mode : {Mode::sync, Mode::threading, Mode::forking, Mode::pool})
    if (text == to_string(mode)) return mode;
  throw std::invalid_argument("unknown mode '" + std::string(text) +
                              "' (expected sync, threading, forking or pool)");
}

std::string_view to_string(Mode mode) {
  switch (mode) {
  case Mode::sync: return "sync";
  case Mode::threading: return "threading";
  case Mode::forking: return "forking";
  case Mode::pool: return "pool";
  }
  return "unknown";
}

std::unique_ptr<BaseServer> make_server(const ServerConfig& config, HandlerFactory factory) {
  if (config.log_requests) factory = handler<LoggedRequest>(std::move(factory));
  bool unix = config.address.is_unix();
  if (config.datagram)
    return unix ? build_for_mode<UnixDatagramServer>(config, std::move(factory))
                : build_for_mode<UDPServer>(config, std::move(factory));
  return unix ? build_for_mode<UnixStreamServer>(config, std::move(factory))
              : build_for_mode<TCPServer>(config, std::move(factory));
}

} // namespace socketserver
