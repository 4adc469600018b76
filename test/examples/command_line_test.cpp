// What every example promises on its command line and at its edges: --help, --version,
// usage errors (exit 2, one line on stderr) for bad values from the operator and bad
// --config files (a folder, /dev/zero, a FIFO with no writer, a binary file: each refused
// within a deadline), run-time failures (exit 1, one line naming the option, address or
// path), and SIGINT/SIGTERM stopping an idle server with status 0 within a second.
#define BOOST_TEST_MODULE examples_command_line
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>

#include <boost/asio/ip/tcp.hpp>

#include "example_support.hpp"

using namespace examples_test;

namespace {

struct Program {
  std::string name;
  std::vector<std::string> required;  // options it cannot start without
  bool datagram = false;
};

test_support::TempDir& dir() {
  static test_support::TempDir instance;
  return instance;
}

std::vector<Program> servers() {
  std::string file = dir().file("served.txt");
  std::ofstream(file) << "served\n";
  return {{"daytime_server", {}, true},     {"time_server", {}, true},    {"echo_server", {}, true},
          {"uppercase_server", {}, true},   {"log_server", {}, true},     {"file_server", {"--file", file}},
          {"framed_echo_server", {}},       {"hello_server", {}}};
}

const std::vector<std::string> clients{"daytime_client", "line_client", "log_client",
                                       "file_client",    "framed_client", "hello_client"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

bool one_line(const std::string& text) {
  return !text.empty() && text.back() == '\n' && std::count(text.begin(), text.end(), '\n') == 1;
}

// A usage error: status 2 within @p deadline, nothing on stdout, one line on stderr naming
// @p what.
void expect_usage_error(const std::string& name, const std::vector<std::string>& args, const std::string& what,
                        Seconds deadline = 30s) {
  BOOST_TEST_CONTEXT(name << " with bad options, expecting '" << what << "'") {
    Result result = run(example(name), args, "", deadline);
    BOOST_TEST(result.status == 2);
    BOOST_TEST(result.out == "");
    BOOST_TEST(one_line(result.err), "stderr: " << result.err);
    BOOST_TEST(result.err.starts_with(name + ": "), result.err);
    BOOST_TEST(result.err.find(what) != std::string::npos, result.err);
  }
}

// A run-time failure: status 1, one line on stderr naming @p what.
void expect_failure(const std::string& name, const std::vector<std::string>& args, const std::string& what) {
  BOOST_TEST_CONTEXT(name << " failing, expecting '" << what << "'") {
    Result result = run(example(name), args);
    BOOST_TEST(result.status == 1);
    BOOST_TEST(one_line(result.err), "stderr: " << result.err);
    BOOST_TEST(result.err.find(what) != std::string::npos, result.err);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(help_and_version) {
  std::vector<std::string> names = clients;
  for (const Program& server : servers()) names.push_back(server.name);
  for (const std::string& name : names) {
    BOOST_TEST_CONTEXT(name) {
      Result help = run(example(name), {"--help"});
      BOOST_TEST(help.status == 0);
      BOOST_TEST(help.out.starts_with("Usage: " + name), help.out);
      BOOST_TEST(help.out.find("\n\n\n") == std::string::npos, help.out);
      BOOST_TEST(!help.out.ends_with("\n\n"), help.out);
      BOOST_TEST(help.err == "");
      Result version = run(example(name), {"--version"});
      BOOST_TEST(version.status == 0);
      BOOST_TEST(version.out.starts_with(name + " (socketserver) "), version.out);
      BOOST_TEST(one_line(version.out));
    }
  }
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_with_status_2_and_one_line) {
  for (const Program& server : servers()) {
    expect_usage_error(server.name, with(server.required, {"--bogus"}), "bogus");
    expect_usage_error(server.name, with(server.required, {"--port", "70000"}), "--port");
    expect_usage_error(server.name, with(server.required, {"--port", "many"}), "port");
    expect_usage_error(server.name, with(server.required, {"--mode", "parallel"}), "--mode");
    expect_usage_error(server.name, with(server.required, {"--timeout", "-1"}), "--timeout");
    expect_usage_error(server.name, with(server.required, {"--workers", "0"}), "--workers");
    expect_usage_error(server.name, with(server.required, {"--threads", "0"}), "--threads");
    expect_usage_error(server.name, with(server.required, {"--stack-size", "8"}), "--stack-size");
    if (!server.datagram) expect_usage_error(server.name, with(server.required, {"--udp"}), "udp");
  }
  expect_usage_error("file_server", {}, "--file");
  expect_usage_error("file_server", {"--file", "a", "--root", "b"}, "--root");
  expect_usage_error("file_server", {"--root", "b", "--min-rate", "-1"}, "--min-rate");
  expect_usage_error("file_server", {"--root", "b", "--min-rate", "fast"}, "min-rate");
  expect_usage_error("framed_echo_server", {"--fixed", "0"}, "--fixed");
  // The operator's prompt blocks its thread on the terminal: it would stall every
  // connection of an event loop, so async mode refuses it.
  expect_usage_error("uppercase_server", {"--interactive", "--mode", "async"}, "async");
  expect_usage_error("uppercase_server", {"--mode", "async", "--threads", "1", "--interactive"}, "--interactive");
  expect_usage_error("framed_echo_server", {"--max-message", "lots"}, "max-message");
  for (const std::string& client : clients) {
    expect_usage_error(client, {"--bogus"}, "bogus");
    expect_usage_error(client, {"--port", "0"}, "--port");
  }
  expect_usage_error("framed_client", {"--fixed", "0"}, "--fixed");
  expect_usage_error("framed_client", {"--count", "-3"}, "count");
}

BOOST_AUTO_TEST_CASE(the_programs_own_options_have_their_own_group) {
  Result help = run(example("file_server"), {"--help"});
  BOOST_TEST(help.out.find("\n\nfile_server options:\n") != std::string::npos, help.out);
  BOOST_TEST(help.out.find("--max-connections") < help.out.find("file_server options:"));
  Result client = run(example("framed_client"), {"--help"});
  BOOST_TEST(client.out.find("\n\nframed_client options:\n") != std::string::npos, client.out);
}

BOOST_AUTO_TEST_CASE(bad_values_from_the_operator_are_one_line_and_status_2) {
  std::string long_path = "/tmp/" + std::string(200, 'p') + ".sock";
  for (const Program& server : servers()) {
    expect_usage_error(server.name, with(server.required, {"--timeout", "1e10"}), "--timeout");
    expect_usage_error(server.name, with(server.required, {"--timeout", "1e300"}), "--timeout");
    expect_usage_error(server.name, with(server.required, {"--drain-timeout", "1e10"}), "--drain-timeout");
    expect_usage_error(server.name, with(server.required, {"--timeout", "nan"}), "--timeout");
    expect_usage_error(server.name, with(server.required, {"--workers", "100000"}), "--workers");
    expect_usage_error(server.name, with(server.required, {"--max-children", "100000"}), "--max-children");
    expect_usage_error(server.name, with(server.required, {"--backlog", "100000"}), "--backlog");
    expect_usage_error(server.name, with(server.required, {"--max-connections=-1"}), "--max-connections");
    expect_usage_error(server.name, with(server.required, {"--unix", long_path}), "--unix");
    expect_usage_error(server.name, with(server.required, {"--host", "[1.2.3.4]"}), "--host");
    expect_usage_error(server.name, with(server.required, {"stray"}), "'stray'");
    if (server.datagram)
      expect_usage_error(server.name, with(server.required, {"--udp", "--reply-rate", "-1"}), "--reply-rate");
    else
      expect_usage_error(server.name, with(server.required, {"--reply-rate", "5"}), "reply-rate");
  }
  for (const std::string& client : clients) {
    expect_usage_error(client, {"--port=-1"}, "--port");
    expect_usage_error(client, {"stray"}, "'stray'");
    expect_usage_error(client, {"--unix", long_path}, "--unix");
    expect_usage_error(client, {"--host", "[::1"}, "--host");
  }
}

BOOST_AUTO_TEST_CASE(a_bracketed_ipv6_host_is_served) {
  if (!have_ipv6()) {
    BOOST_TEST_MESSAGE("no IPv6 loopback here: skipped");
    return;
  }
  Server server("echo_server", {"--host", "[::1]"});
  BOOST_TEST(server.address().host() == "::1");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_config_file_that_is_not_a_sane_regular_file_is_refused_at_once) {
  std::string fifo = dir().file("no-writer.fifo");
  BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string binary = dir().file("binary.conf");
  const char bytes[] = "port = 1\n\x7f" "ELF\x02\x1b[2J\0\xff\n";
  std::ofstream(binary, std::ios::binary) << std::string(bytes, sizeof bytes - 1);
  std::string folder = dir().file("conf.d");
  std::filesystem::create_directory(folder);
  for (const Program& server : servers()) {
    // Each within a deadline: a FIFO with no writer or /dev/zero would otherwise hang or
    // eat memory.
    expect_usage_error(server.name, with(server.required, {"--config", fifo}), fifo, 10s);
    expect_usage_error(server.name, with(server.required, {"--config", "/dev/zero"}), "/dev/zero", 10s);
    expect_usage_error(server.name, with(server.required, {"--config", folder}), folder, 10s);
    expect_usage_error(server.name, with(server.required, {"--config", binary}), binary + ":2: ", 10s);
  }
  Result escaped = run(example("echo_server"), {"--config", binary});
  BOOST_TEST(escaped.err.find("\\x7fELF\\x02\\x1b[2J\\x00\\xff") != std::string::npos, escaped.err);
  BOOST_TEST(escaped.err.find('\x1b') == std::string::npos, escaped.err);
}

BOOST_AUTO_TEST_CASE(run_time_failures_exit_with_status_1_and_one_line) {
  for (const Program& server : servers()) {
    Server first(server.name, server.required);
    std::string port = port_of(first.address());
    expect_failure(server.name, with(server.required, {"--port", port}), "127.0.0.1:" + port);
    std::string missing = dir().file("no/such/folder/s.sock");
    expect_failure(server.name, with(server.required, {"--unix", missing}), missing);
    if (server.datagram) expect_failure(server.name, {"--unix", missing, "--udp"}, missing);
    BOOST_TEST(first.stop() == 0);
  }
  expect_failure("file_server", {"--file", dir().file("missing.txt")}, dir().file("missing.txt"));
  expect_failure("file_server", {"--root", dir().file("missing")}, dir().file("missing"));

  std::string no_server = dir().file("nobody.sock");
  for (const std::string& client : clients) expect_failure(client, {"--unix", no_server}, no_server);
  // A TCP port nobody listens on (just released by us).
  std::string port;
  {
    boost::asio::io_context context;
    boost::asio::ip::tcp::acceptor acceptor(context, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = std::to_string(acceptor.local_endpoint().port());
  }
  expect_failure("daytime_client", {"--port", port}, "127.0.0.1:" + port);
  expect_failure("file_client", {"--port", port, "--out", dir().file("never.txt")}, "127.0.0.1:" + port);
}

BOOST_AUTO_TEST_CASE(sigint_and_sigterm_stop_an_idle_server_at_once) {
  for (const Program& server : servers()) {
    for (int signal_number : {SIGINT, SIGTERM}) {
      for (const ModeCase& mode : {ModeCase(socketserver::Mode::sync), ModeCase(socketserver::Mode::forking),
                                   test_support::async_modes[1]}) {
        BOOST_TEST_CONTEXT(server.name << " signal " << signal_number << " mode " << mode) {
          Server running(server.name, with(server.required, mode.args()));
          auto start = std::chrono::steady_clock::now();
          BOOST_TEST(running.stop(signal_number, 1s) == 0);
          BOOST_TEST((std::chrono::steady_clock::now() - start < 1s));
        }
      }
    }
  }
  for (std::string kind : {"stream", "datagram"}) {
    BOOST_TEST_CONTEXT(kind << " socket file") {
      std::string path = dir().file("signal-" + kind + ".sock");
      std::vector<std::string> args{"--unix", path, "--mode", "pool"};
      if (kind == std::string("datagram")) args.push_back("--udp");
      Server running("echo_server", args);
      BOOST_TEST(std::filesystem::exists(path));
      BOOST_TEST(running.stop(SIGINT, 1s) == 0);
      BOOST_TEST(!std::filesystem::exists(path));
    }
  }
}
