// detail::FiberLoop: the fibers of one event-loop thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "fiber.hpp"
#include "fiber_stacks.hpp"

namespace socketserver::detail {

/// Starts fibers on one io_context and keeps their stacks and Fiber objects for reuse.
/// The fibers run while the context runs (on the thread that runs it): Asio completions
/// resume them. Only that thread calls spawn(), cut() and the Fiber members.
class FiberLoop {
public:
  /// Fibers of @p stack_size bytes on @p context; @p on_finished is called (on the loop's
  /// thread) after each request is done.
  FiberLoop(boost::asio::io_context& context, std::size_t stack_size, std::function<void()> on_finished);
  ~FiberLoop();

  /// The context the fibers wait on.
  boost::asio::io_context& context() noexcept { return context_; }

  /// Runs @p body on @p request (moved from) in a new fiber, at once, until it first
  /// suspends. Throws std::bad_alloc, leaving @p request alone, when no stack can be had.
  void spawn(Request& request, const Fiber::Body& body);

  /// Wakes the sleeping fibers with an error, and makes later sleeps fail at once (the
  /// server is cutting its requests: their sockets are shut down too).
  void cut() noexcept;
  /// True once cut() was called.
  bool was_cut() const noexcept { return cut_; }

  /// The stacks the fibers run on.
  FiberStacks& stacks() noexcept { return stacks_; }

  /// Called by a Fiber whose request is done.
  void finished(Fiber& fiber) noexcept;

private:
  boost::asio::io_context& context_;
  FiberStacks stacks_;
  std::function<void()> on_finished_;
  std::vector<std::unique_ptr<Fiber>> fibers_;  // every Fiber made; never freed while the loop lives
  std::vector<Fiber*> idle_;                    // those free for the next request
  bool cut_ = false;
};

} // namespace socketserver::detail
