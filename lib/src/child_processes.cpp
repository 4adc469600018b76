#include "socketserver/detail/child_processes.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <thread>

#include <boost/system/system_error.hpp>

#include "socketserver/detail/deadline.hpp"

namespace socketserver::detail {
namespace {

// How long children get to die of SIGTERM before SIGKILL.
constexpr auto kill_grace = std::chrono::seconds(1);

} // namespace

ChildProcesses::ChildProcesses(std::function<void(std::string_view)> log) : log_(std::move(log)) {}

void ChildProcesses::report_status(pid_t pid, int status) {
  if (!WIFSIGNALED(status)) return;  // a handler that failed has reported it itself
  log_("child " + std::to_string(pid) + " killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
       ::strsignal(WTERMSIG(status)) + ")");
}

pid_t ChildProcesses::fork(std::initializer_list<boost::asio::io_context*> contexts) {
  for (auto* context : contexts) context->notify_fork(boost::asio::io_context::fork_prepare);
  pid_t pid = ::fork();
  if (pid < 0) {
    int error = errno;
    for (auto* context : contexts) context->notify_fork(boost::asio::io_context::fork_parent);
    throw boost::system::system_error(error, boost::system::system_category(), "fork");
  }
  auto event = pid == 0 ? boost::asio::io_context::fork_child : boost::asio::io_context::fork_parent;
  for (auto* context : contexts) context->notify_fork(event);
  if (pid > 0) {
    std::lock_guard lock(mutex_);
    pids_.insert(pid);
  }
  return pid;
}

std::size_t ChildProcesses::reap() {
  std::lock_guard lock(mutex_);
  std::size_t reaped = 0;
  for (auto it = pids_.begin(); it != pids_.end();) {
    int status = 0;
    pid_t result = ::waitpid(*it, &status, WNOHANG);
    // ECHILD: somebody else reaped it (a SIGCHLD handler set to SIG_IGN, say); it is gone.
    if (result == *it || (result < 0 && errno == ECHILD)) {
      if (result == *it) report_status(*it, status);
      it = pids_.erase(it);
      ++reaped;
    } else {
      ++it;
    }
  }
  return reaped;
}

std::size_t ChildProcesses::count() const {
  std::lock_guard lock(mutex_);
  return pids_.size();
}

void ChildProcesses::wait_all() {
  std::set<pid_t> waiting;
  {
    std::lock_guard lock(mutex_);
    waiting = pids_;
  }
  for (pid_t pid : waiting) {  // without the lock: signal_all() may be needed meanwhile
    int status = 0;
    pid_t result;
    while ((result = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    std::lock_guard lock(mutex_);
    if (result == pid) report_status(pid, status);
    pids_.erase(pid);
  }
}

bool ChildProcesses::wait_all_until(std::chrono::steady_clock::time_point deadline) {
  // waitpid() has no timeout: poll, from every millisecond up to every 20.
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    reap();
    if (count() == 0) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

std::size_t ChildProcesses::signal_all(int signal_number) noexcept {
  std::lock_guard lock(mutex_);
  for (pid_t pid : pids_) ::kill(pid, signal_number);
  return pids_.size();
}

void ChildProcesses::drain(std::optional<std::chrono::duration<double>> timeout) {
  if (!timeout) return wait_all();
  auto now = std::chrono::steady_clock::now();
  if (wait_all_until(now + clock_duration(*timeout))) return;
  log_(std::to_string(count()) + " child process(es) still running after the drain timeout; sending SIGTERM");
  signal_all(SIGTERM);
  if (wait_all_until(std::chrono::steady_clock::now() + kill_grace)) return;
  signal_all(SIGKILL);
  wait_all();
}

} // namespace socketserver::detail
