/// @file
/// @brief BaseServer: the request loop and the hooks of Python's `socketserver.BaseServer`.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "socketserver/address.hpp"
#include "socketserver/handler_factory.hpp"
#include "socketserver/network_allow_list.hpp"
#include "socketserver/request.hpp"
#include "socketserver/seconds.hpp"

namespace socketserver {
namespace detail {
class ActiveConnections;
class RequestLoop;
} // namespace detail

/// Python's `BaseServer`: waits for requests and runs a handler for each.
///
/// The hooks have Python's names and are called in Python's order:
///
/// ```
/// serve_forever() / handle_request()
///   -> get_request() -> verify_request() -> process_request()
///        process_request() -> finish_request() -> [handler runs] -> shutdown_request()
///        shutdown_request() -> close_request()
///   errors -> handle_error();  no request within `timeout` -> handle_timeout()
///   after each request and every poll interval -> service_actions()
/// ```
///
/// Concrete servers (TCPServer, UDPServer, UnixStreamServer, UnixDatagramServer) bind and
/// listen in their constructor unless told not to; the mix-ins (ThreadingMixIn,
/// ForkingMixIn, ThreadPoolMixIn) replace process_request() with another concurrency model.
///
/// Without a mix-in the server is synchronous, as in Python: it serves one request at a
/// time, each to completion. Many connections on one thread is what AsyncMixIn with one
/// loop thread gives.
///
/// The destructor closes the server (Python's `with server:`).
class BaseServer {
public:
  /// How long an idle serve_forever() waits between calls to service_actions().
  static constexpr Seconds default_poll_interval{0.5};
  /// Default for #drain_timeout.
  static constexpr Seconds default_drain_timeout{5};

  /// A server for @p address whose requests are served by handlers from @p factory.
  BaseServer(Address address, HandlerFactory factory);
  virtual ~BaseServer();
  BaseServer(const BaseServer&) = delete;
  BaseServer& operator=(const BaseServer&) = delete;

  /// Handles requests until shutdown() or request_shutdown(). Calls service_actions() after
  /// each request and at least every @p poll_interval; a stop request wakes it at once,
  /// whatever the interval.
  void serve_forever(Seconds poll_interval = default_poll_interval);

  /// Stops serve_forever() and waits until it has returned. Safe from any thread. Called
  /// from the thread running serve_forever() (a sync-mode handler), it only requests the
  /// stop, since waiting there would deadlock. If serve_forever() is not running, the
  /// request stays pending and the next serve_forever() returns at once.
  void shutdown();

  /// Asks serve_forever() to return, without waiting. Async-signal-safe: callable from a
  /// signal handler, a handler thread, anywhere.
  void request_shutdown() noexcept;

  /// Waits for one request (at most #timeout) and handles it; calls handle_timeout() if
  /// none arrives in time.
  void handle_request();

  /// server_bind() then server_activate(), closing the server if either fails. The
  /// constructors of the concrete servers call it unless `bind_and_activate` is false:
  /// pass false to set options such as `allow_reuse_port` first, then call this.
  void bind_and_activate();

  /// Closes the listening socket; idempotent. Mix-ins extend it to wait for their workers.
  virtual void server_close();

  /// The address the server is bound to, with the real port when port 0 was requested.
  const Address& server_address() const noexcept { return server_address_; }

  /// The listening socket's descriptor (Python's `fileno()`).
  virtual int fileno() const = 0;

  /// How long handle_request() waits for a request; none waits for ever.
  Timeout timeout;

  /// Default time limit for each read and write of a StreamRequestHandler whose own
  /// `timeout` is unset; none means no limit.
  Timeout request_timeout;

