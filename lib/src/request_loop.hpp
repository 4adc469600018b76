// detail::RequestLoop: what serve_forever() and handle_request() wait on.
#pragma once

#include <functional>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "socketserver/detail/deadline.hpp"
#include "waker.hpp"

namespace socketserver::detail {

/// The wait of a server's request loop: for the listening socket to have a request, for
/// a wake-up (a stop request, room in a mix-in's queue, a child's exit), or for a
/// deadline, whichever comes first. It runs the loop's io_context meanwhile, so whatever
/// else waits on that context (the connections of pool and forking mode that have not
/// sent their first bytes, the pool's handlers waiting for I/O) is served too.
///
/// Waits already started outlive a call that returns for another reason: the next call
/// goes on with them instead of starting them again.
///
/// Only the loop's thread may call wait(); notify() is safe from anywhere.
class RequestLoop {
public:
  /// What ended a wait().
  enum class Event { request, deadline, wakeup };
  /// Starts an asynchronous wait for the listening socket; calls its argument when done.
  using StartRequestWait = std::function<void(std::function<void(const boost::system::error_code&)>)>;

  /// A loop on @p context; @p start_request_wait waits for the listening socket.
  RequestLoop(boost::asio::io_context& context, StartRequestWait start_request_wait);

  /// Waits until a request is ready, notify() is called, or @p deadline passes. A request
  /// is waited for only while @p accepting and not paused.
  Event wait(Deadline deadline, bool accepting);

  /// Stops waiting for requests for @p pause (after EMFILE and the like).
  void pause_accepting(Seconds pause);

  /// Wakes wait(). Thread-safe and async-signal-safe.
  void notify() noexcept { waker_.notify(); }

  /// Cancels the pending waits (the server is closing).
  void cancel();

private:
  void arm_request_wait(bool accepting);
  void arm_wakeup();
  void arm_deadline(Deadline deadline);

  boost::asio::io_context& context_;
  StartRequestWait start_request_wait_;
  Waker waker_;
  boost::asio::steady_timer timer_;
  Deadline armed_deadline_;
  Deadline paused_until_;

  // What the waits' completions report, read by wait().
  bool request_wait_armed_ = false;
  bool wakeup_armed_ = false;
  bool request_ready_ = false;
  bool woken_ = false;
  bool deadline_passed_ = false;
};

} // namespace socketserver::detail
