/// @file
/// @brief AsyncMixIn: every request on a fiber, many connections per event-loop thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <type_traits>

#include "socketserver/datagram_server.hpp"
#include "socketserver/detail/deadline.hpp"
#include "socketserver/detail/fiber_loops.hpp"
#include "socketserver/stream_server.hpp"

namespace socketserver {

/// Serves each request (connection or datagram) on a fiber — a stackful coroutine — of
/// one of #threads event loops, so ten thousand connections cost ten thousand small
/// stacks instead of ten thousand threads, with the handlers unchanged: `setup()`,
/// `handle()` and `finish()` are ordinary blocking code. When `rfile` or `wfile` would
/// block, the fiber suspends and its loop serves other requests until the socket is ready
/// or the handler's `timeout` passes (what Go's goroutines and gevent do).
///
/// What blocks a loop: code in a handler that blocks its thread without going through
/// `rfile`/`wfile` — a long computation, a lock held long, a blocking call such as DNS
/// or reading a terminal. Every other request of that loop waits meanwhile. Use
/// socketserver::sleep_for() instead of std::this_thread::sleep_for(); run long work in
/// ThreadingMixIn or ThreadPoolMixIn instead.
///
/// Connections are spread over the loops in turn by the one listening socket; a
/// connection stays on its loop for its life. Loop 0 is the thread that runs
/// serve_forever(), so with `threads = 1` the whole server is one thread. Datagram
/// servers serve every datagram on loop 0, whose socket they share.
///
/// Many connections need many descriptors: when the loops start, the soft RLIMIT_NOFILE
/// is raised to the hard one (as Go's runtime does); `ulimit -n` bounds it as before.
///
/// server_close() (and the destructor) drains like the other mix-ins: requests in flight
/// may finish within `drain_timeout`; then their connections are shut down and fibers
/// sleeping in sleep_for() are woken with an error, and the server waits for the
/// handlers to return.
template <class Server>
class AsyncMixIn : public Server {
public:
  /// Like the Server's constructors.
  template <class... Args>
  explicit AsyncMixIn(Args&&... args)
      : Server(std::forward<Args>(args)...),
        loops_(
            this->loop_context(), [this](Request& request) { this->process_request_on_fiber(request); },
            [this](Request& request, std::exception_ptr error) {
              this->handle_error(request, error);
              this->shutdown_request(request);
            },
            [this] { request_done(); }) {}

  ~AsyncMixIn() override { close_loops(); }

  /// Event-loop threads, the serving thread included (read when the first request
  /// arrives); default: the number of cores.
  std::size_t threads = detail::default_loop_count();
  /// Bytes of stack of each fiber (read when the first request arrives). Each stack has
  /// a guard page below it, so a handler that overflows it dies with SIGSEGV instead of
  /// corrupting another's memory. Only the pages a handler touches cost memory.
  std::size_t stack_size = detail::default_stack_size;
  /// Datagrams served at once (datagram servers); at the bound the server stops reading
  /// its socket until one is done, and the kernel's receive buffer holds the rest.
  std::size_t max_datagrams_in_flight = 1024;

  /// Requests being served now, on every loop.
  std::size_t active_requests() const noexcept { return loops_.live(); }
  /// Loop threads serving (0 before the first request).
  std::size_t loop_threads() const noexcept { return loops_.threads(); }
  /// How often the server stopped accepting because it was at `max_connections` (or
  /// #max_datagrams_in_flight); the kernel backlog held the clients meanwhile.
  std::uint64_t paused_accepts() const noexcept { return paused_accepts_.load(); }

  /// Starts a fiber for @p request on its loop.
  void process_request(Request request) override {
    start_loops();
    if (!request.is_stream()) ++datagrams_;
    loops_.dispatch(std::move(request));
  }

  /// Closes the socket (a datagram server's after the drain: its handlers answer through
  /// it), drains the requests in flight within `drain_timeout`, then ends the rest.
  void server_close() override {
    if constexpr (is_datagram) {
      close_loops();
      Server::server_close();
    } else {
      Server::server_close();
      close_loops();
    }
  }

  /// Shuts the connections being served down and wakes the fibers in sleep_for().
  std::size_t cut_requests() noexcept override {
    loops_.cut();
    return Server::cut_requests();
  }

protected:
  /// Connections are accepted onto the loops in turn.
  boost::asio::io_context& request_context() noexcept override {
    start_loops();
    return loops_.next_context();
  }

  /// Accepts while `max_connections` (and, for datagrams, #max_datagrams_in_flight)
  /// allow; counts each pause.
  bool ready_to_accept() override {
    bool ready = datagrams_.load() < max_datagrams_in_flight && Server::ready_to_accept();
    if (!ready && accepting_) ++paused_accepts_;
    accepting_ = ready;
    return ready;
  }

private:
  static constexpr bool is_datagram = std::is_base_of_v<DatagramServer, Server>;

  void request_done() {
    if (is_datagram && datagrams_.fetch_sub(1) == max_datagrams_in_flight) this->wake_loop();
  }

  void start_loops() noexcept {
    if (loops_.started()) return;
    try {
      detail::raise_open_file_limit();
      std::string problem = loops_.start(is_datagram ? 1 : threads, stack_size);
      if (!problem.empty()) this->log_message(problem);
    } catch (const std::exception& e) {
      this->log_message(std::string("cannot start the event loops: ") + e.what());
    }
  }

  void close_loops() {
    if (!loops_.run_until_idle(detail::deadline_after(this->drain_timeout))) {
      cut_requests();
      loops_.run_until_idle(std::nullopt);
    }
    loops_.stop();
  }

  detail::FiberLoops loops_;
  std::atomic<std::size_t> datagrams_{0};
  std::atomic<std::uint64_t> paused_accepts_{0};
  bool accepting_ = true;
};

/// TCPServer serving each connection on a fiber.
using AsyncTCPServer = AsyncMixIn<TCPServer>;
/// UDPServer serving each datagram on a fiber.
using AsyncUDPServer = AsyncMixIn<UDPServer>;
/// UnixStreamServer serving each connection on a fiber.
using AsyncUnixStreamServer = AsyncMixIn<UnixStreamServer>;
/// UnixDatagramServer serving each datagram on a fiber.
using AsyncUnixDatagramServer = AsyncMixIn<UnixDatagramServer>;

} // namespace socketserver
