/// @file
/// @brief ForkingMixIn: a child process per request.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>

#include <boost/asio/signal_set.hpp>

#include "socketserver/datagram_server.hpp"
#include "socketserver/stream_server.hpp"

namespace socketserver {
namespace detail {

/// The children a ForkingMixIn has forked. Only these pids are ever waited for, never
/// `waitpid(-1)`: the application may have children of its own.
class ChildProcesses {
public:
  /// Forks, running the Asio `notify_fork` protocol on @p contexts around it. Returns the
  /// child's pid in the parent and 0 in the child; throws system_error when fork fails.
  pid_t fork(std::initializer_list<boost::asio::io_context*> contexts);
  /// Reaps every child that has exited, without blocking. Returns how many. A child
  /// killed by a signal is reported with one line on stderr.
  std::size_t reap();
  /// Waits for every child to exit.
  void wait_all();
  /// Reaps children as they exit until none is left or @p deadline passes. Returns true
  /// when none is left.
  bool wait_all_until(std::chrono::steady_clock::time_point deadline);
  /// Sends @p signal_number to every child not yet reaped.
  void signal_all(int signal_number) noexcept;
  /// Graceful drain: waits for the children up to @p timeout (none: for ever), then sends
  /// SIGTERM to those left, SIGKILL a second later to any still alive, and reaps them all.
  void drain(std::optional<std::chrono::duration<double>> timeout);
  /// Children forked and not yet reaped.
  std::size_t count() const noexcept { return pids_.size(); }

private:
  std::set<pid_t> pids_;
};

/// Adds SA_RESTART to the handler Asio installed for @p signal_number: Asio installs its
/// handlers without it, so a SIGCHLD would make blocking calls on other threads fail with
/// EINTR instead of simply resuming.
void restart_interrupted_calls(int signal_number) noexcept;

} // namespace detail

/// Python's `ForkingMixIn`: each request is served in a child process of its own.
///
/// The child closes its copy of the listening socket, runs the handler and leaves with
/// `_exit` — status 0, or 1 when the handler threw — so nothing of the parent's state is
/// flushed or destroyed twice. In the child SIGTERM has its default action again (it ends
/// the child), whatever handler the parent installed. The parent closes its copy of the
/// connection and reaps children as soon as they exit (on SIGCHLD, and at each
/// service_actions()), so no zombie lingers while the server idles; a child killed by a
/// signal is logged on stderr. At #max_children live children the server stops
/// accepting until one exits; the kernel backlog holds new connections meanwhile.
///
/// server_close() with #block_on_close drains the children within `drain_timeout`: it
/// waits for them until then, sends SIGTERM to those left, SIGKILL a second later, and
/// reaps them all, so no child outlives the server.
///
/// Fork from a process with a single thread (the one running serve_forever()).
template <class Server>
class ForkingMixIn : public Server {
public:
  /// Like the Server's constructors.
  template <class... Args>
  explicit ForkingMixIn(Args&&... args)
      : Server(std::forward<Args>(args)...), child_exits_(this->loop_context(), SIGCHLD) {
    detail::restart_interrupted_calls(SIGCHLD);
    watch_child_exits();
  }

  ~ForkingMixIn() override { children_.reap(); }

  /// Most children alive at once (Python's default, 40).
  std::size_t max_children = 40;
  /// Wait for all children in server_close().
  bool block_on_close = true;

  /// Children forked and not yet reaped.
  std::size_t active_children() const noexcept { return children_.count(); }

  /// Forks; the child serves @p request and exits, the parent closes its copy.
  void process_request(Request request) override {
    std::fflush(nullptr);  // or buffered output would be written by both processes
    pid_t pid = children_.fork({&this->loop_context(), &this->connection_context()});
    if (pid == 0) {
      std::signal(SIGTERM, SIG_DFL);  // the parent's drain may need to end this child
      this->after_fork_in_child();
      bool ok = this->process_request_inline(request);
      std::fflush(nullptr);
      ::_exit(ok ? 0 : 1);
    }
    this->close_request(request);
  }

  /// Closes the socket, then drains the children if #block_on_close is set (see
  /// `drain_timeout`).
  void server_close() override {
    Server::server_close();
    child_exits_.cancel();
    if (block_on_close) children_.drain(this->drain_timeout);
    children_.reap();
  }

  /// Reaps exited children, then the server's own service actions.
  void service_actions() override {
    children_.reap();
    Server::service_actions();
  }

protected:
  /// Accepts only below #max_children.
  bool ready_to_accept() const override {
    return children_.count() < max_children && Server::ready_to_accept();
  }

private:
  void watch_child_exits() {
    child_exits_.async_wait([this](const boost::system::error_code& error, int) {
      if (error) return;
      if (children_.reap() > 0) this->wake_loop();
      watch_child_exits();
    });
  }

  detail::ChildProcesses children_;
  boost::asio::signal_set child_exits_;
};

/// TCPServer with a process per connection.
using ForkingTCPServer = ForkingMixIn<TCPServer>;
/// UDPServer with a process per datagram.
using ForkingUDPServer = ForkingMixIn<UDPServer>;
/// UnixStreamServer with a process per connection.
using ForkingUnixStreamServer = ForkingMixIn<UnixStreamServer>;
/// UnixDatagramServer with a process per datagram.
using ForkingUnixDatagramServer = ForkingMixIn<UnixDatagramServer>;

} // namespace socketserver
