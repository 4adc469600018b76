// ServerCommandLine: the options every example server shares. Defaults, every option,
// --config files, --help and --version, and bad values: one line naming the option, exit
// status 2. parse() is used throughout; parse_or_exit() is checked in child processes.
#define BOOST_TEST_MODULE cli_server
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "tls_support.hpp"

using namespace socketserver;
using cli_test::ConfigFile;
using cli_test::expect_usage_error;
namespace po = boost::program_options;

namespace {

constexpr std::uint16_t default_port = 9999;

ServerCommandLine command_line(bool datagram = false) {
  ServerCommandLine cli("prog", "A test server.", default_port);
  if (datagram) cli.allow_datagram();
  return cli;
}

ParseOutcome parse(std::vector<std::string> args, bool datagram = false) {
  return cli_test::parse(command_line(datagram), std::move(args));
}

// Parses what must be accepted; fails the test with the message otherwise.
ServerOptions accepted(std::vector<std::string> args, bool datagram = false) {
  return cli_test::accepted(command_line(datagram), std::move(args));
}

} // namespace

BOOST_AUTO_TEST_SUITE(defaults_and_options)

BOOST_AUTO_TEST_CASE(defaults) {
  ServerOptions options = accepted({});
  const ServerConfig& config = options.config;
  BOOST_TEST(config.address == Address::inet("127.0.0.1", default_port));
  BOOST_TEST(to_string(config.mode) == "async");  // every handler, many connections per thread
  BOOST_TEST(!config.datagram);
  BOOST_TEST(config.workers == 0u);  // make_server() picks cores, at least 4
  BOOST_TEST(config.max_children == 40u);
  BOOST_TEST(config.request_timeout.has_value());
  BOOST_TEST(config.request_timeout->count() == ServerCommandLine::default_timeout_seconds);
  BOOST_TEST(config.backlog == int(boost::asio::socket_base::max_listen_connections));
  BOOST_TEST(!options.verbose);
  BOOST_TEST(config.max_connections == ServerCommandLine::default_async_max_connections);
  BOOST_TEST(accepted({"--mode", "sync"}).config.max_connections == ServerCommandLine::default_max_connections);
  BOOST_TEST(accepted({"--mode", "sync"}).config.max_connections == 256u);
  BOOST_TEST(config.reply_rate_limit == 0.0);  // a stream-only program has no --reply-rate
  BOOST_TEST(accepted({}, true).config.reply_rate_limit == 100.0);  // on by default with --udp offered
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
  for (const char* mode : {"sync", "threading", "forking", "pool", "async"})
    BOOST_TEST(to_string(accepted({"--mode", mode}).config.mode) == mode);
}

BOOST_AUTO_TEST_CASE(async_mode_options) {
  const ServerConfig defaults = accepted({"--mode", "async"}).config;
  BOOST_TEST(defaults.threads == 0u);     // make_server() picks the number of cores
  BOOST_TEST(defaults.stack_size == 0u);  // and 64 KiB
  // Ten thousand connections are what async mode is for: its default cap is higher.
  BOOST_TEST(defaults.max_connections == ServerCommandLine::default_async_max_connections);
  BOOST_TEST(defaults.max_connections == 16384u);
  BOOST_TEST(accepted({"--mode", "async", "--max-connections", "10"}).config.max_connections == 10u);
  BOOST_TEST(accepted({"--mode", "pool"}).config.max_connections == 256u);

  const ServerConfig config = accepted({"--mode", "async", "--threads", "3", "--stack-size", "128"}).config;
  BOOST_TEST(config.threads == 3u);
  BOOST_TEST(config.stack_size == 128u * 1024);
  BOOST_TEST(accepted({"--threads", "1"}).config.threads == 1u);
  BOOST_TEST(accepted({"--threads", "1024"}).config.threads == 1024u);
  BOOST_TEST(accepted({"--stack-size", "16"}).config.stack_size == 16u * 1024);
  BOOST_TEST(accepted({"--stack-size", "65536"}).config.stack_size == 65536u * 1024);
  for (const char* option : {"--threads", "--stack-size"})
    BOOST_TEST(parse({"--help"}).message.find(option) != std::string::npos, option << " missing from --help");
}

