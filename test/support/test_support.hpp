// Helpers shared by the test suites: clients with deadlines, a server on a thread,
// child processes with line-by-line output, and /proc counters.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <ostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <socketserver/socketserver.hpp>

namespace test_support {

using namespace std::chrono_literals;
using socketserver::Address;
using socketserver::Seconds;

/// Default bound on any single wait in a test: generous, so only a real hang trips it.
inline constexpr Seconds io_timeout{10};

/// A concurrency mode as the per-mode suites run it. Async mode runs twice, with one
/// event-loop thread (the serving thread alone) and with two (connections alternate
/// between the serving thread and a loop thread of its own).
struct ModeCase {
  socketserver::Mode mode = socketserver::Mode::sync;
  /// Async mode: event-loop threads (ServerConfig::threads, `--threads`); 0 leaves the
  /// server's default.
  std::size_t threads = 0;

  /// Implicit: a plain Mode is a case of its own.
  ModeCase(socketserver::Mode mode, std::size_t threads = 0) : mode(mode), threads(threads) {}
  bool operator==(socketserver::Mode other) const { return mode == other; }
  /// True for the modes that serve requests in this process (all but forking).
  bool in_process() const { return mode != socketserver::Mode::forking; }
  /// The example servers' arguments: `--mode NAME`, `--threads N` when set, then @p more.
  std::vector<std::string> args(const std::vector<std::string>& more = {}) const;
};

/// `sync`, `threading`, `forking`, `pool`, `async --threads 1`, ...
std::string to_string(const ModeCase& mode);
std::ostream& operator<<(std::ostream& out, const ModeCase& mode);

/// The two async cases: one event-loop thread, and two.
inline const ModeCase async_modes[] = {{socketserver::Mode::async, 1}, {socketserver::Mode::async, 2}};
/// Every mode, async twice.
inline const ModeCase all_modes[] = {socketserver::Mode::sync, socketserver::Mode::threading,
                                     socketserver::Mode::forking, socketserver::Mode::pool, async_modes[0],
                                     async_modes[1]};
/// The modes that serve several requests at once.
inline const ModeCase concurrent_modes[] = {socketserver::Mode::threading, socketserver::Mode::forking,
                                            socketserver::Mode::pool, async_modes[0], async_modes[1]};
/// The modes that serve in this process (not forking): what in-process state (handle_error(),
/// the process's threads and memory) tells about.
inline const ModeCase in_process_modes[] = {socketserver::Mode::sync, socketserver::Mode::threading,
                                            socketserver::Mode::pool, async_modes[0], async_modes[1]};

/// A blocking client connection with a deadline on every operation.
class Client {
public:
  /// Connects to @p address (TCP or unix:), failing after io_timeout.
  explicit Client(const Address& address, Seconds timeout = io_timeout);
  ~Client();
  Client(Client&&) = delete;

  void send(std::string_view data);
  /// Reads whatever arrives (at least one byte; empty at EOF).
  std::string recv(std::size_t max = 65536);
  std::string read_exactly(std::size_t size);
  std::string readline();
  /// Reads until the server closes.
  std::string read_all();
  /// shutdown(SHUT_WR): tells the server nothing more is coming.
  void half_close();
  /// Closes with RST (SO_LINGER 0).
  void reset();
  socketserver::StreamSocket& socket() { return socket_; }
  Address local_address() const;

private:
  boost::asio::io_context context_;
  socketserver::StreamSocket socket_;
  socketserver::SocketReader reader_;
  socketserver::SocketWriter writer_;
};

/// Sends @p data as one datagram to @p server and returns the reply (throws after timeout).
std::string datagram_exchange(const Address& server, std::string_view data, Seconds timeout = io_timeout,
                              const std::string& unix_client_path = "");

/// Runs serve_forever() on a thread; the destructor shuts it down and closes the server.
class ServerThread {
public:
  explicit ServerThread(socketserver::BaseServer& server, Seconds poll_interval = 0.5s);
  ~ServerThread();
  void stop();

private:
  socketserver::BaseServer& server_;
  std::thread thread_;
};

/// A child process whose stdout (and optionally stderr) we read line by line.
class ChildProcess {
public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::string& stdin_data = "", bool capture_stderr = false);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// The next stdout line (without '\n'), or nothing at EOF or after @p timeout.
  std::optional<std::string> read_line(Seconds timeout = io_timeout);
  /// Waits for a line starting with @p prefix, returns it; throws after @p timeout.
  std::string wait_for_line(const std::string& prefix, Seconds timeout = io_timeout);
  /// Everything left on stdout until EOF (bounded by timeout).
  std::string read_rest(Seconds timeout = io_timeout);
  /// Everything on stderr (only when capture_stderr), after exit.
  std::string stderr_text();
  void write_stdin(std::string_view data);
  void close_stdin();
  void send_signal(int signal_number);
  /// Waits for exit; returns the exit status, or 128+signal; nothing on timeout.
  std::optional<int> wait(Seconds timeout = io_timeout);

private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int stdin_fd_ = -1;
  std::string pending_;
  std::optional<int> status_;
};

/// Address printed by a server's "listening on ADDRESS" line.
Address parse_listening_line(const std::string& line);

/// Path of a built binary, e.g. binary("examples/echo_server").
std::string binary(const std::string& relative);

/// A fresh temporary directory, removed at destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

std::size_t count_open_fds();
std::size_t count_threads();
/// Zombie children of the current process, from /proc.
std::size_t count_zombie_children();
/// Live (non-zombie) children of @p parent.
std::vector<pid_t> children_of(pid_t parent);
/// Resident set size of @p pid in bytes.
std::size_t resident_bytes(pid_t pid);

/// Polls @p condition until true or @p timeout; returns the last value.
template <class Condition>
bool eventually(Condition condition, Seconds timeout = io_timeout) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

} // namespace test_support
