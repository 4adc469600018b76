/// @file
/// @brief ThreadingMixIn: a thread per request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <optional>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "socketserver/datagram_server.hpp"
#include "socketserver/stream_server.hpp"

namespace socketserver {
namespace detail {

/// The threads of a ThreadingMixIn. Creating a thread costs more than serving a short
/// connection, so a thread that finishes its request parks for up to #park_time and takes
/// the next one; at most #max_parked threads park, the rest exit. A thread that exits is
/// joined soon after (at the next start() or reap()), so a server that has served a
/// million connections holds only its parked threads, and none once it has been idle for
/// #park_time.
class HandlerThreads {
public:
  /// How many finished threads may wait for the next request.
  static constexpr std::size_t max_parked = 16;
  /// How long a finished thread waits for the next request before it exits.
  static constexpr std::chrono::milliseconds park_time{1000};

  HandlerThreads() = default;
  ~HandlerThreads() { join_all(); }
  HandlerThreads(const HandlerThreads&) = delete;
  HandlerThreads& operator=(const HandlerThreads&) = delete;

  /// Runs @p work on a parked thread, or a new one. @p work must not throw.
  void start(std::function<void()> work);
  /// Joins the threads that have exited.
  void reap();
  /// Waits for every piece of work to finish, then ends and joins every thread.
  void join_all();
  /// Waits until every piece of work has finished or @p deadline has passed (none: no
  /// limit). Returns true, with every thread ended and joined, when none is left running.
  bool join_all_until(std::optional<std::chrono::steady_clock::time_point> deadline);
  /// Work started and not yet finished (parked threads are not counted).
  std::size_t live() const;

private:
  void thread_main(std::function<void()> work);
  /// Parks the calling thread; false when it should exit instead.
  bool wait_for_work(std::unique_lock<std::mutex>& lock, std::function<void()>& work);
  void retire_current_thread();

  mutable std::mutex mutex_;
  std::condition_variable all_done_;
  std::condition_variable work_ready_;
  std::unordered_map<std::thread::id, std::thread> threads_;  // every thread not yet exited
  std::vector<std::thread> finished_;                         // exited, to be joined
  std::deque<std::function<void()>> handed_over_;             // work for parked threads
  std::size_t busy_ = 0;
  std::size_t idle_ = 0;
  bool retiring_ = false;
};

} // namespace detail

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

  /// Starts a thread that runs process_request_thread().
  void process_request(Request request) override {
    auto shared = std::make_shared<Request>(std::move(request));
    threads_.start([this, shared] { process_request_thread(*shared); });
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
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (this->drain_timeout)
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(*this->drain_timeout);
    if (threads_.join_all_until(deadline)) return;
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