  /// Graceful drain: how long server_close() lets requests already being served finish
  /// once the server has stopped accepting (after shutdown(), or SIGINT/SIGTERM with
  /// StopOnSignals). When it passes, the mix-ins end what is left:
  /// - ThreadingMixIn and ThreadPoolMixIn shut down (both directions) the connections
  ///   whose handlers still run, so their blocked reads see end of stream and their writes
  ///   fail, and drop the requests still queued for a worker; then they join the threads;
  /// - ForkingMixIn sends SIGTERM to the children still running, SIGKILL to those alive a
  ///   second later, and reaps them all.
  ///
  /// None waits for ever (Python's behaviour). Zero ends in-flight requests at once. A sync
  /// server has nothing in flight once serve_forever() has returned. Set it before
  /// server_close() runs; the mix-ins' destructors apply it too.
  Timeout drain_timeout = default_drain_timeout;

  /// Most stream connections open at once — being served, queued for a worker, or
  /// waiting for their first bytes; 0 (the default) means no limit. At the limit the
  /// server stops accepting until one closes, and the kernel backlog holds the burst, so
  /// a flood of clients costs at most this many connections' memory. A forking server's
  /// children are bounded by `max_children` instead; this bounds its connections still
  /// waiting for their first bytes.
  std::size_t max_connections = 0;

  /// Stream connections open now (see #max_connections).
  std::size_t open_connections() const noexcept { return open_connections_.load(); }

  /// The client networks the default verify_request() accepts; empty (the default) allows
  /// everybody. Set it before serving. See NetworkAllowList.
  NetworkAllowList allowed_networks;

  /// Ends every request in flight at once: the drain deadline has passed, or the operator
  /// asked twice (see StopOnSignals). Thread-safe; returns how many were ended. The base
  /// shuts down the connections being served (shutdown_active_connections()); the forking
  /// mix-in terminates its children.
  virtual std::size_t cut_requests() noexcept;

  /// True while serve_forever() runs.
  bool serving() const noexcept { return serving_.load(); }

  // --- Hooks, in Python's order -----------------------------------------------------------

  /// Binds the socket to server_address(). Called by the constructor unless deferred.
  virtual void server_bind() = 0;
  /// Starts listening. Called by the constructor unless deferred.
  virtual void server_activate() = 0;
  /// Takes the next request off the socket without blocking; nothing if there was none
  /// after all (another process took it, or the accept failed and is retried later).
  virtual std::optional<Request> get_request() = 0;
  /// Return false to refuse @p request: it is then shut down without a handler. The
  /// default accepts the clients #allowed_networks allows and refuses the others with a
  /// log line (log_message()).
  ///
  /// A request that must be opened first (a TLS connection, see open_request()) is
  /// verified once it is open, in its own thread, child process or fiber, so that an
  /// override can judge the client by its certificate (`request.tls`); any other request
  /// is verified by the serving thread as it is accepted.
  virtual bool verify_request(const Request& request);
  /// Arranges for finish_request() and shutdown_request(); the base class does both at
  /// once, in the calling thread. Mix-ins override this.
  virtual void process_request(Request request);
  /// Makes a handler from the factory and runs it on @p request.
  virtual void finish_request(Request& request);
  /// Ends @p request (a stream server shuts the connection down), then close_request().
  virtual void shutdown_request(Request& request);
  /// Releases @p request's resources.
  virtual void close_request(Request& request);
  /// Called with the exception a handler let escape, and for a connection dropped before
  /// its handler ran (silent past its timeout, or no room); the default logs one line
  /// (log_message()) naming the client and the error. The server goes on serving.
  virtual void handle_error(const Request& request, std::exception_ptr error);
  /// The server's one log sink: every line the library writes about this server (a refused
  /// or dropped client, an accept error, a child killed by a signal, a handler error)
  /// comes here, and handlers may write theirs too (`server().log_message(...)`). The
  /// default writes `socketserver: TEXT` and a newline to stderr in one write, so lines
  /// of concurrent threads and processes never interleave. Override it to send the lines
  /// elsewhere; it may be called from any thread, and must not throw. Text a client chose
  /// must be passed through printable() first.
  virtual void log_message(std::string_view text) noexcept;
  /// Called when handle_request() saw no request within #timeout; does nothing by default.
  virtual void handle_timeout();
  /// Called by serve_forever() after each request and every poll interval; the forking
  /// mix-in reaps children here. Does nothing by default.
  virtual void service_actions();

protected:
  /// The context the request loop runs; the listening socket belongs to it.
  boost::asio::io_context& loop_context() noexcept { return loop_context_; }
  /// The context accepted connections belong to. Nothing runs it: connections are used
  /// synchronously by their handlers, so their readiness never wakes the request loop.
  boost::asio::io_context& connection_context() noexcept { return connection_context_; }
  /// The context get_request() accepts connections onto (connection_context() by default).
  virtual boost::asio::io_context& request_context() noexcept { return connection_context_; }

