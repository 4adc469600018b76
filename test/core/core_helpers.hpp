// Helpers for the core suites only (the shared ones are in test/support/test_support.hpp):
// a datagram client that keeps its socket between exchanges, IPv6 detection, a stopwatch,
// echo handlers.
#pragma once

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/test/unit_test.hpp>

#include "test_support.hpp"

namespace core_test {

using namespace std::chrono_literals;
using socketserver::Address;
using socketserver::Seconds;

/// Seconds elapsed since construction.
class Stopwatch {
public:
  Seconds elapsed() const { return std::chrono::steady_clock::now() - start_; }

private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// A datagram client that keeps one socket, so several datagrams come from one sender.
class DatagramClient {
public:
  /// A client of @p server; a Unix datagram client binds @p unix_client_path to get replies.
  explicit DatagramClient(const Address& server, const std::string& unix_client_path = "")
      : socket_(context_), unix_path_(unix_client_path) {
    namespace asio = boost::asio;
    if (server.is_unix()) {
      destination_ = asio::local::datagram_protocol::endpoint(server.path());
      socket_.open(destination_.protocol());
      socket_.bind(asio::local::datagram_protocol::endpoint(unix_path_));
    } else {
      std::string host = server.host().empty() ? "127.0.0.1" : server.host();
      destination_ = asio::ip::udp::endpoint(asio::ip::make_address(host), server.port());
      socket_.open(destination_.protocol());
    }
  }
  ~DatagramClient() {
    if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
  }
  DatagramClient(const DatagramClient&) = delete;

  void send(std::string_view data) {
    socket_.send_to(boost::asio::buffer(data.data(), data.size()), destination_);
  }

  /// The next datagram, or nothing after @p timeout.
  std::optional<std::string> receive(Seconds timeout = test_support::io_timeout) {
    pollfd entry{socket_.native_handle(), POLLIN, 0};
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
    if (::poll(&entry, 1, static_cast<int>(ms)) != 1) return std::nullopt;
    std::string reply(70000, '\0');
    reply.resize(socket_.receive(boost::asio::buffer(reply)));
    return reply;
  }

  /// Sends @p data and returns the reply; throws when none comes.
  std::string exchange(std::string_view data) {
    send(data);
    auto reply = receive();
    if (!reply) throw std::runtime_error("no datagram reply within the timeout");
    return *reply;
  }

private:
  boost::asio::io_context context_;
  socketserver::DatagramSocket socket_;
  socketserver::DatagramEndpoint destination_;
  std::string unix_path_;
};

/// The line the server tests send.
inline const std::string test_line = "hello world\n";

/// Sends test_line to a LineEcho server at @p address and checks it comes back.
inline void stream_examine(const Address& address) {
  test_support::Client client(address);
  client.send(test_line);
  BOOST_TEST(client.readline() == test_line);
}

/// True when something (a file, a socket, a dangling symlink) is at @p path.
inline bool exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

/// Python's test handler: one line back.
struct LineEcho : socketserver::StreamRequestHandler {
  void handle() override { wfile.write(rfile.readline()); }
};

/// A server whose handle_error() counts, so a test notices handler failures.
template <class ServerType>
struct CountingErrors : ServerType {
  using ServerType::ServerType;
  std::atomic<int> errors{0};
  void handle_error(const socketserver::Request& request, std::exception_ptr error) override {
    ++errors;
    ServerType::handle_error(request, error);
  }
};

/// The datagram back, whole.
struct PacketEcho : socketserver::DatagramRequestHandler {
  void handle() override { wfile.write(rfile.read_all(1 << 20)); }
};

/// A stream handler whose handle() is a function given to its constructor, so each test
/// writes its handler inline: `handler<FunctionHandler>(FunctionHandler::Body(...))`.
struct FunctionHandler : socketserver::StreamRequestHandler {
  using Body = std::function<void(FunctionHandler&)>;
  explicit FunctionHandler(Body body) : body_(std::move(body)) {}
  void handle() override { body_(*this); }

private:
  Body body_;
};

/// A TCP server on 127.0.0.1:0 whose handler runs @p body.
inline std::unique_ptr<socketserver::TCPServer> function_server(FunctionHandler::Body body) {
  return std::make_unique<socketserver::TCPServer>(
      Address::parse("127.0.0.1:0"), socketserver::handler<FunctionHandler>(std::move(body)));
}

/// Runs one handle_request() on another thread (bounded by io_timeout); get() the result
/// to join it and to see the handler's effects.
inline std::future<void> serve_one(socketserver::BaseServer& server) {
  server.timeout = test_support::io_timeout;
  return std::async(std::launch::async, [&server] { server.handle_request(); });
}

/// serve_forever() on a thread, like test_support::ServerThread, but without closing the
/// server at the end, so a test can serve again. The destructor stops and joins, so a
/// failed BOOST_REQUIRE never leaves a joinable thread behind.
class Serving {
public:
  explicit Serving(socketserver::BaseServer& server, Seconds poll_interval = 60s)
      : server_(server), thread_([this, poll_interval] { server_.serve_forever(poll_interval); }) {}
  ~Serving() { stop(); }
  Serving(const Serving&) = delete;

  /// shutdown() (returns once serve_forever() has), then join.
  void stop() {
    if (!thread_.joinable()) return;
    server_.shutdown();
    thread_.join();
  }
  /// Joins a serve_forever() that is ending by itself (a stop requested elsewhere).
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  std::thread::native_handle_type native_handle() { return thread_.native_handle(); }

private:
  socketserver::BaseServer& server_;
  std::thread thread_;
};

/// True when this machine can bind the IPv6 loopback (containers often cannot).
inline bool ipv6_loopback_available() {
  boost::asio::io_context context;
  boost::asio::ip::tcp::acceptor probe(context);
  boost::system::error_code error;
  probe.open(boost::asio::ip::tcp::v6(), error);
  if (!error) probe.bind({boost::asio::ip::address_v6::loopback(), 0}, error);
  return !error;
}

/// Boost.Test precondition: skips a test case (with a message) when ::1 is unusable.
struct NeedsIpv6 {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result result(ipv6_loopback_available());
    if (!result) result.message() << "no IPv6 loopback on this machine";
    return result;
  }
};

/// A random-looking but reproducible byte string, NULs and all bytes included.
inline std::string pattern_bytes(std::size_t size, unsigned seed = 1) {
  std::string bytes(size, '\0');
  unsigned state = seed;
  for (char& byte : bytes) {
    state = state * 1103515245u + 12345u;
    byte = static_cast<char>(state >> 16);
  }
  return bytes;
}

} // namespace core_test
