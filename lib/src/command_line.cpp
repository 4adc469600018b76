#include "socketserver/command_line.hpp"

#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "socketserver/version.hpp"

namespace po = boost::program_options;

namespace socketserver {
namespace {

// A usage error: becomes "PROGRAM: error: MESSAGE" and exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

po::options_description shared_options(std::uint16_t default_port, bool datagram) {
  po::options_description shared("Server options");
  auto add = shared.add_options();
  add("host", po::value<std::string>()->default_value("127.0.0.1"), "address to listen on (name, IPv4 or IPv6)");
  add("port", po::value<unsigned>()->default_value(default_port), "port to listen on (0: any free port)");
  add("unix", po::value<std::string>()->value_name("PATH"), "listen on a Unix-domain socket instead");
  if (datagram) add("udp", po::bool_switch(), "serve datagrams (UDP, or Unix datagram with --unix)");
  add("mode", po::value<std::string>()->default_value("sync"), "sync | threading | forking | pool");
  add("workers", po::value<unsigned>()->value_name("N"), "worker threads in pool mode (default: cores, at least 4)");
  add("max-children", po::value<unsigned>()->default_value(40)->value_name("N"), "child processes alive at once in forking mode");
  add("timeout", po::value<double>()->default_value(ServerCommandLine::default_timeout_seconds)->value_name("SECS"),
      "time limit of each read and each write call on a connection: the whole call must finish within it (0: none)");
  add("backlog", po::value<int>()->value_name("N"), "listen() backlog (default: system maximum)");
  add("allow", po::value<std::vector<std::string>>()->composing()->value_name("CIDR"),
      "accept only clients from this network, e.g. 127.0.0.0/8 or ::1/128 (repeatable; default: all)");
  add("drain-timeout", po::value<double>()->default_value(ServerCommandLine::default_drain_timeout_seconds)->value_name("SECS"),
      "on SIGINT/SIGTERM, time in-flight requests get to finish before they are cut (0: cut at once)");
  add("verbose", po::bool_switch(), "log each request on stderr");
  add("config", po::value<std::string>()->value_name("FILE"), "read options from FILE (name = value lines)");
  return shared;
}

po::options_description info_options() {
  po::options_description info("Information");
  info.add_options()("help", "show this help and exit")("version", "show the version and exit");
  return info;
}

void require(bool condition, const std::string& message) {
  if (!condition) throw UsageError(message);
}

// Refuses what Program_options lets through: a stray argument (it would be silently
// ignored) and a negative value for an unsigned option (lexical_cast wraps "-1" round to
// 4294967295, so `--workers=-1` would ask for four billion threads).
const po::parsed_options& checked(const po::parsed_options& parsed) {
  for (const po::option& option : parsed.options) {
    if (option.position_key >= 0) throw UsageError("unexpected argument '" + option.value.front() + "'");
    const po::option_description* description = parsed.description->find_nothrow(option.string_key, false);
    bool is_unsigned =
        description && dynamic_cast<const po::typed_value<unsigned>*>(description->semantic().get());
    for (const std::string& value : option.value)
      if (is_unsigned && value.starts_with('-'))
        throw UsageError("--" + option.string_key + ": must not be negative (got '" + value + "')");
  }
  return parsed;
}

} // namespace

std::string version_line(const std::string& program) {
  return program + " (socketserver) " + version;
}

ServerCommandLine::ServerCommandLine(std::string program, std::string summary, std::uint16_t default_port)
    : program_(std::move(program)), summary_(std::move(summary)), default_port_(default_port) {}

ServerCommandLine& ServerCommandLine::allow_datagram() {
  datagram_ = true;
  return *this;
}

ParseOutcome ServerCommandLine::parse(int argc, const char* const argv[]) const {
  po::options_description settings;
  settings.add(shared_options(default_port_, datagram_));
  if (!own_.options().empty()) settings.add(own_);
  po::options_description everything;
  everything.add(settings).add(info_options());

  ParseOutcome outcome;
  try {
    po::variables_map values;
    po::store(checked(po::command_line_parser(argc, argv).options(everything).run()), values);
    if (values.count("help")) {
      std::ostringstream help;
      help << "Usage: " << program_ << " [options]\n" << summary_ << "\n\n" << everything;
      outcome.message = help.str();
      return outcome;
    }
    if (values.count("version")) {
      outcome.message = version_line(program_) + "\n";
      return outcome;
    }
    if (values.count("config")) {
      auto path = values["config"].as<std::string>();
      std::ifstream file(path);
      require(file.good(), "--config: cannot read '" + path + "'");
      po::store(checked(po::parse_config_file(file, settings)), values);
    }
    po::notify(values);
    outcome.options = interpret(values);
  } catch (const po::error& e) {
    outcome.exit_status = 2;
    outcome.message = program_ + ": error: " + e.what();
  } catch (const UsageError& e) {
    outcome.exit_status = 2;
    outcome.message = program_ + ": error: " + e.what();
  }
  return outcome;
}

ServerOptions ServerCommandLine::interpret(const po::variables_map& values) const {
  ServerOptions options;
  ServerConfig& config = options.config;

  auto port = values["port"].as<unsigned>();
  require(port <= 65535, "--port: " + std::to_string(port) + " is not a port (0 to 65535)");
  if (values.count("unix")) {
    auto path = values["unix"].as<std::string>();
    require(!path.empty(), "--unix: the path is empty");
    config.address = Address::unix_socket(path);
  } else {
    auto host = values["host"].as<std::string>();
    require(host.find('/') == std::string::npos, "--host: '" + host + "' is not a host name or address");
    config.address = Address::inet(host, static_cast<std::uint16_t>(port));
  }
  config.datagram = datagram_ && values["udp"].as<bool>();

  try {
    config.mode = parse_mode(values["mode"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--mode: ") + e.what());
  }
  if (values.count("workers")) {
    config.workers = values["workers"].as<unsigned>();
    require(config.workers >= 1, "--workers: must be at least 1");
  }
  config.max_children = values["max-children"].as<unsigned>();
  require(config.max_children >= 1, "--max-children: must be at least 1");

  double timeout = values["timeout"].as<double>();
  require(std::isfinite(timeout) && timeout >= 0, "--timeout: must be a number of seconds, 0 or more");
  if (timeout > 0) config.request_timeout = Seconds(timeout);

  double drain = values["drain-timeout"].as<double>();
  require(std::isfinite(drain) && drain >= 0, "--drain-timeout: must be a number of seconds, 0 or more");
  config.drain_timeout = Seconds(drain);

  if (values.count("allow")) {
    for (const std::string& cidr : values["allow"].as<std::vector<std::string>>()) {
      try {
        config.allowed_networks.add(cidr);
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--allow: ") + e.what());
      }
    }
  }

  if (values.count("backlog")) {
    config.backlog = values["backlog"].as<int>();
    require(config.backlog >= 1, "--backlog: must be at least 1");
  }
  options.verbose = values["verbose"].as<bool>();
  config.log_requests = options.verbose;
  options.values = values;
  return options;
}

ServerOptions ServerCommandLine::parse_or_exit(int argc, const char* const argv[]) const {
  ParseOutcome outcome = parse(argc, argv);
  if (outcome.options) return std::move(*outcome.options);
  if (outcome.exit_status == 0) {
    std::fputs(outcome.message.c_str(), stdout);
  } else {
    std::fprintf(stderr, "%s\n", outcome.message.c_str());
  }
  std::exit(outcome.exit_status);
}

} // namespace socketserver