  /// Called in a forked child before it serves its request: a stream server closes its
  /// copy of the listening socket there. Does nothing by default.
  virtual void after_fork_in_child();

  /// True while @p request has a step to go through before it can be verified and served,
  /// one that waits for the client and so must not hold up the serving thread: a TLS
  /// handshake. False by default.
  virtual bool needs_opening(const Request& request) const noexcept;
  /// That step, in the request's own thread, child process or fiber, bounded by
  /// #request_timeout: StreamServer completes the TLS handshake. Returns false, after one
  /// log line, to drop the request; then neither verify_request() nor a handler runs.
  virtual bool open_request(Request& request);

  /// Records the address actually bound (server_bind() implementations call this).
  void set_server_address(Address address) { server_address_ = std::move(address); }

  /// Starts an asynchronous wait for the listening socket to become readable.
  virtual void async_wait_for_request(std::function<void(const boost::system::error_code&)> done) = 0;

  /// False while the server cannot take another request: #max_connections reached, or
  /// a mix-in's own limit (pool queue full, too many children). The loop then stops
  /// accepting until woken by wake_loop(). Mix-ins extend it and call the base.
  virtual bool ready_to_accept() { return max_connections == 0 || open_connections_.load() < max_connections; }


  /// Stops accepting for @p pause (after EMFILE and the like) without blocking the loop.
  void pause_accepting(Seconds pause);

  /// Makes the request loop re-check ready_to_accept() and run service_actions().
  /// Thread-safe and async-signal-safe.
  void wake_loop() noexcept;

  /// Runs the handler on @p request with the errors routed to handle_error(), then
  /// shutdown_request(): what a worker thread or child process does with one request.
  /// Returns false when the handler failed.
  ///
  /// While the handler runs, a stream connection is registered as active, for
  /// shutdown_active_connections().
  bool process_request_inline(Request& request) noexcept;
  /// process_request_inline() on a fiber (async and pool modes): the connection is made
  /// non-blocking first, so that every wait of rfile and wfile suspends the fiber instead
  /// of blocking its thread.
  void process_request_on_fiber(Request& request) noexcept;

  /// Shuts down both directions of the connection of every handler now running in
  /// process_request_inline(), and of every one that starts later, so that they end
  /// promptly: what the mix-ins do when #drain_timeout has passed. Thread-safe. Returns
  /// how many connections were running.
  std::size_t shutdown_active_connections() noexcept;

private:
  bool handle_request_noblock();
  void take_requests();
  void admit(Request& request);
  void finish_serving();

  boost::asio::io_context loop_context_{1};
  boost::asio::io_context connection_context_;
  std::unique_ptr<detail::RequestLoop> loop_;

  Address server_address_;
  HandlerFactory factory_;
  std::unique_ptr<detail::ActiveConnections> active_connections_;

  std::atomic<std::size_t> open_connections_{0};
  std::atomic<bool> shutdown_requested_{false};
  std::atomic<bool> serving_{false};
  std::mutex serving_mutex_;
  std::condition_variable serving_done_;
  std::thread::id serving_thread_;
};

} // namespace socketserver
