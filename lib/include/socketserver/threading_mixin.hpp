/// @file
/// @brief ThreadingMixIn: a thread per request.
#pragma once

#include <type_traits>

#include <exception>
#include <memory>

#include "socketserver/datagram_server.hpp"
#include "socketserver/detail/deadline.hpp"
#include "socketserver/detail/handler_threads.hpp"
#include "socketserver/stream_server.hpp"

namespace socketserver {

/// Python's `ThreadingMixIn`: each request (connection or datagram) is served on a thread
/// of its own, so a slow client never delays another. Layer it over a server:
/// `ThreadingMixIn<TCPServer>`, or use the aliases (ThreadingTCPServer, ...).
///
/// Threads are joined as they finish. server_close() waits for the running ones when
/// #block_on_close is set and #daemon_threads is not (Python's rules); either way the
/// destructor waits for them, because a C++ thread must not outlive the server it uses.
/// Both waits are a graceful drain bounded by `drain_timeout`: when it passes, the
/// connections still being served are shut down so their handlers end (a handler that
/// neither reads nor writes is still waited for).
/// A thread that finishes its request is reused for the next one for a short while
/// (see detail::HandlerThreads), so thread-local state in a handler may outlive its request.
/// Each thread costs a stack: for many long-lived, mostly idle connections prefer
/// ThreadPoolMixIn, which bounds the threads.
template <class Server>
class ThreadingMixIn : public Server {
public:
  using Server::Server;
  ~ThreadingMixIn() override { drain(); }

  /// Do not wait for handler threads in server_close() (they are still joined by the
  /// destructor).
  bool daemon_threads = false;
  /// Wait for handler threads in server_close().
  bool block_on_close = true;

  /// Handler threads still running.
  std::size_t active_threads() const { return threads_.live(); }

  /// Starts a thread that runs process_request_thread(). When no thread can be started
  /// (RLIMIT_NPROC, a cgroup's pids.max), the request is refused with a log line and the
  /// server goes on.
  void process_request(Request request) override {
    auto shared = std::make_shared<Request>(std::move(request));
    try {
      threads_.start([this, shared] { process_request_thread(*shared); });
    } catch (const std::exception& e) {
      this->log_message("refused " + shared->client_address.to_string() + ": cannot start a thread: " + e.what());
      this->shutdown_request(*shared);
    }
  }

  /// Python's `process_request_thread`: finish_request(), errors to handle_error(),
  /// then shutdown_request().
  virtual void process_request_thread(Request& request) { this->process_request_inline(request); }

  /// Closes the socket, then drains the handler threads (see #block_on_close and
  /// `drain_timeout`).
  ///
  /// A datagram server's socket is closed after the drain instead: its handlers send their
  /// replies through it.
  void server_close() override {
    if constexpr (std::is_base_of_v<DatagramServer, Server>) {
      if (block_on_close && !daemon_threads) drain();
      Server::server_close();
    } else {
      Server::server_close();  // stop accepting first
      if (block_on_close && !daemon_threads) drain();
    }
  }

  /// Joins finished threads, then the server's own service actions.
  void service_actions() override {
    threads_.reap();
    Server::service_actions();
  }

private:
  void drain() {
    if (threads_.join_all_until(detail::deadline_after(this->drain_timeout))) return;
    this->shutdown_active_connections();
    threads_.join_all();
  }

  detail::HandlerThreads threads_;
};

/// TCPServer with a thread per connection.
using ThreadingTCPServer = ThreadingMixIn<TCPServer>;
/// UDPServer with a thread per datagram.
using ThreadingUDPServer = ThreadingMixIn<UDPServer>;
/// UnixStreamServer with a thread per connection.
using ThreadingUnixStreamServer = ThreadingMixIn<UnixStreamServer>;
/// UnixDatagramServer with a thread per datagram.
using ThreadingUnixDatagramServer = ThreadingMixIn<UnixDatagramServer>;

} // namespace socketserver
