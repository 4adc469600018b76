/// @file
/// @brief detail::ChildProcesses: the children a ForkingMixIn forked, and only those.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string_view>
#include <initializer_list>
#include <optional>
#include <set>

#include <boost/asio/io_context.hpp>

namespace socketserver::detail {

/// The children a ForkingMixIn has forked. Only these pids are ever waited for, never
/// `waitpid(-1)`: the application may have children of its own.
class ChildProcesses {
public:
  /// Children whose deaths by a signal, and the drain's escalations, are reported to
  /// @p log.
  explicit ChildProcesses(std::function<void(std::string_view)> log);

  /// Forks, running the Asio `notify_fork` protocol on @p contexts around it. Returns the
  /// child's pid in the parent and 0 in the child; throws system_error when fork fails.
  pid_t fork(std::initializer_list<boost::asio::io_context*> contexts);
  /// Reaps every child that has exited, without blocking. Returns how many. A child
  /// killed by a signal is reported with one log line.
  std::size_t reap();
  /// Waits for every child to exit.
  void wait_all();
  /// Reaps children as they exit until none is left or @p deadline passes. Returns true
  /// when none is left.
  bool wait_all_until(std::chrono::steady_clock::time_point deadline);
  /// Sends @p signal_number to every child not yet reaped; returns how many. Safe from
  /// any thread.
  std::size_t signal_all(int signal_number) noexcept;
  /// Graceful drain: waits for the children up to @p timeout (none: for ever), then sends
  /// SIGTERM to those left, SIGKILL a second later to any still alive, and reaps them all.
  void drain(std::optional<std::chrono::duration<double>> timeout);
  /// Children forked and not yet reaped.
  std::size_t count() const;

private:
  void report_status(pid_t pid, int status);

  std::function<void(std::string_view)> log_;
  mutable std::mutex mutex_;  // signal_all() may come from another thread
  std::set<pid_t> pids_;
};

} // namespace socketserver::detail
