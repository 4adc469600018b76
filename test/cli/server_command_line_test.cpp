// ServerCommandLine (issue 3): the options every example shares. Defaults, every option,
// --config files, --help and --version, and bad values: one line naming the option, exit
// status 2. parse() is used throughout; parse_or_exit() is checked in child processes.
#define BOOST_TEST_MODULE command_line
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace socketserver;
namespace po = boost::program_options;

namespace {

constexpr std::uint16_t default_port = 9999;

ServerCommandLine command_line(bool datagram = false) {
  ServerCommandLine cli("prog", "A test server.", default_port);
  if (datagram) cli.allow_datagram();
  return cli;
}

ParseOutcome parse(const ServerCommandLine& cli, std::vector<std::string> args) {
  args.insert(args.begin(), "prog");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  return cli.parse(static_cast<int>(args.size()), argv.data());
}

ParseOutcome parse(std::vector<std::string> args, bool datagram = false) {
  return parse(command_line(datagram), std::move(args));
}

// Parses what must be accepted; fails the test with the message otherwise.
ServerOptions accepted(std::vector<std::string> args, bool datagram = false) {
  ParseOutcome outcome = parse(std::move(args), datagram);
  BOOST_TEST_REQUIRE(outcome.options.has_value(), "refused: " << outcome.message);
  return std::move(*outcome.options);
}

// A usage error: exit status 2, nothing to run, one line "prog: error: ..." naming @p option.
void expect_usage_error(const ParseOutcome& outcome, const std::string& option) {
  BOOST_TEST(!outcome.options.has_value());
  BOOST_TEST(outcome.exit_status == 2);
  BOOST_TEST(outcome.message.rfind("prog: error: ", 0) == 0, outcome.message);
  BOOST_TEST(outcome.message.find('\n') == std::string::npos, "more than one line: " << outcome.message);
  BOOST_TEST(outcome.message.find(option) != std::string::npos, "'" << option << "' not named in: " << outcome.message);
}

struct ConfigFile {
  test_support::TempDir dir;
  std::string path = dir.file("server.conf");
  explicit ConfigFile(const std::string& text) { std::ofstream(path) << text; }
};

} // namespace

BOOST_AUTO_TEST_SUITE(defaults_and_options)

BOOST_AUTO_TEST_CASE(defaults) {
  ServerOptions options = accepted({});
  const ServerConfig& config = options.config;
  BOOST_TEST(config.address == Address::inet("127.0.0.1", default_port));
  BOOST_TEST(to_string(config.mode) == "sync");
  BOOST_TEST(!config.datagram);
  BOOST_TEST(config.workers == 0u);  // make_server() picks cores, at least 4
  BOOST_TEST(config.max_children == 40u);
  BOOST_TEST(config.request_timeout.has_value());
  BOOST_TEST(config.request_timeout->count() == ServerCommandLine::default_timeout_seconds);
  BOOST_TEST(config.backlog == int(boost::asio::socket_base::max_listen_connections));
  BOOST_TEST(!options.verbose);
}

BOOST_AUTO_TEST_CASE(every_option) {
  ServerOptions options = accepted({"--host", "::1", "--port", "8080", "--mode", "pool", "--workers", "3",
                                    "--max-children", "7", "--timeout", "2.5", "--backlog", "16", "--verbose"});
  const ServerConfig& config = options.config;
  BOOST_TEST(config.address == Address::inet("::1", 8080));
  BOOST_TEST(to_string(config.mode) == "pool");
  BOOST_TEST(config.workers == 3u);
  BOOST_TEST(config.max_children == 7u);
  BOOST_TEST(config.request_timeout.has_value());
  BOOST_TEST(config.request_timeout->count() == 2.5);
  BOOST_TEST(config.backlog == 16);
  BOOST_TEST(options.verbose);
  BOOST_TEST(options.values["port"].as<unsigned>() == 8080u);
}

