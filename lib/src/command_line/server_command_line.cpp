#include "socketserver/server_command_line.hpp"

#include <string>
#include <vector>

#include "option_values.hpp"
#include "parse_steps.hpp"
#include "tls_options.hpp"
#include "usage_error.hpp"

namespace po = boost::program_options;

namespace socketserver {

using namespace command_line_detail;

ServerCommandLine::ServerCommandLine(std::string program, std::string summary, std::uint16_t default_port)
    : CommandLine(std::move(program), std::move(summary), default_port) {}

po::options_description ServerCommandLine::shared_options() const {
  po::options_description shared("Server options");
  auto add = shared.add_options();
  add("host", po::value<std::string>()->default_value("127.0.0.1")->value_name("HOST"), "address to listen on (name, IPv4 or IPv6)");
  add("port", po::value<unsigned>()->default_value(default_port())->value_name("PORT"), "port to listen on (0: any free port)");
  add("unix", po::value<std::string>()->value_name("PATH"), "listen on a Unix-domain socket instead");
  if (datagram_offered()) add("udp", po::bool_switch(), "serve datagrams (UDP, or Unix datagram with --unix)");
  add("mode", po::value<std::string>()->default_value("async")->value_name("MODE"), "async | sync | threading | forking | pool");
  add("workers", po::value<unsigned>()->value_name("N"), "worker threads in pool mode, at most 1024 (default: cores, at least 4)");
  add("threads", po::value<unsigned>()->value_name("N"), "event-loop threads in async mode, at most 1024 (default: cores)");
  add("stack-size", po::value<unsigned>()->value_name("KIB"),
      "stack of each request's fiber in async mode, in KiB (16 to 65536; default 64)");
  add("max-children", po::value<unsigned>()->default_value(40)->value_name("N"),
      "child processes alive at once in forking mode (at most 1024)");
  static const std::string max_connections_help =
      "stream connections open at once; at the limit the server stops accepting (0: no limit; default " +
      std::to_string(default_max_connections) + ", in async mode " + std::to_string(default_async_max_connections) + ")";
  add("max-connections", po::value<unsigned>()->value_name("N"), max_connections_help.c_str());
  if (datagram_offered())
    add("reply-rate", po::value<unsigned>()->default_value(default_reply_rate)->value_name("N"),
        "datagram replies per second to one source address; more are dropped (0: no limit)");
  add("timeout", po::value<double>()->default_value(default_timeout_seconds)->value_name("SECS"),
      "deadline for each read or write call on a connection: a call that has not finished by then ends "
      "the connection (0: none; at most a year)");
  add("drain-timeout", po::value<double>()->default_value(default_drain_timeout_seconds)->value_name("SECS"),
      "on SIGINT/SIGTERM, time in-flight requests get to finish before they are cut (0: cut at once)");
  add("backlog", po::value<unsigned>()->value_name("N"), "listen() backlog, at most 65535 (default: system maximum)");
  add("allow", po::value<std::vector<std::string>>()->composing()->value_name("CIDR"),
      "accept only clients from this network, e.g. 127.0.0.0/8 or ::1/128 (repeatable; default: all)");
  add_server_tls_options(shared);
  add("verbose", po::bool_switch(), "log each request on stderr");
  add("config", po::value<std::string>()->value_name("FILE"), "read options from FILE (name = value lines)");
  return shared;
}

ParseOutcome ServerCommandLine::parse(int argc, const char* const argv[]) const {
  return parse_with<ServerOptions>(*this, argc, argv, shared_options(),
                                   [this](const po::variables_map& values) { return interpret(values); });
}

ServerOptions ServerCommandLine::parse_or_exit(int argc, const char* const argv[]) const {
  return options_or_exit(parse(argc, argv));
}

ServerOptions ServerCommandLine::interpret(const po::variables_map& values) const {
  ServerOptions options;
  ServerConfig& config = options.config;
  config.address = address(values, 0);
  config.datagram = datagram_offered() && values["udp"].as<bool>();
  try {
    config.mode = parse_mode(values["mode"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    throw UsageError("mode", e.what());
  }

  if (values.count("workers")) config.workers = bounded(values, "workers", 1, most_workers);
  config.max_children = bounded(values, "max-children", 1, most_children);
  if (values.count("threads")) config.threads = bounded(values, "threads", 1, most_threads);
  if (values.count("stack-size"))
    config.stack_size = std::size_t{1024} * bounded(values, "stack-size", least_stack_kib, most_stack_kib);
  config.max_connections = values.count("max-connections") ? bounded(values, "max-connections", 0, most_connections)
                           : config.mode == Mode::async ? default_async_max_connections
                                                        : default_max_connections;
  if (datagram_offered()) config.reply_rate_limit = bounded(values, "reply-rate", 0, most_reply_rate);
  if (values.count("backlog")) config.backlog = static_cast<int>(bounded(values, "backlog", 1, most_backlog));

  config.request_timeout = duration(values, "timeout", shortest_duration_seconds, longest_duration_seconds);
  // 0 cuts in-flight requests at once: a drain of no time, not "no drain limit".
  config.drain_timeout =
      duration(values, "drain-timeout", shortest_duration_seconds, longest_duration_seconds).value_or(Seconds(0));

  if (values.count("allow")) {
    for (const std::string& cidr : values["allow"].as<std::vector<std::string>>()) {
      try {
        config.allowed_networks.add(cidr);
      } catch (const std::invalid_argument& e) {
        throw UsageError("allow", e.what());
      }
    }
  }
  config.tls = server_tls_context(values);
  if (config.tls && config.datagram) throw UsageError("tls-cert", "TLS needs a stream server: not with --udp");
  options.verbose = values["verbose"].as<bool>();
  config.log_requests = options.verbose;
  options.values = values;
  return options;
}

} // namespace socketserver
