/// @file
/// @brief ServerCommandLine: the options every example server shares.
#pragma once

#include <cstdint>
#include <string>

#include <boost/program_options.hpp>

#include "socketserver/command_line_base.hpp"
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

/// What ServerCommandLine::parse() returns.
using ParseOutcome = BasicParseOutcome<ServerOptions>;

/// The shared command line of a server (DESIGN.md's "One CLI for every example"), on
/// Boost.Program_options:
///
/// - where: `--host`, `--port`, `--unix PATH`, and `--udp` once allow_datagram() offered it;
/// - how: `--mode async|sync|threading|forking|pool` (default async), `--workers N` (pool),
///   `--threads N` and `--stack-size KIB` (async), `--max-children N` (forking);
/// - limits: `--timeout SECS` (each read or write call must finish within it),
///   `--drain-timeout SECS` (how long in-flight requests may finish after SIGINT/SIGTERM),
///   `--max-connections N`, `--reply-rate N` (with `--udp`), `--backlog N`, `--allow CIDR`
///   (repeatable: accept only clients from these networks);
/// - TLS on stream servers: `--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]`
///   (ServerConfig::tls, the files loaded as the line is parsed);
/// - and `--verbose`, `--config FILE`, `--help`, `--version`, plus the program's own options
///   (add_options()).
///
/// A bad value is one line naming the option (and, from `--config`, the file and line), and
/// exit status 2. Needs the `socketserver::command_line` CMake target.
class ServerCommandLine : public CommandLine {
public:
  /// Per-connection timeout of the examples unless `--timeout` says otherwise.
  static constexpr double default_timeout_seconds = 30;
  /// Drain deadline unless `--drain-timeout` says otherwise.
  static constexpr double default_drain_timeout_seconds = BaseServer::default_drain_timeout.count();
  /// Longest `--timeout` or `--drain-timeout`: a year, far inside what the clocks hold
  /// (`std::chrono::nanoseconds` overflows after 292 years), and longer than any deadline
  /// an operator means; 0 is the way to ask for none.
  static constexpr double longest_duration_seconds = 365.0 * 24 * 3600;
  /// Shortest `--timeout` or `--drain-timeout` other than 0: a millisecond (a shorter one
  /// would round to nothing on the way to the clock).
  static constexpr double shortest_duration_seconds = 0.001;
  /// Most `--workers`: well beyond what a pool needs, and a thousandth of the memory 100,000
  /// threads would take.
  static constexpr unsigned most_workers = 1024;
  /// Most `--max-children`: as many processes as a forking server can reasonably keep.
  static constexpr unsigned most_children = 1024;
  /// Most `--backlog`: the kernel caps the listen() backlog at net.core.somaxconn anyway.
  static constexpr unsigned most_backlog = 65535;
  /// Stream connections open at once unless `--max-connections` says otherwise: at the
  /// worst handler's 1 MiB per connection (framed echo's largest message) that is 256 MiB,
  /// which keeps a server alive on a 1 GiB machine.
  static constexpr unsigned default_max_connections = 256;
  /// Stream connections open at once in async mode unless `--max-connections` says
  /// otherwise: ten thousand idle connections cost about 60 MiB there (a fiber each).
  static constexpr unsigned default_async_max_connections = 16384;
  /// Most `--threads`.
  static constexpr unsigned most_threads = 1024;
  /// Least and most `--stack-size`, in KiB: below 16 KiB an ordinary handler's frames
  /// and Asio's do not fit; 64 MiB is far beyond any handler's need.
  static constexpr unsigned least_stack_kib = 16;
  /// See #least_stack_kib.
  static constexpr unsigned most_stack_kib = 65536;
  /// Most `--max-connections`: the kernel's default ceiling on open files (nr_open).
  static constexpr unsigned most_connections = 1024 * 1024;
  /// Datagram replies per second to one source address unless `--reply-rate` says
  /// otherwise: plenty for a person or a test, and bounds a reflection loop.
  static constexpr unsigned default_reply_rate = 100;
  /// Most `--reply-rate`.
  static constexpr unsigned most_reply_rate = 1000000;

  /// @param program name printed in messages; @param summary one line for `--help`;
  /// @param default_port the port when `--port` is not given.
  ServerCommandLine(std::string program, std::string summary, std::uint16_t default_port);


  /// Parses without printing or exiting (for tests and embedding).
  ParseOutcome parse(int argc, const char* const argv[]) const;

  /// Parses; prints help or version and exits 0, or prints the error line and exits 2.
  ServerOptions parse_or_exit(int argc, const char* const argv[]) const;

private:
  boost::program_options::options_description shared_options() const;
  ServerOptions interpret(const boost::program_options::variables_map& values) const;
};

} // namespace socketserver
