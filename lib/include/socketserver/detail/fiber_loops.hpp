/// @file
/// @brief detail::FiberLoops: the event-loop threads of AsyncMixIn.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "socketserver/detail/deadline.hpp"
#include "socketserver/request.hpp"

namespace socketserver::detail {

/// The loops an async server serves its requests on, each request on a fiber.
///
/// Loop 0 is the server's own request loop (its io_context, run by serve_forever() on the
/// serving thread); loops 1 to N-1 are threads of their own, each running an io_context.
/// Connections are accepted by the one listening socket onto the loops in turn (see
/// next_context()), and each connection's fiber lives on its loop for its whole life.
/// Datagrams are all served on loop 0: they come from, and are answered through, the
/// server's one socket, which belongs to loop 0.
class FiberLoops {
public:
  /// What a fiber runs on its request: the server's process_request_inline().
  using Body = std::function<void(Request&)>;
  /// Told about a request that could not be started (no stack, no memory).
  using Refused = std::function<void(Request&, std::exception_ptr)>;

  /// Loops whose first is @p first; each request runs @p body. @p on_finished is called
  /// (on the request's loop thread) after each request is done.
  FiberLoops(boost::asio::io_context& first, Body body, Refused refused, std::function<void()> on_finished);
  ~FiberLoops();
  FiberLoops(const FiberLoops&) = delete;
  FiberLoops& operator=(const FiberLoops&) = delete;

  /// Makes the loops: @p threads in all (at least 1), fibers with @p stack_size bytes of
  /// stack. Does nothing once started. When fewer threads can be started, serves with
  /// those and returns a message saying so (empty when all started).
  std::string start(std::size_t threads, std::size_t stack_size);
  /// True once start() ran.
  bool started() const noexcept;
  /// Loop threads serving (the serving thread included).
  std::size_t threads() const noexcept;

  /// The context the next connection should be accepted onto: the loops in turn. Call
  /// from the serving thread.
  boost::asio::io_context& next_context() noexcept;

  /// Starts a fiber for @p request on the loop its connection belongs to (datagrams: loop
  /// 0). From the serving thread: on loop 0 the fiber starts at once.
  void dispatch(Request request);

  /// Requests being served now, on every loop. Thread-safe.
  std::size_t live() const noexcept;

  /// Runs loop 0 on the calling thread until no request is left on any loop or
  /// @p deadline passes; true when none is left. For server_close(), once serve_forever()
  /// has returned (nobody else runs loop 0 then).
  bool run_until_idle(const Deadline& deadline);

  /// Wakes every fiber sleeping in sleep_for() with an error, on every loop; later sleeps
  /// fail at once. Thread-safe. (The caller shuts the connections down.)
  void cut() noexcept;

  /// Ends the loop threads (after run_until_idle()). Idempotent.
  void stop() noexcept;

private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Raises the soft limit on open files to the hard limit (many connections need many).
void raise_open_file_limit() noexcept;

/// The default number of loops: the number of cores.
std::size_t default_loop_count() noexcept;

/// The default fiber stack: 64 KiB.
inline constexpr std::size_t default_stack_size = 64 * 1024;

} // namespace socketserver::detail
