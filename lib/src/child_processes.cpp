#include "socketserver/forking_mixin.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <sstream>
#include <thread>

#include <boost/system/system_error.hpp>

namespace socketserver::detail {
namespace {

void report_status(pid_t pid, int status) {
  if (!WIFSIGNALED(status)) return;  // a handler that failed has reported it itself
  std::ostringstream line;
  line << "socketserver: child " << pid << " killed by signal " << WTERMSIG(status) << " ("
       << ::strsignal(WTERMSIG(status)) << ")\n";
  std::cerr << line.str() << std::flush;
}

// How long children get to die of SIGTERM before SIGKILL.
constexpr auto kill_grace = std::chrono::seconds(1);

} // namespace

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
  if (pid > 0) pids_.insert(pid);
  return pid;
}

std::size_t ChildProcesses::reap() {
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

void ChildProcesses::wait_all() {
  for (pid_t pid : pids_) {
    int status = 0;
    pid_t result;
    while ((result = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    if (result == pid) report_status(pid, status);
  }
  pids_.clear();
}

bool ChildProcesses::wait_all_until(std::chrono::steady_clock::time_point deadline) {
  // waitpid() has no timeout: poll, from every millisecond up to every 20.
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    reap();
    if (pids_.empty()) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

void ChildProcesses::signal_all(int signal_number) noexcept {
  for (pid_t pid : pids_) ::kill(pid, signal_number);
}

void ChildProcesses::drain(std::optional<std::chrono::duration<double>> timeout) {
  if (!timeout) return wait_all();
  auto now = std::chrono::steady_clock::now();
  if (wait_all_until(now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(*timeout))) return;
  std::ostringstream line;
  line << "socketserver: " << pids_.size() << " child process(es) still running after the drain timeout; "
       << "sending SIGTERM\n";
  std::cerr << line.str() << std::flush;
  signal_all(SIGTERM);
  if (wait_all_until(std::chrono::steady_clock::now() + kill_grace)) return;
  signal_all(SIGKILL);
  wait_all();
}

void restart_interrupted_calls(int signal_number) noexcept {
  struct sigaction action {};
  if (::sigaction(signal_number, nullptr, &action) != 0) return;
  if (action.sa_handler == SIG_DFL || action.sa_handler == SIG_IGN) return;
  action.sa_flags |= SA_RESTART;
  ::sigaction(signal_number, &action, nullptr);
}

} // namespace socketserver::detail
