#include "socketserver/stop_on_signals.hpp"

#include <atomic>
#include <stdexcept>

namespace socketserver {
namespace {

std::atomic<BaseServer*> signalled_server{nullptr};

extern "C" void stop_signalled_server(int) {
  if (BaseServer* server = signalled_server.load()) server->request_shutdown();
}

} // namespace

StopOnSignals::StopOnSignals(BaseServer& server, std::initializer_list<int> signals) {
  BaseServer* expected = nullptr;
  if (!signalled_server.compare_exchange_strong(expected, &server))
    throw std::logic_error("StopOnSignals: another instance is active");
  for (int signal_number : signals) {
    struct sigaction action {};
    action.sa_handler = stop_signalled_server;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    Saved saved{signal_number, {}};
    if (::sigaction(signal_number, &action, &saved.previous) == 0) saved_.push_back(saved);
  }
}

StopOnSignals::~StopOnSignals() {
  for (const Saved& saved : saved_) ::sigaction(saved.signal_number, &saved.previous, nullptr);
  signalled_server = nullptr;
}

} // namespace socketserver
