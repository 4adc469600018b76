// Helpers of the hardening suite: example servers in child processes and what /proc says
// about them, raw clients (bound to a chosen local address, paced, resetting), and an
// asynchronous flood client.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace hardening {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using socketserver::Address;
using socketserver::Seconds;

/// Seconds elapsed since @p start.
double seconds_since(Clock::time_point start);

/// A bundled example server running in a child process, on port 0 (or the given --unix).
class ExampleServer {
public:
  /// Starts build/examples/@p name with @p args (plus `--port 0` unless `--unix` is among
  /// them), waits for its `listening on` line. @p shell_prefix, when set, is run by /bin/sh
  /// before exec (e.g. `ulimit -n 64`). Its stderr is captured unless @p capture_stderr is
  /// false (then it goes to the test's stderr: for servers that may log a lot).
  ExampleServer(const std::string& name, std::vector<std::string> args, const std::string& shell_prefix = "",
                bool capture_stderr = true);
  const Address& address() const { return address_; }
  pid_t pid() const { return process_->pid(); }
  test_support::ChildProcess& process() { return *process_; }
  /// Sends @p signal_number and waits for the exit status (nothing on timeout).
  std::optional<int> stop(int signal_number, Seconds timeout = 10s);
  /// Everything the server wrote on stderr (call after it has exited).
  std::string stderr_text() { return process_->stderr_text(); }

private:
  std::unique_ptr<test_support::ChildProcess> process_;
  Address address_;
};

/// user + system CPU time consumed by process @p pid, in seconds.
double cpu_seconds(pid_t pid);
/// Open descriptors of @p pid.
std::size_t fd_count(pid_t pid);
/// Threads of @p pid.
std::size_t thread_count(pid_t pid);
/// Zombie children of @p pid.
std::size_t zombie_children_of(pid_t pid);
/// Live (non-zombie) children of @p pid. Unlike test_support::children_of(), safe while
/// processes exit during the scan.
std::vector<pid_t> live_children_of(pid_t pid);
/// Resident set size of @p pid in bytes; 0 when it is gone.
std::size_t rss_bytes(pid_t pid);
/// True while a process @p pid exists (zombie or not).
bool process_exists(pid_t pid);
/// True while @p signal_number is pending for process @p pid (sent, not yet delivered).
bool signal_pending(pid_t pid, int signal_number);
/// One echo exchange with a fresh client, half-closed so that the server ends it.
bool echoes(const Address& address, const std::string& data = "ping");

/// A raw TCP or Unix client socket for the hostile cases the test Client does not cover.
class RawClient {
public:
  /// Connects to @p server, first binding to @p local_host (e.g. "127.0.0.2") when given.
  explicit RawClient(const Address& server, const std::string& local_host = "");
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  int fd() const { return fd_; }
  /// Sends all of @p data; false when the connection failed (reset, broken pipe).
  bool send_all(std::string_view data, Seconds timeout = 10s);
  /// Sends @p data; returns how many bytes went before an error or the timeout.
  std::size_t send_some(std::string_view data, Seconds timeout);
  /// Waits up to @p timeout for data or end of stream; the bytes received (possibly none),
  /// and whether the connection is over (EOF or reset).
  struct Received {
    std::string data;
    bool closed = false;
  };
  Received receive(Seconds timeout, std::size_t max = 65536);
  /// Reads until @p size bytes arrived, the peer closed, or @p timeout.
  Received receive_exactly(std::size_t size, Seconds timeout);
  /// Reads until end of stream or @p timeout.
  Received receive_all(Seconds timeout);
  /// True when the peer has closed (EOF or reset) within @p timeout; data are discarded.
  bool wait_closed(Seconds timeout);
  void half_close();
  /// Closes with RST (SO_LINGER 0).
  void reset();

private:
  int fd_ = -1;
};

/// Result of a flood.
struct FloodResult {
  std::size_t answered = 0;  ///< got exactly their echo
  std::size_t refused = 0;   ///< connection refused or reset before any byte
  std::size_t wrong = 0;     ///< got something else, or timed out
  double seconds = 0;
  std::vector<std::string> samples;  ///< a few descriptions of the wrong ones
};

/// Opens @p connections connections to an echo server (at most @p in_flight at once), each
/// sending a short distinct line and half-closing, and checks each echo.
FloodResult flood_echo(const Address& server, std::size_t connections, std::size_t in_flight,
                       Seconds per_connection_timeout);

} // namespace hardening
