/// @file
/// @brief ClientCommandLine: the options every example client shares.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/program_options.hpp>

#include "socketserver/address.hpp"
#include "socketserver/command_line_base.hpp"
#include "socketserver/tls_context.hpp"

namespace socketserver {

/// The parsed command line of a client.
struct ClientOptions {
  /// The server: `--host` and `--port`, or `--unix`.
  Address address;
  /// `--udp` was given: talk in datagrams (UDP, or Unix datagram with `--unix`).
  bool datagram = false;
  /// The client's TLS context (`--tls`, `--tls-ca`, `--tls-cert`, `--tls-key`), its files
  /// loaded; null for a plain connection.
  std::shared_ptr<TLSContext> tls;
  /// Every option's value, the program's own options included.
  boost::program_options::variables_map values;
};

/// What ClientCommandLine::parse() returns.
using ClientParseOutcome = BasicParseOutcome<ClientOptions>;

/// The shared command line of a client: `--host`, `--port`, `--unix PATH`, `--udp` once
/// allow_datagram() offered it, `--tls [--tls-ca FILE] [--tls-cert FILE --tls-key FILE]`,
/// `--help` and `--version`, plus the program's own options (add_options()). Parsed like ServerCommandLine: a bad value is one line naming the option
/// and exit status 2. Needs the `socketserver::command_line` CMake target.
class ClientCommandLine : public CommandLine {
public:
  /// @param program name printed in messages; @param summary one line for `--help`;
  /// @param default_port the server's port when `--port` is not given.
  ClientCommandLine(std::string program, std::string summary, std::uint16_t default_port);


  /// Parses without printing or exiting (for tests and embedding).
  ClientParseOutcome parse(int argc, const char* const argv[]) const;

  /// Parses; prints help or version and exits 0, or prints the error line and exits 2.
  ClientOptions parse_or_exit(int argc, const char* const argv[]) const;

private:
  boost::program_options::options_description shared_options() const;
  ClientOptions interpret(const boost::program_options::variables_map& values) const;
};

} // namespace socketserver
