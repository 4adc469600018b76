/// @file
/// @brief StopOnSignals: SIGINT, SIGTERM and SIGHUP stop a server cleanly, within its drain.
#pragma once

#include <csignal>
#include <initializer_list>
#include <thread>
#include <vector>

#include "socketserver/base_server.hpp"

namespace socketserver {

/// While alive, the given signals (SIGINT, SIGTERM and SIGHUP by default) stop @p server
/// the way operators expect:
///
/// - the first makes serve_forever() return (through the async-signal-safe
///   request_shutdown()), and the server drains: what it is serving may finish within its
///   `drain_timeout`, counted from the signal. When that passes, whatever is still being
///   served is ended (BaseServer::cut_requests()) with one log line — even a sync server
///   whose only thread is blocked in a handler;
/// - a second signal during the drain ends what is left at once, with one log line saying
///   how many requests were cut.
///
/// SIGHUP is a stop request too, until the server has a restart to give it.
///
/// The previous handlers are restored by the destructor. One instance at a time per
/// process. It runs one small thread, which sleeps until a signal arrives.
///
/// ```cpp
/// StopOnSignals stop{server};
/// server.serve_forever();  // returns on Ctrl+C
/// server.server_close();   // drains
/// ```
class StopOnSignals {
public:
  /// Installs the handlers.
  explicit StopOnSignals(BaseServer& server, std::initializer_list<int> signals = {SIGINT, SIGTERM, SIGHUP});
  /// Restores the previous handlers.
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

private:
  struct Saved {
    int signal_number;
    struct sigaction previous;
  };
  void watch(BaseServer& server);

  std::vector<Saved> saved_;
  int pipe_[2] = {-1, -1};
  std::thread watcher_;
};

} // namespace socketserver
