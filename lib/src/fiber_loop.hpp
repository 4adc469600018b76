// detail::FiberLoop: fibers that wait on one reactor, and where they run when ready.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "fiber.hpp"
#include "fiber_stacks.hpp"
#include "readiness_poller.hpp"

namespace socketserver::detail {

/// Where a fiber runs when its wait is over. Without one (async mode) the fiber runs at
/// once on the reactor's thread; a thread pool hands it to a free worker instead.
class FiberHandoff {
public:
  virtual ~FiberHandoff() = default;
  /// Called on the reactor's thread: @p fiber is ready to be resumed.
  virtual void resume_later(Fiber& fiber) = 0;
};

/// Starts fibers whose waits run on one io_context (the reactor), and keeps their stacks
/// and Fiber objects for reuse. In async mode each loop thread has its own FiberLoop and
/// runs its reactor; in pool mode one FiberLoop is shared by the workers and its reactor
/// is the serving thread's request loop.
class FiberLoop {
public:
  /// Fibers of @p stack_size bytes waiting on @p reactor; @p on_finished is called after
  /// each request is done (on the thread that ran it); ready fibers go to @p handoff, or
  /// run at once when it is null.
  FiberLoop(boost::asio::io_context& reactor, std::size_t stack_size, std::function<void()> on_finished,
            FiberHandoff* handoff = nullptr);
  ~FiberLoop();

  /// The context the fibers' waits run on.
  boost::asio::io_context& reactor() noexcept { return reactor_; }
  /// The stacks the fibers run on.
  FiberStacks& stacks() noexcept { return stacks_; }
  /// Readiness of the fibers' connections (reactor thread only).
  ReadinessPoller& poller() noexcept { return poller_; }

  /// Runs @p body on @p request (moved from) in a new fiber, at once, until it first
  /// suspends. Throws std::bad_alloc, leaving @p request alone, when no stack can be had.
  void spawn(Request& request, const Fiber::Body& body);

  /// Wakes the sleeping fibers with an error, and makes later sleeps fail at once (the
  /// server is cutting its requests: their sockets are shut down too). Reactor thread.
  void cut() noexcept;
  /// True once cut() was called.
  bool was_cut() const noexcept { return cut_.load(); }

  // For Fiber:
  /// @p fiber has suspended: start its wait on the reactor.
  void arm(Fiber& fiber);
  /// @p fiber's wait is over (reactor thread): run it.
  void ready(Fiber& fiber);
  /// @p fiber's request is done.
  void finished(Fiber& fiber) noexcept;

private:
  boost::asio::io_context& reactor_;
  FiberStacks stacks_;
  std::function<void()> on_finished_;
  FiberHandoff* handoff_;
  ReadinessPoller poller_;                      // outlives the fibers, whose watches it points to
  std::mutex mutex_;                            // the two lists (pool workers share them)
  std::vector<std::unique_ptr<Fiber>> fibers_;  // every Fiber made; never freed while the loop lives
  std::vector<Fiber*> idle_;                    // those free for the next request
  std::atomic<bool> cut_{false};
};

} // namespace socketserver::detail
