/// @file
/// @brief ForkingMixIn: a child process per request.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstdio>
#include <deque>
#include <string_view>

#include <boost/asio/signal_set.hpp>

#include "socketserver/datagram_server.hpp"
#include "socketserver/detail/child_processes.hpp"
#include "socketserver/detail/idle_connections.hpp"
#include "socketserver/detail/restart_interrupted_calls.hpp"
#include "socketserver/stream_server.hpp"

namespace socketserver {

/// Python's `ForkingMixIn`: each request is served in a child process of its own.
///
/// The child closes its copy of the listening socket, runs the handler and leaves with
/// `_exit` — status 0, or 1 when the handler threw — so nothing of the parent's state is
/// flushed or destroyed twice. In the child SIGTERM has its default action again (it ends
/// the child), whatever handler the parent installed. The parent closes its copy of the
/// connection and reaps children as soon as they exit (on SIGCHLD, and at each
/// service_actions()), so no zombie lingers while the server idles; a child killed by a
/// signal is logged. A stream connection is forked for once it has sent something (see
/// #wait_for_data). At #max_children live children the server stops
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
      : Server(std::forward<Args>(args)...),
        children_([this](std::string_view text) { this->log_message(text); }),
        idle_(this->loop_context(), this->connection_context(), *this),
        child_exits_(this->loop_context(), SIGCHLD) {
    detail::restart_interrupted_calls(SIGCHLD);
    watch_child_exits();
  }

  ~ForkingMixIn() override { children_.reap(); }

  /// Most children alive at once (Python's default, 40).
  std::size_t max_children = 40;
  /// Wait for all children in server_close().
  bool block_on_close = true;
  /// Fork for a stream connection only once it has data to read (the default): until
  /// then it waits on the request loop, bounded by `request_timeout` and
  /// `max_connections`, so silent clients cannot fill #max_children. Set false for
  /// protocols where the server speaks first (daytime, time, a greeting).
  bool wait_for_data = true;

  /// Children forked and not yet reaped.
  std::size_t active_children() const { return children_.count(); }

  /// Terminates the children (SIGTERM), as well as what the server itself serves.
  std::size_t cut_requests() noexcept override {
    return children_.signal_all(SIGTERM) + Server::cut_requests();
  }

  /// Forks for @p request (a stream connection once it is readable): the child serves it
  /// and exits, the parent closes its copy.
  void process_request(Request request) override {
    if (!request.is_stream() || !wait_for_data) return fork_and_serve(std::move(request));
    idle_.park(std::move(request), this->request_timeout, [this](Request ready) {
      if (children_.count() < max_children) return fork_and_serve(std::move(ready));
      ready_.push_back(std::move(ready));  // a child's exit makes room (see start_ready())
    });
  }

  /// Closes the socket and the connections still silent, then drains the children if
  /// #block_on_close is set (see `drain_timeout`).
  void server_close() override {
    Server::server_close();
    idle_.close_all();
    ready_.clear();
    child_exits_.cancel();
    if (block_on_close) children_.drain(this->drain_timeout);
    children_.reap();
  }

  /// Reaps exited children and forks for the requests that waited for room, then the
  /// server's own service actions.
  void service_actions() override {
    children_.reap();
    start_ready();
    Server::service_actions();
  }

protected:
  /// Accepts only below #max_children (and the server's own limits).
  bool ready_to_accept() override {
    return children_.count() + ready_.size() < max_children && Server::ready_to_accept();
  }

  /// Silent connections wait on the request loop until readable (unless #wait_for_data
  /// is off).
  boost::asio::io_context& request_context() noexcept override {
    return wait_for_data ? this->loop_context() : this->connection_context();
  }

private:
  void fork_and_serve(Request request) {
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

  void start_ready() {
    while (!ready_.empty() && children_.count() < max_children) {
      Request request = std::move(ready_.front());
      ready_.pop_front();
      try {
        fork_and_serve(std::move(request));
      } catch (...) {
        this->handle_error(request, std::current_exception());
      }
    }
  }

  void watch_child_exits() {
    child_exits_.async_wait([this](const boost::system::error_code& error, int) {
      if (error) return;
      if (children_.reap() > 0) this->wake_loop();
      watch_child_exits();
    });
  }

  detail::ChildProcesses children_;
  detail::IdleConnections idle_;
  std::deque<Request> ready_;  // readable connections waiting for a child to exit
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
