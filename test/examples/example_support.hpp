// Helpers of the examples suite: run a program to completion with its output captured,
// run a tutorial-style Python client, and keep an example server running for a test.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace examples_test {

using namespace std::chrono_literals;
using socketserver::Address;
using socketserver::Seconds;

/// What a finished program left behind.
struct Result {
  int status = -1;   ///< exit status, or 128 + signal
  std::string out;   ///< everything on stdout
  std::string err;   ///< everything on stderr
};

/// Runs @p program with @p args, feeding it @p input on stdin, until it exits; kills it and
/// throws after @p timeout. stdout and stderr are captured byte for byte.
Result run(const std::string& program, const std::vector<std::string>& args, const std::string& input = "",
           Seconds timeout = 30s);

/// Path of an example binary.
std::string example(const std::string& name);

/// Runs a Python 3 script (given as source) with @p args.
Result python(const std::string& script, const std::vector<std::string>& args, const std::string& input = "",
              Seconds timeout = 30s);

/// The host of @p address for a client's --host (or a Python client's argv).
std::string host_of(const Address& address);
/// The port of @p address as text.
std::string port_of(const Address& address);
/// `--host H --port P`, or `--unix PATH`, for an example client.
std::vector<std::string> client_args(const Address& address);

/// An example server started for one test: the constructor waits for its `listening on`
/// line; stop() (or the destructor) sends SIGTERM and expects exit status 0.
class Server {
public:
  /// Starts examples/@p name with @p args (`--port 0` is added unless --unix or --port is
  /// among them).
  Server(const std::string& name, std::vector<std::string> args, bool capture_stderr = false);
  ~Server();

  /// Where it listens.
  const Address& address() const { return address_; }
  /// The process, for reading its output and writing its stdin.
  test_support::ChildProcess& process() { return *process_; }
  /// The next line on its stdout (throws after the timeout).
  std::string line(Seconds timeout = test_support::io_timeout);
  /// Sends @p signal and returns the exit status (-1 if it did not exit within @p timeout).
  int stop(int signal_number = 15, Seconds timeout = 5s);

private:
  std::unique_ptr<test_support::ChildProcess> process_;
  Address address_;
  bool stopped_ = false;
};

/// True when this machine can bind the IPv6 loopback.
bool have_ipv6();

/// The SHA-256 of a file, as sha256sum prints it.
std::string sha256(const std::string& path);

/// Writes @p size pseudo-random bytes to @p path.
void write_random_file(const std::string& path, std::size_t size, unsigned seed);

/// The modes, for loops: ModeCase::args() gives a server's `--mode` (and, in async mode,
/// `--threads`) arguments.
using test_support::all_modes;
using test_support::ModeCase;

} // namespace examples_test
