/// @file
/// @brief StopOnSignals: SIGINT and SIGTERM stop a server cleanly.
#pragma once

#include <csignal>
#include <initializer_list>
#include <vector>

#include "socketserver/base_server.hpp"

namespace socketserver {

/// While alive, the given signals (SIGINT and SIGTERM by default) make @p server's
/// serve_forever() return, through the async-signal-safe request_shutdown(). The previous
/// handlers are restored by the destructor. One instance at a time per process.
///
/// ```cpp
/// StopOnSignals stop{server};
/// server.serve_forever();  // returns on Ctrl+C
/// ```
class StopOnSignals {
public:
  /// Installs the handlers.
  explicit StopOnSignals(BaseServer& server, std::initializer_list<int> signals = {SIGINT, SIGTERM});
  /// Restores the previous handlers.
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

private:
  struct Saved {
    int signal_number;
    struct sigaction previous;
  };
  std::vector<Saved> saved_;
};

} // namespace socketserver
