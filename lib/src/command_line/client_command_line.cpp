#include "socketserver/client_command_line.hpp"

#include "option_values.hpp"
#include "parse_steps.hpp"
#include "tls_options.hpp"
#include "usage_error.hpp"

namespace po = boost::program_options;

namespace socketserver {

using namespace command_line_detail;

ClientCommandLine::ClientCommandLine(std::string program, std::string summary, std::uint16_t default_port)
    : CommandLine(std::move(program), std::move(summary), default_port) {}

po::options_description ClientCommandLine::shared_options() const {
  po::options_description shared("Client options");
  auto add = shared.add_options();
  add("host", po::value<std::string>()->default_value("127.0.0.1")->value_name("HOST"), "server host (name, IPv4 or IPv6)");
  add("port", po::value<unsigned>()->default_value(default_port())->value_name("PORT"), "server port");
  add("unix", po::value<std::string>()->value_name("PATH"), "connect to a Unix-domain socket instead");
  if (datagram_offered()) add("udp", po::bool_switch(), "use datagrams (UDP, or Unix datagram with --unix)");
  add_client_tls_options(shared);
  return shared;
}

ClientParseOutcome ClientCommandLine::parse(int argc, const char* const argv[]) const {
  return parse_with<ClientOptions>(*this, argc, argv, shared_options(),
                                   [this](const po::variables_map& values) { return interpret(values); });
}

ClientOptions ClientCommandLine::parse_or_exit(int argc, const char* const argv[]) const {
  return options_or_exit(parse(argc, argv));
}

ClientOptions ClientCommandLine::interpret(const po::variables_map& values) const {
  ClientOptions options;
  options.address = address(values, 1);
  options.datagram = datagram_offered() && values["udp"].as<bool>();
  options.tls = client_tls_context(values);
  if (options.tls && options.datagram) throw UsageError("tls", "TLS needs a stream connection: not with --udp");
  options.values = values;
  return options;
}

} // namespace socketserver
