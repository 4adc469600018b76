// detail::Fiber: one request served on its own stack, suspended while its I/O would block.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include <boost/asio/steady_timer.hpp>
#include <boost/context/fiber.hpp>

#include "readiness_poller.hpp"
#include "sanitizer_fibers.hpp"
#include "socketserver/detail/deadline.hpp"
#include "socketserver/request.hpp"
#include "timed_io.hpp"

namespace socketserver::detail {

class FiberLoop;

/// A request (connection or datagram) whose handler runs on a stackful coroutine of a
/// FiberLoop. The handler's code is ordinary blocking code: when rfile or wfile would
/// block, wait() suspends the fiber and its thread goes on with other fibers; the loop's
/// reactor (an io_context) wakes it when the socket is ready, its deadline passes, or the
/// server cuts it.
///
/// Two threads may take part: the one that runs the fiber (resume(), and the fiber's own
/// code), and the reactor's, where waits are started and completed. In async mode they are
/// the same loop thread; in pool mode a fiber runs on whichever worker is free and waits
/// on the serving thread's reactor (see FiberLoop). A wait is therefore only described by
/// the fiber before it suspends, and started by the reactor afterwards (start_wait()), so
/// no completion can resume a fiber that is still switching out.
///
/// A Fiber object is reused for later requests once its request is done (the loop keeps
/// them), so a completion that arrives late finds a live object; a serial number tells
/// it that the wait it belonged to is over.
class Fiber {
public:
  /// What a fiber runs: the server's handler on the request, errors handled.
  using Body = std::function<void(Request&)>;

  explicit Fiber(FiberLoop& loop);
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  /// The fiber running on this thread, or null outside fibers (thread and process modes).
  static Fiber* current() noexcept;

  // --- In the fiber ----------------------------------------------------------------------

  /// Suspends until @p socket is ready for @p readiness. Throws system_error `timed_out`
  /// when @p deadline passes first.
  void wait(StreamSocket& socket, Readiness readiness, const Deadline& deadline);
  /// Likewise for a datagram socket.
  void wait(DatagramSocket& socket, Readiness readiness, const Deadline& deadline);
  /// Suspends until @p until (socketserver::sleep_for()). Throws system_error
  /// `operation_aborted` when the server cuts its requests meanwhile.
  void sleep_until(Clock::time_point until);

  // --- On the thread that runs it -----------------------------------------------------------

  /// Runs @p body on @p request (moved from once a stack is had: on std::bad_alloc it is
  /// left alone) on a stack of the loop's, until it first suspends or ends.
  void start(Request& request, const Body& body);
  /// Runs the fiber until it next suspends or ends.
  void resume();
  /// True once the request is done (the object may then be reused).
  bool finished() const noexcept { return !self_; }

  // --- On the reactor's thread --------------------------------------------------------------

  /// Starts the wait the fiber described before it suspended.
  void start_wait();
  /// The wait numbered @p serial is over, if it is still the current one.
  void on_ready(std::uint64_t serial);
  /// A fiber in sleep_until() wakes at once and throws (the server is cutting its
  /// requests); later sleeps throw at once too.
  void cut() noexcept;

private:
  enum class Wake { ready, timeout, cut };
  // What the fiber waits for: a connection (through the loop's poller), a datagram socket
  // (through Asio), or only time.
  struct Pending {
    int connection = -1;
    bool new_connection = false;  // the first wait of this request on a connection
    DatagramSocket* datagram = nullptr;
    Readiness readiness = Readiness::readable;
    Deadline deadline;
  };

  void end_socket_wait(Wake why);
  Wake suspend_for(const Pending& pending);
  bool waits_on_socket() const noexcept { return pending_.connection >= 0 || pending_.datagram; }
  void arm_timer(Clock::time_point at);
  void on_timer();
  void wake(Wake why);
  void suspend();

  FiberLoop& loop_;
  boost::context::fiber self_;       // the suspended fiber; empty once finished
  boost::context::fiber loop_side_;  // while the fiber runs: where suspend() returns to
  SanitizerStack fiber_stack_;
  SanitizerStack loop_stack_;

  // The current wait: described by the fiber, started and ended on the reactor's thread.
  Pending pending_;
  bool has_pending_ = false;
  std::uint64_t serial_ = 0;  // bumped by every wait and wake: late completions see a stale one
  bool waiting_ = false;
  Wake wake_ = Wake::ready;
  std::atomic<bool> cut_{false};
  ReadinessPoller::Watch watch_;  // the connection's registration with the loop's poller (reactor thread)
  bool new_request_ = false;      // no wait yet in this request

  // One timer per fiber, armed lazily: deadlines only move later while a connection is
  // busy, so the timer is left to fire at the earlier one and then re-armed to the current
  // deadline, instead of being reset (a timer-queue update) on every read.
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  Clock::time_point timer_expiry_;
  std::uint64_t timer_serial_ = 0;
};

} // namespace socketserver::detail
