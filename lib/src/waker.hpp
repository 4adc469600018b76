/// @file
/// @brief detail::Waker: wakes a waiting request loop from any thread or signal handler.
#pragma once

#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace socketserver::detail {

/// A self-pipe: notify() writes a byte (async-signal-safe), and the loop waits for the
/// read end with Asio like for any socket. Asio's own wake-ups (post, stop) take locks and
/// so cannot be used from a signal handler; write() can.
class Waker {
public:
  /// A waker whose read end belongs to @p context.
  explicit Waker(boost::asio::io_context& context);
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  /// Wakes the loop. Thread-safe and async-signal-safe.
  void notify() noexcept;

  /// Calls @p done once a notify() has happened; the notifications are consumed.
  void async_wait(std::function<void()> done);

  /// Cancels a pending async_wait().
  void cancel();

private:
  boost::asio::posix::stream_descriptor reader_;
  int writer_ = -1;
};

} // namespace socketserver::detail
