/// @file
/// @brief detail::WorkerPool: the N threads and the bounded queue of a ThreadPoolMixIn.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "socketserver/request.hpp"

namespace socketserver::detail {

class Fiber;
class FiberLoop;

/// N threads serving requests from a bounded queue, in order, each request on a fiber:
/// when its handler waits for I/O the fiber suspends and the worker takes other work, so
/// the N workers bound how many handlers run at once, not how many connections are open.
///
/// The fibers' waits run on a reactor the pool does not run itself (the server's request
/// loop); a fiber whose wait is over is queued for the next free worker, ahead of new
/// requests, and may so continue on another thread than it started on.
class WorkerPool {
public:
  /// Called on a fiber for each request.
  using Work = std::function<void(Request&)>;

  WorkerPool();
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Starts @p workers threads (once) running @p work for each request on a fiber of
  /// @p stack_size bytes whose waits run on @p reactor; @p on_room is called (from a
  /// worker) each time a full queue of @p capacity gets room again.
  void start(std::size_t workers, std::size_t capacity, Work work, std::function<void()> on_room,
             boost::asio::io_context& reactor, std::size_t stack_size);
  /// True once start() was called and stop() was not.
  bool started() const;
  /// Queues @p request for a worker.
  void push(Request request);
  /// New requests waiting for a worker.
  std::size_t queued() const;
  /// Handlers running on a worker now (not those waiting for I/O).
  std::size_t busy() const noexcept { return busy_.load(); }
  /// Lets the workers finish the queue, then joins them.
  void stop() { stop(std::nullopt, nullptr); }
  /// Lets the workers finish every request until @p deadline (none: no limit), running
  /// the reactor on the calling thread meanwhile (nobody else runs it once the server has
  /// stopped serving). If they have not finished by then, drops the requests still
  /// queued (closing their connections), calls @p overdue (which must make the running
  /// handlers end), wakes the fibers in sleep_for(), and waits for the rest.
  void stop(std::optional<std::chrono::steady_clock::time_point> deadline, const std::function<void()>& overdue);

private:
  struct Handoff;
  void work_loop();
  void resume_later(Fiber& fiber);
  void request_done();
  bool run_reactor_until_exited(const std::optional<std::chrono::steady_clock::time_point>& deadline);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;    // new requests, bounded by capacity_
  std::deque<Fiber*> resumed_;   // fibers whose wait is over
  std::vector<std::thread> threads_;
  std::size_t running_threads_ = 0;
  std::size_t live_ = 0;         // requests started and not yet done
  std::size_t capacity_ = 0;
  bool stopping_ = false;
  std::atomic<std::size_t> busy_{0};
  Work work_;
  std::function<void()> on_room_;
  boost::asio::io_context* reactor_ = nullptr;
  std::unique_ptr<Handoff> handoff_;
  std::unique_ptr<FiberLoop> fibers_;
};

/// Worker threads to start by default: the number of cores, at least 4.
std::size_t default_worker_count() noexcept;

} // namespace socketserver::detail
