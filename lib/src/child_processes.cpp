#include "socketserver/forking_mixin.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include <boost/system/system_error.hpp>

namespace socketserver::detail {

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
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pids_.clear();
}

void restart_interrupted_calls(int signal_number) noexcept {
  struct sigaction action {};
  if (::sigaction(signal_number, nullptr, &action) != 0) return;
  if (action.sa_handler == SIG_DFL || action.sa_handler == SIG_IGN) return;
  action.sa_flags |= SA_RESTART;
  ::sigaction(signal_number, &action, nullptr);
}

} // namespace socketserver::detail
