/// @file
/// @brief detail::WorkerPool: the N threads and the bounded queue of a ThreadPoolMixIn.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "socketserver/request.hpp"

namespace socketserver::detail {

/// N threads taking requests from a bounded queue, in order.
class WorkerPool {
public:
  /// Called by a worker for each request.
  using Work = std::function<void(Request&)>;

  WorkerPool() = default;
  ~WorkerPool() { stop(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Starts @p workers threads (once) running @p work; @p on_room is called (from a worker)
  /// each time a full queue of @p capacity gets room again.
  void start(std::size_t workers, std::size_t capacity, Work work, std::function<void()> on_room);
  /// True once start() was called and stop() was not.
  bool started() const;
  /// Queues @p request for a worker.
  void push(Request request);
  /// Requests waiting for a worker.
  std::size_t queued() const;
  /// Handlers running now.
  std::size_t busy() const noexcept { return busy_.load(); }
  /// Lets the workers finish the queue, then joins them.
  void stop() { stop(std::nullopt, nullptr); }
  /// Lets the workers finish the queue until @p deadline (none: no limit). If they have
  /// not finished by then, drops the requests still queued (closing their connections),
  /// calls @p overdue (which must make the running handlers end), and joins the workers.
  void stop(std::optional<std::chrono::steady_clock::time_point> deadline, const std::function<void()>& overdue);

private:
  void work_loop();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable worker_exited_;
  std::deque<Request> queue_;
  std::vector<std::thread> threads_;
  std::size_t running_threads_ = 0;
  std::size_t capacity_ = 0;
  bool stopping_ = false;
  std::atomic<std::size_t> busy_{0};
  Work work_;
  std::function<void()> on_room_;
};

/// Worker threads to start by default: the number of cores, at least 4.
std::size_t default_worker_count() noexcept;

} // namespace socketserver::detail
