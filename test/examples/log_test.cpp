// log_server and log_client (the "SocketBasico" tutorial): the server's output, line by
// line and byte for byte, in every mode (forked children included), over TCP (IPv4 and
// IPv6), UDP and both kinds of Unix socket, with the tutorial's Python clients too.
#define BOOST_TEST_MODULE examples_log
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <algorithm>

#include "example_support.hpp"

using namespace examples_test;

namespace {

// The tutorial's TCP client (002), in Python 3: sends each line until Ctrl+X, then
// prints its own port so that the test knows what the server will print.
const std::string tcp_client_py = R"(
import socket, sys
HOST = sys.argv[1]
PORT = int(sys.argv[2])
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.settimeout(10)
dest = (HOST, PORT)
tcp.connect(dest)
msg = input()
while msg != '\x18':
    tcp.send(msg.encode())
    msg = input()
print(tcp.getsockname()[1])
tcp.close()
)";

// The tutorial's UDP client (002), in Python 3.
const std::string udp_client_py = R"(
import socket, sys
HOST = sys.argv[1]
PORT = int(sys.argv[2])
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dest = (HOST, PORT)
msg = input()
while msg != '\x18':
    udp.sendto(msg.encode(), dest)
    msg = input()
print(udp.getsockname()[1])
udp.close()
)";

} // namespace

BOOST_AUTO_TEST_CASE(log_server_prints_each_piece_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      Server server("log_server", mode.args());
      {
        test_support::Client client(server.address());
        std::string who = client.local_address().to_string();
        // (In pool mode a connection reaches a worker only once it has sent something.)
        client.send("primeira mensagem\n");
        BOOST_TEST(server.line() == "Connected by " + who);
        BOOST_TEST(server.line() == who + " primeira mensagem");
        client.send("sem nova linha");
        BOOST_TEST(server.line() == who + " sem nova linha");
        client.send("olá\r\n");
        BOOST_TEST(server.line() == who + " olá");
        client.half_close();
        BOOST_TEST(server.line() == "Closing connection from " + who);
      }
      Result result = python(tcp_client_py, {"127.0.0.1", port_of(server.address())}, "from python\n\x18\nnot sent\n");
      BOOST_TEST_REQUIRE(result.status == 0, result.err);
      std::string who = "127.0.0.1:" + result.out.substr(0, result.out.find('\n'));
      BOOST_TEST(server.line() == "Connected by " + who);
      BOOST_TEST(server.line() == who + " from python");
      BOOST_TEST(server.line() == "Closing connection from " + who);
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(log_client_over_tcp_ipv6_and_unix) {
  test_support::TempDir dir;
  std::vector<std::vector<std::string>> setups{{"--mode", "forking"}, {"--unix", dir.file("log.sock"), "--mode", "threading"}};
  if (have_ipv6()) setups.push_back({"--host", "::1", "--mode", "pool"});
  for (const auto& args : setups) {
    BOOST_TEST_CONTEXT(args[0] << " " << args[1]) {
      Server server("log_server", args);
      Result result = run(example("log_client"), client_args(server.address()), "uma linha\n\x18\nnot sent\n");
      BOOST_TEST(result.status == 0, result.err);
      BOOST_TEST(result.out == "");
      std::string connected = server.line();
      BOOST_TEST_REQUIRE(connected.starts_with("Connected by "));
      std::string who = connected.substr(std::string("Connected by ").size());
      if (server.address().is_unix()) BOOST_TEST(who.starts_with("unix:"));
      else BOOST_TEST(who.starts_with(server.address().host() == "::1" ? "[::1]:" : "127.0.0.1:"));
      BOOST_TEST(server.line() == who + " uma linha");
      BOOST_TEST(server.line() == "Closing connection from " + who);
      BOOST_TEST(server.stop() == 0);
    }
  }
  BOOST_TEST(!std::filesystem::exists(dir.file("log.sock")));
}

BOOST_AUTO_TEST_CASE(log_over_udp_with_log_client_and_the_tutorial_client) {
  for (std::string mode : {"sync", "forking", "async"}) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      Server server("log_server", {"--udp", "--mode", mode});
      Result python_client = python(udp_client_py, {"127.0.0.1", port_of(server.address())}, "um\ndois\n\x18\ntrês\n");
      BOOST_TEST_REQUIRE(python_client.status == 0, python_client.err);
      std::string who = "127.0.0.1:" + python_client.out.substr(0, python_client.out.find('\n'));
      std::vector<std::string> lines{server.line(), server.line()};
      if (mode != "sync") std::sort(lines.rbegin(), lines.rend());  // children (or fibers) race
      BOOST_TEST((lines == std::vector<std::string>{who + " um", who + " dois"}));

      Result ours = run(example("log_client"), {"--udp", "--port", port_of(server.address())}, "a\n\x18\nb\n");
      BOOST_TEST(ours.status == 0, ours.err);
      std::string line = server.line();
      BOOST_TEST(line.starts_with("127.0.0.1:"), line);
      BOOST_TEST(line.ends_with(" a"), line);
      // Nothing was sent after Ctrl+X: the next line is the next client's.
      Result last = python(udp_client_py, {"127.0.0.1", port_of(server.address())}, "fim\n\x18\n");
      BOOST_TEST(server.line() == "127.0.0.1:" + last.out.substr(0, last.out.find('\n')) + " fim");
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(log_over_unix_datagrams) {
  test_support::TempDir dir;
  {
    Server server("log_server", {"--udp", "--unix", dir.file("log.dgram"), "--mode", "pool"});
    Result ours = run(example("log_client"), {"--udp", "--unix", server.address().path()}, "via unix\n");
    BOOST_TEST(ours.status == 0, ours.err);
    std::string line = server.line();
    BOOST_TEST(line.starts_with("unix:"));
    BOOST_TEST(line.ends_with(" via unix"));
    BOOST_TEST(server.stop() == 0);
  }
  BOOST_TEST(!std::filesystem::exists(dir.file("log.dgram")));
}
