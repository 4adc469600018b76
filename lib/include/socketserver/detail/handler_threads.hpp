/// @file
/// @brief detail::HandlerThreads: the threads of a ThreadingMixIn, reused for a while.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace socketserver::detail {

/// The threads of a ThreadingMixIn. Creating a thread costs more than serving a short
/// connection, so a thread that finishes its request parks for up to #park_time and takes
/// the next one; at most #max_parked threads park, the rest exit. A thread that exits is
/// joined soon after (at the next start() or reap()), so a server that has served a
/// million connections holds only its parked threads, and none once it has been idle for
/// #park_time.
class HandlerThreads {
public:
  /// How many finished threads may wait for the next request.
  static constexpr std::size_t max_parked = 16;
  /// How long a finished thread waits for the next request before it exits.
  static constexpr std::chrono::milliseconds park_time{1000};

  HandlerThreads() = default;
  ~HandlerThreads() { join_all(); }
  HandlerThreads(const HandlerThreads&) = delete;
  HandlerThreads& operator=(const HandlerThreads&) = delete;

  /// Runs @p work on a parked thread, or a new one. @p work must not throw.
  void start(std::function<void()> work);
  /// Joins the threads that have exited.
  void reap();
  /// Waits for every piece of work to finish, then ends and joins every thread.
  void join_all();
  /// Waits until every piece of work has finished or @p deadline has passed (none: no
  /// limit). Returns true, with every thread ended and joined, when none is left running.
  bool join_all_until(std::optional<std::chrono::steady_clock::time_point> deadline);
  /// Work started and not yet finished (parked threads are not counted).
  std::size_t live() const;

private:
  void thread_main(std::function<void()> work);
  /// Parks the calling thread; false when it should exit instead.
  bool wait_for_work(std::unique_lock<std::mutex>& lock, std::function<void()>& work);
  void retire_current_thread();

  mutable std::mutex mutex_;
  std::condition_variable all_done_;
  std::condition_variable work_ready_;
  std::unordered_map<std::thread::id, std::thread> threads_;  // every thread not yet exited
  std::vector<std::thread> finished_;                         // exited, to be joined
  std::deque<std::function<void()>> handed_over_;             // work for parked threads
  std::size_t busy_ = 0;
  std::size_t idle_ = 0;
  bool retiring_ = false;
};

} // namespace socketserver::detail
