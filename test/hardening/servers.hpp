// In-process servers for the hardening suites: every mode, with the errors handlers let
// escape recorded (besides the usual line on stderr), and the handlers the tests need.
#pragma once

#include <csignal>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <socketserver/socketserver.hpp>

#include "test_support.hpp"

namespace hardening {

/// The errors handle_error() saw (not those of forked children: they die with the child).
class ErrorLog {
public:
  void add(std::string line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  bool contains(const std::string& text) const {
    std::lock_guard lock(mutex_);
    for (const auto& line : lines_)
      if (line.find(text) != std::string::npos) return true;
    return false;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return lines_.size();
  }
  /// Every line, separated by " | " (for a failure's message).
  std::string joined() const {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const auto& line : lines_) all += (all.empty() ? "" : " | ") + line;
    return all;
  }

private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

/// @p Server whose handle_error() also records into an ErrorLog.
template <class Server>
class Recorded : public Server {
public:
  template <class... Args>
  explicit Recorded(std::shared_ptr<ErrorLog> log, Args&&... args) : Server(std::forward<Args>(args)...), log_(std::move(log)) {}

  void handle_error(const socketserver::Request& request, std::exception_ptr error) override {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      log_->add(e.what());
    } catch (...) {
      log_->add("unknown");
    }
    Server::handle_error(request, error);
  }

private:
  std::shared_ptr<ErrorLog> log_;
};

/// What a test server needs besides its handler.
struct Options {
  socketserver::Address address = socketserver::Address::inet("127.0.0.1", 0);
  std::optional<socketserver::Seconds> timeout = socketserver::Seconds(5);
  std::optional<socketserver::Seconds> drain_timeout = socketserver::Seconds(5);
  std::size_t workers = 2;
  std::size_t max_children = 40;
  std::size_t threads = 2;
};

namespace detail {
template <class Server>
std::unique_ptr<socketserver::BaseServer> configure(std::unique_ptr<Server> server, const Options& options) {
  server->request_timeout = options.timeout;
  server->drain_timeout = options.drain_timeout;
  if constexpr (requires { server->workers; }) server->workers = options.workers;
  if constexpr (requires { server->max_children; }) server->max_children = options.max_children;
  if constexpr (requires { server->stack_size; }) server->threads = options.threads;
  server->bind_and_activate();
  return server;
}
} // namespace detail

/// A bound, listening TCP (or Unix) stream server of @p mode recording errors in @p log.
/// The mode's async threads, when set, win over `options.threads`.
template <class Base = socketserver::TCPServer>
std::unique_ptr<socketserver::BaseServer> make_recorded(const test_support::ModeCase& mode,
                                                        socketserver::HandlerFactory factory,
                                                        std::shared_ptr<ErrorLog> log, Options options = {}) {
  using namespace socketserver;
  if (mode.threads > 0) options.threads = mode.threads;
  switch (mode.mode) {
  case Mode::sync:
    return detail::configure(std::make_unique<Recorded<Base>>(log, options.address, factory, false), options);
  case Mode::threading:
    return detail::configure(std::make_unique<ThreadingMixIn<Recorded<Base>>>(log, options.address, factory, false), options);
  case Mode::forking:
    return detail::configure(std::make_unique<ForkingMixIn<Recorded<Base>>>(log, options.address, factory, false), options);
  case Mode::pool:
    return detail::configure(std::make_unique<ThreadPoolMixIn<Recorded<Base>>>(log, options.address, factory, false), options);
  case Mode::async:
    return detail::configure(std::make_unique<AsyncMixIn<Recorded<Base>>>(log, options.address, factory, false), options);
  }
  return nullptr;
}

/// Python's line echo: each line back as it arrives.
struct LineEcho : socketserver::StreamRequestHandler {
  void handle() override {
    for (const std::string& line : rfile.lines()) wfile.write(line);
  }
};

/// The reply of BigReply: @p size bytes of a fixed pattern.
inline std::string pattern(std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return data;
}

/// Reads the request — one line (`line` mode) or everything until the client half-closes —
/// then sends `SIZE\n` and SIZE bytes of pattern(), SIZE being the request's number.
struct BigReply : socketserver::StreamRequestHandler {
  explicit BigReply(bool until_eof) : until_eof_(until_eof) {}
  void handle() override {
    std::string request = until_eof_ ? rfile.read_all(1024) : rfile.readline();
    std::size_t size = std::stoul(request);
    std::string body = pattern(size);
    wfile.write({std::to_string(size) + "\n", body});
  }

private:
  bool until_eof_;
};

} // namespace hardening