BOOST_AUTO_TEST_CASE(drain_timeout_and_allowed_networks) {
  ServerOptions options = accepted({"--drain-timeout", "2", "--allow", "127.0.0.0/8", "--allow", "::1/128"});
  BOOST_TEST(options.config.drain_timeout.has_value());
  BOOST_TEST(options.config.drain_timeout->count() == 2.0);
  BOOST_TEST(options.config.allowed_networks.allows(Address::inet("127.0.0.1", 5)));
  BOOST_TEST(!options.config.allowed_networks.allows(Address::inet("10.1.2.3", 5)));
}

BOOST_AUTO_TEST_CASE(equals_syntax) {
  ServerOptions options = accepted({"--port=1234", "--mode=threading", "--host=localhost"});
  BOOST_TEST(options.config.address == Address::inet("localhost", 1234));
  BOOST_TEST(to_string(options.config.mode) == "threading");
}

BOOST_AUTO_TEST_CASE(every_mode) {
  for (const char* mode : {"sync", "threading", "forking", "pool"})
    BOOST_TEST(to_string(accepted({"--mode", mode}).config.mode) == mode);
}

BOOST_AUTO_TEST_CASE(port_range_edges) {
  BOOST_TEST(accepted({"--port", "0"}).config.address.port() == 0u);
  BOOST_TEST(accepted({"--port", "65535"}).config.address.port() == 65535u);
}

BOOST_AUTO_TEST_CASE(timeout_zero_means_none) {
  BOOST_TEST(!accepted({"--timeout", "0"}).config.request_timeout.has_value());
}

BOOST_AUTO_TEST_CASE(unix_socket) {
  ServerOptions options = accepted({"--unix", "/tmp/some.sock"});
  BOOST_TEST(options.config.address == Address::unix_socket("/tmp/some.sock"));
  BOOST_TEST(!options.config.datagram);
}

BOOST_AUTO_TEST_CASE(udp_where_offered) {
  BOOST_TEST(accepted({"--udp"}, true).config.datagram);
  BOOST_TEST(!accepted({}, true).config.datagram);
  ServerOptions unix_datagram = accepted({"--udp", "--unix", "/tmp/d.sock"}, true);
  BOOST_TEST(unix_datagram.config.datagram);
  BOOST_TEST(unix_datagram.config.address.is_unix());
  expect_usage_error(parse({"--udp"}), "--udp");  // a stream-only program has no --udp
}

BOOST_AUTO_TEST_CASE(program_options) {
  ServerCommandLine cli = command_line();
  cli.add_options()("greeting", po::value<std::string>()->default_value("hello"), "what to say");
  ParseOutcome outcome = parse(cli, {"--greeting", "bonjour", "--port", "7"});
  BOOST_TEST_REQUIRE(outcome.options.has_value(), outcome.message);
  BOOST_TEST(outcome.options->values["greeting"].as<std::string>() == "bonjour");
  BOOST_TEST(parse(cli, {"--help"}).message.find("--greeting") != std::string::npos);
  BOOST_TEST(parse(cli, {}).options->values["greeting"].as<std::string>() == "hello");
}

