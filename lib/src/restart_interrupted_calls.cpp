#include "socketserver/detail/restart_interrupted_calls.hpp"

#include <csignal>

namespace socketserver::detail {

void restart_interrupted_calls(int signal_number) noexcept {
  struct sigaction action {};
  if (::sigaction(signal_number, nullptr, &action) != 0) return;
  if (action.sa_handler == SIG_DFL || action.sa_handler == SIG_IGN) return;
  action.sa_flags |= SA_RESTART;
  ::sigaction(signal_number, &action, nullptr);
}

} // namespace socketserver::detail
