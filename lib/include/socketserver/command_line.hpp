/// @file
/// @brief ServerCommandLine: the options every example server shares.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/program_options.hpp>

#include "socketserver/make_server.hpp"

namespace socketserver {

/// The parsed command line of a server.
struct ServerOptions {
  /// Address, mode and limits, ready for make_server().
  ServerConfig config;
  /// `--verbose` was given.
  bool verbose = false;
  /// Every option's value, the program's own options included.
  boost::program_options::variables_map values;
};

/// The result of ServerCommandLine::parse(): options to run with, or a status to exit with
/// (0 after `--help` or `--version`, 2 after a usage error) and the text to print.
struct ParseOutcome {
  /// Set when the program should run.
  std::optional<ServerOptions> options;
  /// The exit status when #options is empty.
  int exit_status = 0;
  /// Help or version text (for stdout), or the one-line error (for stderr).
  std::string message;
};

/// The shared command line of DESIGN.md, on Boost.Program_options:
/// `--host --port --unix --udp --mode --workers --max-children --timeout --backlog
/// --verbose --config --help --version`, plus `--allow CIDR` (repeatable: accept only
/// clients from these networks) and `--drain-timeout SECS` (how long in-flight requests
/// may finish after SIGINT/SIGTERM), plus options a program adds with add_options().
///
/// A bad value is one line naming the option, and exit status 2.
class ServerCommandLine {
public:
  /// Per-connection timeout of the examples unless `--timeout` says otherwise.
  static constexpr double default_timeout_seconds = 30;
  /// Drain deadline unless `--drain-timeout` says otherwise.
  static constexpr double default_drain_timeout_seconds = BaseServer::default_drain_timeout.count();

  /// @param program name printed in messages; @param summary one line for `--help`;
  /// @param default_port the port when `--port` is not given.
  ServerCommandLine(std::string program, std::string summary, std::uint16_t default_port);

  /// Offers `--udp` (for servers with a datagram flavour).
  ServerCommandLine& allow_datagram();

  /// Adds the program's own options (shown under their own heading in `--help`).
  boost::program_options::options_description_easy_init add_options() { return own_.add_options(); }

  /// Parses without printing or exiting (for tests and embedding).
  ParseOutcome parse(int argc, const char* const argv[]) const;

  /// Parses; prints help or version and exits 0, or prints the error line and exits 2.
  ServerOptions parse_or_exit(int argc, const char* const argv[]) const;

  /// The program name given to the constructor.
  const std::string& program() const noexcept { return program_; }

private:
  ServerOptions interpret(const boost::program_options::variables_map& values) const;

  std::string program_;
  std::string summary_;
  std::uint16_t default_port_;
  bool datagram_ = false;
  boost::program_options::options_description own_{"Program options"};
};

/// `PROGRAM (socketserver) VERSION`, what `--version` prints.
std::string version_line(const std::string& program);

} // namespace socketserver
