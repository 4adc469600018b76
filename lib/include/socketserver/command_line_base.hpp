/// @file
/// @brief CommandLine: what the server and client command lines share (the program's name,
/// summary, version and own options), and the outcome of parsing one.
#pragma once

#include <cstdint>

#include <optional>
#include <string>

#include <boost/program_options.hpp>

namespace socketserver {

/// The result of parsing a command line: options to run with, or a status to exit with
/// (0 after `--help` or `--version`, 2 after a usage error) and the text to print.
template <class Options>
struct BasicParseOutcome {
  /// Set when the program should run.
  std::optional<Options> options;
  /// The exit status when #options is empty.
  int exit_status = 0;
  /// Help or version text (for stdout), or the one-line error (for stderr).
  std::string message;
};

/// The part of ServerCommandLine and ClientCommandLine that is about the program rather
/// than the network: its name, its one-line summary, its own version and its own options.
///
/// Both command lines parse the same way: `--help` and `--version` print and exit 0; an
/// unknown option, a stray argument, a malformed or out-of-range value or a negative
/// number for an unsigned option (the program's own included) is one line,
/// `PROGRAM: error: ...` naming the option, and exit status 2.
class CommandLine {
public:
  /// The program name given to the constructor.
  const std::string& program() const noexcept { return program_; }
  /// The one-line summary given to the constructor.
  const std::string& summary() const noexcept { return summary_; }
  /// The program's own version (empty unless the program set one with `version()`).
  const std::string& program_version() const noexcept { return version_; }
  /// The program's own options, as add_options() defined them.
  const boost::program_options::options_description& own_options() const noexcept { return own_; }

  /// Offers `--udp` (for programs with a datagram flavour); on a server, `--reply-rate`
  /// with it.
  CommandLine& allow_datagram() {
    datagram_ = true;
    return *this;
  }

  /// Sets the program's own version, shown by `--version` beside the library's.
  CommandLine& version(std::string program_version) {
    version_ = std::move(program_version);
    return *this;
  }

  /// Adds the program's own options: `--help` shows them as a group of their own,
  /// headed `PROGRAM options`.
  boost::program_options::options_description_easy_init add_options() { return own_.add_options(); }

  /// What `--version` prints (without the newline): `PROGRAM VERSION (socketserver X.Y.Z)`
  /// once the program set its version, `PROGRAM (socketserver) X.Y.Z` before.
  std::string version_line() const;

  /// Prints `PROGRAM: error: MESSAGE` on stderr (control characters escaped, so it stays one
  /// line) and exits with status 2: for the checks a program makes of its own options after
  /// parsing.
  [[noreturn]] void usage_error(const std::string& message) const;

protected:
  /// @param program name printed in messages; @param summary one line for `--help`;
  /// @param default_port the port when `--port` is not given.
  CommandLine(std::string program, std::string summary, std::uint16_t default_port);

  /// The port when `--port` is not given.
  std::uint16_t default_port() const noexcept { return default_port_; }
  /// True once allow_datagram() was called.
  bool datagram_offered() const noexcept { return datagram_; }

private:
  std::uint16_t default_port_;
  bool datagram_ = false;
  std::string program_;
  std::string summary_;
  std::string version_;
  boost::program_options::options_description own_;
};

/// `PROGRAM (socketserver) VERSION`: what `--version` prints for a program that did not set
/// a version of its own.
std::string version_line(const std::string& program);

} // namespace socketserver