BOOST_AUTO_TEST_CASE(the_config_is_ready_for_make_server) {
  ServerOptions options = accepted({"--port", "0", "--mode", "threading"});
  auto server = make_server(options.config, handler<StreamRequestHandler>());
  BOOST_TEST(server->server_address().port() != 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_file)

BOOST_AUTO_TEST_CASE(options_from_a_file) {
  ConfigFile file("# a comment\nport = 1234\nmode = forking\nmax-children = 5\ntimeout = 4\nworkers = 2\n"
                  "host = 127.0.0.2\nverbose = true\n");
  ServerOptions options = accepted({"--config", file.path});
  BOOST_TEST(options.config.address == Address::inet("127.0.0.2", 1234));
  BOOST_TEST(to_string(options.config.mode) == "forking");
  BOOST_TEST(options.config.max_children == 5u);
  BOOST_TEST(options.config.request_timeout->count() == 4.0);
  BOOST_TEST(options.config.workers == 2u);
  BOOST_TEST(options.verbose);
}

BOOST_AUTO_TEST_CASE(the_command_line_wins_over_the_file) {
  ConfigFile file("port = 1234\nmode = forking\n");
  ServerOptions options = accepted({"--config", file.path, "--port", "99"});
  BOOST_TEST(options.config.address.port() == 99u);
  BOOST_TEST(to_string(options.config.mode) == "forking");
}

BOOST_AUTO_TEST_CASE(a_missing_file) {
  test_support::TempDir dir;
  expect_usage_error(parse({"--config", dir.file("absent.conf")}), "--config");
}

BOOST_AUTO_TEST_CASE(bad_values_in_the_file) {
  expect_usage_error(parse({"--config", ConfigFile("mode = sideways\n").path}), "--mode");
  expect_usage_error(parse({"--config", ConfigFile("port = 70000\n").path}), "--port");
  expect_usage_error(parse({"--config", ConfigFile("workers = none\n").path}), "workers");
  expect_usage_error(parse({"--config", ConfigFile("colour = red\n").path}), "colour");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(information)

BOOST_AUTO_TEST_CASE(help_exits_zero_and_lists_every_option) {
  ParseOutcome outcome = parse({"--help"}, true);
  BOOST_TEST(!outcome.options.has_value());
  BOOST_TEST(outcome.exit_status == 0);
  BOOST_TEST(outcome.message.rfind("Usage: prog", 0) == 0, outcome.message);
  BOOST_TEST(outcome.message.find("A test server.") != std::string::npos);
  for (const char* option : {"--host", "--port", "--unix", "--udp", "--mode", "--workers", "--max-children",
                             "--timeout", "--backlog", "--verbose", "--config", "--help", "--version"})
    BOOST_TEST(outcome.message.find(option) != std::string::npos, option << " missing from --help");
}

BOOST_AUTO_TEST_CASE(version_exits_zero) {
  ParseOutcome outcome = parse({"--version"});
  BOOST_TEST(!outcome.options.has_value());
  BOOST_TEST(outcome.exit_status == 0);
  BOOST_TEST(outcome.message == version_line("prog") + "\n");
  BOOST_TEST(outcome.message.find(version) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_values)

BOOST_AUTO_TEST_CASE(mode) {
  expect_usage_error(parse({"--mode", "bad"}), "--mode");
  expect_usage_error(parse({"--mode", ""}), "--mode");
  expect_usage_error(parse({"--mode", "Threading"}), "--mode");
}

BOOST_AUTO_TEST_CASE(port) {
  expect_usage_error(parse({"--port", "70000"}), "--port");
  expect_usage_error(parse({"--port", "65536"}), "--port");
  expect_usage_error(parse({"--port", "abc"}), "--port");
  expect_usage_error(parse({"--port", "80x"}), "--port");
  expect_usage_error(parse({"--port=-1"}), "--port");
  expect_usage_error(parse({"--port"}), "--port");
}

BOOST_AUTO_TEST_CASE(workers) {
  expect_usage_error(parse({"--workers", "0"}), "--workers");
  expect_usage_error(parse({"--workers", "many"}), "--workers");
  expect_usage_error(parse({"--workers=-3"}), "--workers");
}

BOOST_AUTO_TEST_CASE(max_children) {
  expect_usage_error(parse({"--max-children", "0"}), "--max-children");
  expect_usage_error(parse({"--max-children=-1"}), "--max-children");
}

BOOST_AUTO_TEST_CASE(timeout) {
  expect_usage_error(parse({"--timeout", "-1"}), "--timeout");
  expect_usage_error(parse({"--timeout=-1"}), "--timeout");
  expect_usage_error(parse({"--timeout", "soon"}), "--timeout");
  expect_usage_error(parse({"--timeout", "nan"}), "--timeout");
  expect_usage_error(parse({"--timeout", "inf"}), "--timeout");
}

BOOST_AUTO_TEST_CASE(backlog) {
  expect_usage_error(parse({"--backlog", "0"}), "--backlog");
  expect_usage_error(parse({"--backlog", "lots"}), "--backlog");
}

BOOST_AUTO_TEST_CASE(host_and_unix) {
  expect_usage_error(parse({"--host", "a/b"}), "--host");
  expect_usage_error(parse({"--unix", ""}), "--unix");
}

BOOST_AUTO_TEST_CASE(unknown_option) {
  expect_usage_error(parse({"--bogus"}), "--bogus");
  expect_usage_error(parse({"--bogus=1"}), "--bogus");
}

BOOST_AUTO_TEST_CASE(stray_argument) {
  expect_usage_error(parse({"stray"}), "'stray'");  // not silently ignored
  expect_usage_error(parse({"--port", "80", "8080"}), "'8080'");
}

BOOST_AUTO_TEST_CASE(drain_timeout_and_allow) {
  expect_usage_error(parse({"--drain-timeout", "-1"}), "--drain-timeout");
  expect_usage_error(parse({"--drain-timeout", "later"}), "--drain-timeout");
  expect_usage_error(parse({"--allow", "not-a-network"}), "--allow");
}

BOOST_AUTO_TEST_SUITE_END()

// parse_or_exit() prints and exits: run it in a child and look at the status and output.
namespace {

struct Exited {
  int status = -1;
  std::string out;
  std::string err;
};

std::string drain(int fd) {
  std::string text;
  char chunk[4096];
  for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) > 0;) text.append(chunk, static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

Exited run_parse_or_exit(std::vector<std::string> args) {
  int out[2], err[2];
  BOOST_TEST_REQUIRE(::pipe(out) == 0);
  BOOST_TEST_REQUIRE(::pipe(err) == 0);
  std::cout.flush();
  std::fflush(nullptr);  // or the child's exit() would print the test log buffered so far
  pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    args.insert(args.begin(), "prog");
    std::vector<const char*> argv;
    for (const auto& arg : args) argv.push_back(arg.c_str());
    argv.push_back(nullptr);
    command_line().parse_or_exit(static_cast<int>(args.size()), argv.data());
    std::fflush(nullptr);
    ::_exit(42);  // parsed: the program would run
  }
  ::close(out[1]);
  ::close(err[1]);
  Exited exited;
  exited.out = drain(out[0]);  // small outputs: reading one pipe then the other cannot block
  exited.err = drain(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  exited.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exited;
}

} // namespace

BOOST_AUTO_TEST_SUITE(parse_or_exit)

BOOST_AUTO_TEST_CASE(usage_error_prints_one_line_and_exits_2) {
  Exited exited = run_parse_or_exit({"--port", "abc"});
  BOOST_TEST(exited.status == 2);
  BOOST_TEST(exited.out.empty());
  BOOST_TEST(exited.err.find("--port") != std::string::npos, exited.err);
  BOOST_TEST(std::count(exited.err.begin(), exited.err.end(), '\n') == 1, exited.err);
}

BOOST_AUTO_TEST_CASE(help_and_version_print_and_exit_0) {
  Exited help = run_parse_or_exit({"--help"});
  BOOST_TEST(help.status == 0);
  BOOST_TEST(help.out.rfind("Usage: prog", 0) == 0);
  BOOST_TEST(help.err.empty());
  Exited shown = run_parse_or_exit({"--version"});
  BOOST_TEST(shown.status == 0);
  BOOST_TEST(shown.out == version_line("prog") + "\n");
}

BOOST_AUTO_TEST_CASE(good_options_return) {
  BOOST_TEST(run_parse_or_exit({"--port", "1"}).status == 42);
}

BOOST_AUTO_TEST_SUITE_END()