BOOST_AUTO_TEST_CASE(an_async_server_from_the_config_serves) {
  ServerOptions options = accepted({"--port", "0", "--mode", "async", "--threads", "2", "--stack-size", "32"});
  auto server = make_server(options.config, handler<StreamRequestHandler>());
  auto* async = dynamic_cast<AsyncTCPServer*>(server.get());
  BOOST_TEST_REQUIRE(async != nullptr);
  BOOST_TEST(async->threads == 2u);
  BOOST_TEST(async->stack_size == 32u * 1024);
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
  ParseOutcome outcome = cli_test::parse(cli, {"--greeting", "bonjour", "--port", "7"});
  BOOST_TEST_REQUIRE(outcome.options.has_value(), outcome.message);
  BOOST_TEST(outcome.options->values["greeting"].as<std::string>() == "bonjour");
  BOOST_TEST(cli_test::parse(cli, {"--help"}).message.find("--greeting") != std::string::npos);
  BOOST_TEST(cli_test::parse(cli, {}).options->values["greeting"].as<std::string>() == "hello");
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

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(max_connections) {
  BOOST_TEST(accepted({"--max-connections", "10"}).config.max_connections == 10u);
  BOOST_TEST(accepted({"--max-connections", "0"}).config.max_connections == 0u);  // no limit
  BOOST_TEST(accepted({"--max-connections", "1048576"}).config.max_connections == 1048576u);
  expect_usage_error(parse({"--max-connections", "1048577"}), "--max-connections");
  expect_usage_error(parse({"--max-connections=-1"}), "--max-connections");
  expect_usage_error(parse({"--max-connections", "many"}), "--max-connections");
  BOOST_TEST(parse({"--help"}).message.find("--max-connections") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reply_rate_where_datagrams_are_offered) {
  BOOST_TEST(accepted({"--reply-rate", "5"}, true).config.reply_rate_limit == 5.0);
  BOOST_TEST(accepted({"--reply-rate", "0"}, true).config.reply_rate_limit == 0.0);  // off
  BOOST_TEST(accepted({"--udp", "--reply-rate", "1000000"}, true).config.reply_rate_limit == 1e6);
  expect_usage_error(parse({"--reply-rate", "1000001"}, true), "--reply-rate");
  expect_usage_error(parse({"--reply-rate=-5"}, true), "--reply-rate");
  expect_usage_error(parse({"--reply-rate", "2.5"}, true), "--reply-rate");
  expect_usage_error(parse({"--reply-rate", "5"}), "reply-rate");  // no datagrams, no --reply-rate
  BOOST_TEST(parse({"--help"}, true).message.find("--reply-rate") != std::string::npos);
  BOOST_TEST(parse({"--help"}).message.find("--reply-rate") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(workers_are_bounded) {
  BOOST_TEST(accepted({"--workers", "1024"}).config.workers == 1024u);
  expect_usage_error(parse({"--workers", "1025"}), "--workers");
  expect_usage_error(parse({"--workers", "100000"}), "--workers");
  expect_usage_error(parse({"--workers", "99999999999"}), "--workers");  // beyond unsigned
}

BOOST_AUTO_TEST_CASE(threads_and_stack_size_are_bounded) {
  for (const char* bad : {"0", "1025", "-1", "many", "99999999999"})
    BOOST_TEST_CONTEXT("--threads " << bad) { expect_usage_error(parse({"--threads", bad}), "--threads"); }
  for (const char* bad : {"0", "15", "65537", "-64", "big"})
    BOOST_TEST_CONTEXT("--stack-size " << bad) { expect_usage_error(parse({"--stack-size", bad}), "--stack-size"); }
}

BOOST_AUTO_TEST_CASE(max_children_is_bounded) {
  BOOST_TEST(accepted({"--max-children", "1024"}).config.max_children == 1024u);
  expect_usage_error(parse({"--max-children", "1025"}), "--max-children");
}

BOOST_AUTO_TEST_CASE(backlog_is_bounded) {
  BOOST_TEST(accepted({"--backlog", "65535"}).config.backlog == 65535);
  expect_usage_error(parse({"--backlog", "65536"}), "--backlog");
  expect_usage_error(parse({"--backlog=-1"}), "--backlog");
}

BOOST_AUTO_TEST_CASE(durations_the_clock_cannot_hold_are_refused) {
  for (const char* option : {"--timeout", "--drain-timeout"}) {
    BOOST_TEST_CONTEXT(option) {
      for (const char* value : {"1e10", "1e300", "31536001", "1e-300", "0.0001", "-0.5", "nan", "inf", "-inf"})
        expect_usage_error(parse({option, value}), option);
    }
  }
  // The edges of what is accepted: a millisecond and a year.
  BOOST_TEST(accepted({"--timeout", "0.001"}).config.request_timeout->count() == 0.001);
  BOOST_TEST(accepted({"--timeout", "31536000"}).config.request_timeout->count() == 31536000.0);
  BOOST_TEST(accepted({"--drain-timeout", "31536000"}).config.drain_timeout->count() == 31536000.0);
  BOOST_TEST(accepted({"--drain-timeout", "0"}).config.drain_timeout->count() == 0.0);  // cut at once
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(addresses)

BOOST_AUTO_TEST_CASE(a_bracketed_ipv6_host_is_accepted) {
  BOOST_TEST(accepted({"--host", "[::1]", "--port", "80"}).config.address == Address::inet("::1", 80));
  BOOST_TEST(accepted({"--host", "::1"}).config.address.to_string() == "[::1]:9999");
  for (const char* host : {"[::1", "::1]", "[]", "[1.2.3.4]", "[localhost]", "[[::1]]"})
    expect_usage_error(parse({"--host", host}), "--host");
}

BOOST_AUTO_TEST_CASE(a_unix_path_too_long_for_the_socket_is_refused) {
  std::string longest = "/" + std::string(106, 'a');  // 107 bytes: sun_path less its NUL
  BOOST_TEST(accepted({"--unix", longest}).config.address == Address::unix_socket(longest));
  std::string too_long = longest + "a";
  ParseOutcome outcome = parse({"--unix", too_long});
  expect_usage_error(outcome, "--unix");
  BOOST_TEST(outcome.message.find(too_long) != std::string::npos, outcome.message);
  expect_usage_error(parse({"--unix", "/tmp/" + std::string(200, 'x')}), "--unix");
}

BOOST_AUTO_TEST_CASE(control_characters_in_a_value_are_escaped) {
  ParseOutcome outcome = parse({"--mode", "a\nb\x1b[2J"});
  expect_usage_error(outcome, "--mode");
  BOOST_TEST(outcome.message.find("a\\nb\\x1b[2J") != std::string::npos, outcome.message);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(program_options_and_versions)

BOOST_AUTO_TEST_CASE(the_programs_unsigned_options_refuse_negative_numbers_too) {
  ServerCommandLine cli = command_line();
  cli.add_options()("count", po::value<unsigned>()->default_value(1), "how many");
  expect_usage_error(cli_test::parse(cli, {"--count=-2"}), "--count");
  expect_usage_error(cli_test::parse(cli, {"--count", "2", "extra"}), "'extra'");
}

BOOST_AUTO_TEST_CASE(help_shows_two_groups_without_stray_blank_lines) {
  ServerCommandLine cli = command_line(true);
  cli.add_options()("greeting", po::value<std::string>()->default_value("hello"), "what to say");
  std::string help = cli_test::parse(cli, {"--help"}).message;
  BOOST_TEST(help.find("\n\n\n") == std::string::npos, help);
  BOOST_TEST(!help.ends_with("\n\n"), help);
  BOOST_TEST(help.starts_with("Usage: prog [options]\nA test server.\n\nServer options:\n"), help);
  std::size_t own = help.find("\n\nprog options:\n  --greeting");
  BOOST_TEST_REQUIRE(own != std::string::npos, help);
  BOOST_TEST(help.find("--help") < own);     // --help and --version belong to the shared group
  BOOST_TEST(help.find("--version") < own);
  // Without options of its own, the program's group is not shown at all.
  std::string plain = parse({"--help"}).message;
  BOOST_TEST(plain.find("prog options") == std::string::npos, plain);
  BOOST_TEST(plain.find("\n\n\n") == std::string::npos, plain);
  BOOST_TEST(!plain.ends_with("\n\n"), plain);
}

BOOST_AUTO_TEST_CASE(the_timeout_is_described_as_a_deadline_per_call) {
  std::string help = parse({"--help"}).message;
  BOOST_TEST(help.find("inactivity") == std::string::npos, help);
  BOOST_TEST(help.find("each read or write call") != std::string::npos, help);
}

BOOST_AUTO_TEST_CASE(the_programs_own_version_is_shown_beside_the_librarys) {
  ServerCommandLine cli = command_line();
  cli.version("2.4.1");
  BOOST_TEST(cli.program_version() == "2.4.1");
  ParseOutcome outcome = cli_test::parse(cli, {"--version"});
  BOOST_TEST(outcome.exit_status == 0);
  BOOST_TEST(outcome.message == "prog 2.4.1 (socketserver " + std::string(version) + ")\n");
  BOOST_TEST(cli.version_line() == "prog 2.4.1 (socketserver " + std::string(version) + ")");
  // Unset, the program is shown as the library's own (as the examples are).
  BOOST_TEST(command_line().version_line() == "prog (socketserver) " + std::string(version));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_file_lines)

BOOST_AUTO_TEST_CASE(an_error_names_the_file_and_the_line) {
  using cli_test::expect_error_at_line;
  expect_error_at_line(command_line(), "# settings\n\nport = 80\nmode = sideways\n", 4, "--mode");
  expect_error_at_line(command_line(), "port = 80\nworkers = none\n", 2, "--workers");  // malformed
  expect_error_at_line(command_line(), "port = 80\n\nworkers = -1\n", 3, "--workers");  // negative
  expect_error_at_line(command_line(), "port = 80\ncolour = red\n", 2, "colour");        // unknown
  expect_error_at_line(command_line(), "timeout = 1e300\n", 1, "--timeout");               // too long
}

BOOST_AUTO_TEST_CASE(a_bad_value_from_the_command_line_is_not_blamed_on_the_file) {
  ConfigFile file("timeout = 5\n");
  ParseOutcome outcome = parse({"--config", file.path, "--timeout", "1e10"});
  expect_usage_error(outcome, "--timeout");
  BOOST_TEST(outcome.message.find(file.path) == std::string::npos, outcome.message);
}

BOOST_AUTO_TEST_CASE(durations_and_bounds_apply_to_the_file_too) {
  expect_usage_error(parse({"--config", ConfigFile("timeout = 1e300\n").path}), "--timeout");
  expect_usage_error(parse({"--config", ConfigFile("workers = 100000\n").path}), "--workers");
  expect_usage_error(parse({"--config", ConfigFile("max-connections = 2000000\n").path}), "--max-connections");
  BOOST_TEST(accepted({"--config", ConfigFile("max-connections = 7\nreply-rate = 3\n").path}, true)
                 .config.reply_rate_limit == 3.0);
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

BOOST_AUTO_TEST_SUITE(tls_options)

const tls_test::Certificates& files() { return tls_test::certificates(); }

BOOST_AUTO_TEST_CASE(certificate_and_key_make_a_server_context) {
  ServerConfig plain = accepted({}).config;
  BOOST_TEST(!plain.tls);
  ServerConfig config = accepted({"--tls-cert", files().server, "--tls-key", files().server_key}).config;
  BOOST_TEST_REQUIRE(config.tls != nullptr);
  BOOST_TEST((config.tls->role() == TLSContext::Role::server));
  BOOST_TEST(!config.tls->requires_client_certificate());
  ServerConfig mutual = accepted({"--tls-cert", files().server, "--tls-key", files().server_key,
                                  "--tls-client-ca", files().ca}).config;
  BOOST_TEST_REQUIRE(mutual.tls != nullptr);
  BOOST_TEST(mutual.tls->requires_client_certificate());
}

BOOST_AUTO_TEST_CASE(certificate_and_key_go_together) {
  expect_usage_error(parse({"--tls-cert", files().server}), "--tls-key");
  expect_usage_error(parse({"--tls-key", files().server_key}), "--tls-cert");
  expect_usage_error(parse({"--tls-client-ca", files().ca}), "--tls-client-ca");
}

BOOST_AUTO_TEST_CASE(files_that_cannot_be_used_are_named) {
  expect_usage_error(parse({"--tls-cert", files().dir + "/missing.pem", "--tls-key", files().server_key}),
                     "--tls-cert: cannot read '" + files().dir + "/missing.pem'");
  expect_usage_error(parse({"--tls-cert", files().server, "--tls-key", files().wrong_key}),
                     "'" + files().wrong_key + "' does not belong to the certificate");
  expect_usage_error(parse({"--tls-cert", files().server_key, "--tls-key", files().server_key}),
                     "certificate chain from '" + files().server_key + "'");
  expect_usage_error(parse({"--tls-cert", files().server, "--tls-key", files().server,}),
                     "private key from '" + files().server + "'");
}

BOOST_AUTO_TEST_CASE(no_tls_for_datagrams) {
  expect_usage_error(parse({"--udp", "--tls-cert", files().server, "--tls-key", files().server_key}, true),
                     "--tls-cert: TLS needs a stream server");
}

BOOST_AUTO_TEST_CASE(from_a_config_file) {
  ConfigFile file("tls-cert = " + files().server + "\ntls-key = " + files().server_key + "\n");
  BOOST_TEST(accepted({"--config", file.path}).config.tls != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
