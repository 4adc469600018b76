// ClientCommandLine: --host, --port, --unix, --udp where offered, --help, --version and the
// program's own options, parsed by the same core as the server's: negative numbers, stray
// arguments and bad addresses are one line naming the option, exit status 2.
#define BOOST_TEST_MODULE cli_client
#include <boost/test/unit_test.hpp>

#include "cli_support.hpp"
#include "tls_support.hpp"

using namespace socketserver;
using cli_test::expect_usage_error;
namespace po = boost::program_options;

namespace {

constexpr std::uint16_t default_port = 5003;

ClientCommandLine command_line(bool datagram = false) {
  ClientCommandLine cli("prog", "A test client.", default_port);
  if (datagram) cli.allow_datagram();
  cli.add_options()("count", po::value<unsigned>()->default_value(100), "messages to send");
  return cli;
}

ClientParseOutcome parse(std::vector<std::string> args, bool datagram = false) {
  return cli_test::parse(command_line(datagram), std::move(args));
}

ClientOptions accepted(std::vector<std::string> args, bool datagram = false) {
  return cli_test::accepted(command_line(datagram), std::move(args));
}

} // namespace

BOOST_AUTO_TEST_CASE(defaults) {
  ClientOptions options = accepted({});
  BOOST_TEST(options.address == Address::inet("127.0.0.1", default_port));
  BOOST_TEST(!options.datagram);
  BOOST_TEST(options.values["count"].as<unsigned>() == 100u);
}

BOOST_AUTO_TEST_CASE(every_option) {
  BOOST_TEST(accepted({"--host", "::1", "--port", "7"}).address == Address::inet("::1", 7));
  BOOST_TEST(accepted({"--host", "[::1]", "--port", "7"}).address == Address::inet("::1", 7));
  BOOST_TEST(accepted({"--unix", "/tmp/c.sock"}).address == Address::unix_socket("/tmp/c.sock"));
  BOOST_TEST(accepted({"--udp"}, true).datagram);
  BOOST_TEST(accepted({"--count", "3"}).values["count"].as<unsigned>() == 3u);
}

BOOST_AUTO_TEST_CASE(bad_values) {
  expect_usage_error(parse({"--port", "0"}), "--port");  // a client needs the server's real port
  expect_usage_error(parse({"--port", "65536"}), "--port");
  expect_usage_error(parse({"--port=-1"}), "--port");    // not wrapped round to 4294967295
  expect_usage_error(parse({"--count=-3"}), "--count");  // the program's own unsigned options too
  expect_usage_error(parse({"--udp"}), "udp");           // not offered
  expect_usage_error(parse({"--bogus"}), "--bogus");
  expect_usage_error(parse({"--host", "[1.2.3.4]"}), "--host");
  expect_usage_error(parse({"--host", "a/b"}), "--host");
  expect_usage_error(parse({"--unix", ""}), "--unix");
  expect_usage_error(parse({"--unix", "/" + std::string(107, 'a')}), "--unix");
}

BOOST_AUTO_TEST_CASE(stray_arguments_are_refused) {
  expect_usage_error(parse({"stray"}), "'stray'");
  expect_usage_error(parse({"--port", "80", "8080"}), "'8080'");
}

BOOST_AUTO_TEST_CASE(no_config_file_for_clients) {
  expect_usage_error(parse({"--config", "/dev/null"}), "config");
}

BOOST_AUTO_TEST_CASE(help_shows_the_shared_and_the_programs_options_in_two_groups) {
  ClientParseOutcome outcome = parse({"--help"}, true);
  BOOST_TEST(outcome.exit_status == 0);
  BOOST_TEST(!outcome.options.has_value());
  const std::string& help = outcome.message;
  BOOST_TEST(help.starts_with("Usage: prog [options]\nA test client.\n\nClient options:\n"), help);
  for (const char* option : {"--host", "--port", "--unix", "--udp", "--help", "--version"})
    BOOST_TEST(help.find(option) < help.find("\n\nprog options:\n  --count"), option);
  BOOST_TEST(help.find("\n\n\n") == std::string::npos, help);
  BOOST_TEST(!help.ends_with("\n\n"), help);
}

BOOST_AUTO_TEST_CASE(version_lines) {
  ClientParseOutcome plain = parse({"--version"});
  BOOST_TEST(plain.exit_status == 0);
  BOOST_TEST(plain.message == version_line("prog") + "\n");
  ClientCommandLine cli = command_line();
  cli.version("0.9").allow_datagram();
  BOOST_TEST(cli_test::parse(cli, {"--version"}).message ==
             "prog 0.9 (socketserver " + std::string(socketserver::version) + ")\n");
}

BOOST_AUTO_TEST_SUITE(tls_options)

const tls_test::Certificates& files() { return tls_test::certificates(); }

BOOST_AUTO_TEST_CASE(tls_and_any_tls_file_make_a_client_context) {
  BOOST_TEST(!accepted({}).tls);
  auto system_store = accepted({"--tls"}).tls;
  BOOST_TEST_REQUIRE(system_store != nullptr);
  BOOST_TEST((system_store->role() == TLSContext::Role::client));
  BOOST_TEST(accepted({"--tls-ca", files().ca}).tls != nullptr);
  BOOST_TEST(accepted({"--tls-ca", files().ca, "--tls-cert", files().client, "--tls-key", files().client_key}).tls !=
             nullptr);
}

BOOST_AUTO_TEST_CASE(bad_tls_options_are_one_line) {
  expect_usage_error(parse({"--tls-cert", files().client}), "--tls-key");
  expect_usage_error(parse({"--tls", "--tls-key", files().client_key}), "--tls-cert");
  expect_usage_error(parse({"--tls-ca", files().dir + "/missing.pem"}), "--tls-ca: cannot read");
  expect_usage_error(parse({"--tls-ca", files().client_key}), "certificate authorities from '" + files().client_key);
  expect_usage_error(parse({"--tls", "--udp"}, true), "--tls: TLS needs a stream connection");
}

BOOST_AUTO_TEST_SUITE_END()
