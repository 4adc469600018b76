// What every example promises on its command line and at its edges: --help, --version,
// usage errors (exit 2, one line on stderr), run-time failures (exit 1, one line naming
// the option, address or path), and SIGINT/SIGTERM stopping an idle server with status 0
// within a second.
#define BOOST_TEST_MODULE examples_command_line
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

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

// A usage error: status 2, nothing on stdout, one line on stderr naming @p what.
void expect_usage_error(const std::string& name, const std::vector<std::string>& args, const std::string& what) {
  BOOST_TEST_CONTEXT(name << " with bad options, expecting '" << what << "'") {
    Result result = run(example(name), args);
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
    if (!server.datagram) expect_usage_error(server.name, with(server.required, {"--udp"}), "udp");
  }
  expect_usage_error("file_server", {}, "--file");
  expect_usage_error("file_server", {"--file", "a", "--root", "b"}, "--root");
  expect_usage_error("file_server", {"--root", "b", "--min-rate", "-1"}, "--min-rate");
  expect_usage_error("file_server", {"--root", "b", "--min-rate", "fast"}, "min-rate");
  expect_usage_error("framed_echo_server", {"--fixed", "0"}, "--fixed");
  expect_usage_error("framed_echo_server", {"--max-message", "lots"}, "max-message");
  for (const std::string& client : clients) {
    expect_usage_error(client, {"--bogus"}, "bogus");
    expect_usage_error(client, {"--port", "0"}, "--port");
  }
  expect_usage_error("framed_client", {"--fixed", "0"}, "--fixed");
  expect_usage_error("framed_client", {"--count", "-3"}, "count");
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
      for (std::string mode : {"sync", "forking"}) {
        BOOST_TEST_CONTEXT(server.name << " signal " << signal_number << " mode " << mode) {
          Server running(server.name, with(server.required, {"--mode", mode}));
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
