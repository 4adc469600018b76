// echo_server (RFC 862) and uppercase_server (the chat tutorial) with line_client, the
// tutorials' Python clients, nc and socat: every mode, TCP over IPv4 and IPv6, Unix
// sockets, UDP and Unix datagrams.
#define BOOST_TEST_MODULE examples_echo_uppercase
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>

#include "example_support.hpp"

using namespace examples_test;

namespace {

// Sends stdin with sendall, half-closes, prints everything until the server closes.
const std::string echo_client_py = R"(
import socket, sys
socket.setdefaulttimeout(10)
family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
data = b''
while True:
    chunk = s.recv(1024)
    if not chunk:
        break
    data += chunk
s.close()
sys.stdout.buffer.write(data)
)";

// One datagram per argument (UDP, or a Unix datagram socket bound to argv[3]); prints
// each reply's length and a check that it came back intact.
const std::string datagram_echo_py = R"(
import socket, sys
socket.setdefaulttimeout(10)
if sys.argv[1] == 'unix':
    udp = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    udp.bind(sys.argv[3])
    dest = sys.argv[2]
else:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dest = (sys.argv[1], int(sys.argv[2]))
for size in (0, 1, 1024, 65507 if sys.argv[1] != 'unix' else 60000):
    msg = bytes((i * 7) % 256 for i in range(size))
    udp.sendto(msg, dest)
    reply, server = udp.recvfrom(70000)
    print(size, reply == msg)
udp.close()
)";

// The chat tutorial's client (001), printing its own port first so that the test knows
// which HOST:PORT the server will print.
const std::string chat_client_py = R"(
import socket, sys
host = sys.argv[1]
port = int(sys.argv[2])
obj = socket.socket()
obj.settimeout(10)
obj.connect((host,port))
print(obj.getsockname()[1])
message = input("type message: ")
while message != 'q':
   obj.send(message.encode())
   data = obj.recv(1024).decode()
   print ('Received from server: ' + data)
   message = input("type message: ")
obj.close()
)";

// A UDP chat client: sends argv[3], prints its own port and the reply.
const std::string chat_udp_py = R"(
import socket, sys
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.settimeout(10)
udp.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
reply, server = udp.recvfrom(1024)
print(udp.getsockname()[1])
print(reply.decode())
)";

const std::string binary_message = std::string("hello\0world\n", 12) + "ol\xc3\xa1 \xff\xfe\r\n" + std::string(100000, 'x');

} // namespace

BOOST_AUTO_TEST_CASE(echo_in_every_mode_byte_for_byte) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      Server server("echo_server", mode.args());
      Result result = python(echo_client_py, {"127.0.0.1", port_of(server.address())}, binary_message);
      BOOST_TEST(result.status == 0, result.err);
      BOOST_TEST(result.out == binary_message);
      Result nc = run("nc", {"-N", "127.0.0.1", port_of(server.address())}, "hello nc\n");
      BOOST_TEST(nc.out == "hello nc\n", nc.err);
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(echo_over_ipv6_and_unix_with_socat) {
  test_support::TempDir dir;
  {
    Server unix_server("echo_server", {"--unix", dir.file("echo.sock"), "--mode", "pool"});
    Result socat = run("socat", {"-t", "10", "-", "UNIX-CONNECT:" + unix_server.address().path()}, binary_message);
    BOOST_TEST(socat.status == 0, socat.err);
    BOOST_TEST(socat.out == binary_message);
    BOOST_TEST(unix_server.stop() == 0);
  }
  BOOST_TEST(!std::filesystem::exists(dir.file("echo.sock")));
  if (have_ipv6()) {
    Server server("echo_server", {"--host", "::1", "--mode", "forking"});
    BOOST_TEST(server.address().to_string().starts_with("[::1]:"));
    Result socat = run("socat", {"-t", "10", "-", "TCP6:[::1]:" + port_of(server.address())}, binary_message);
    BOOST_TEST(socat.status == 0, socat.err);
    BOOST_TEST(socat.out == binary_message);
    Result python_client = python(echo_client_py, {"::1", port_of(server.address())}, "over six\n");
    BOOST_TEST(python_client.out == "over six\n", python_client.err);
    BOOST_TEST(server.stop() == 0);
  }
}

BOOST_AUTO_TEST_CASE(echo_datagrams_empty_and_maximal) {
  test_support::TempDir dir;
  for (std::string mode : {"threading", "forking", "async"}) {
    BOOST_TEST_CONTEXT("udp, mode " << mode) {
      Server server("echo_server", {"--udp", "--mode", mode});
      Result result = python(datagram_echo_py, {"127.0.0.1", port_of(server.address())});
      BOOST_TEST(result.out == "0 True\n1 True\n1024 True\n65507 True\n", result.err);
      BOOST_TEST(server.stop() == 0);
    }
  }
  {
    Server server("echo_server", {"--udp", "--unix", dir.file("echo.dgram")});
    Result result = python(datagram_echo_py, {"unix", server.address().path(), dir.file("client.dgram")});
    BOOST_TEST(result.out == "0 True\n1 True\n1024 True\n60000 True\n", result.err);
    BOOST_TEST(server.stop() == 0);
  }
  BOOST_TEST(!std::filesystem::exists(dir.file("echo.dgram")));
}

BOOST_AUTO_TEST_CASE(uppercase_answers_the_tutorial_chat_client_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      Server server("uppercase_server", mode.args());
      Result result = python(chat_client_py, {"127.0.0.1", port_of(server.address())},
                             "olá, ação\nstraße über\nq\nnever sent\n");
      BOOST_TEST_REQUIRE(result.status == 0, result.err);
      std::string port = result.out.substr(0, result.out.find('\n'));
      BOOST_TEST(result.out == port + "\ntype message: Received from server: OLÁ, AÇÃO\n"
                                      "type message: Received from server: STRASSE ÜBER\ntype message: ");
      BOOST_TEST(server.line() == "127.0.0.1:" + port + " wrote: olá, ação");
      BOOST_TEST(server.line() == "127.0.0.1:" + port + " wrote: straße über");
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(uppercase_with_line_client_and_nc_keeps_line_endings) {
  test_support::TempDir dir;
  std::vector<std::vector<std::string>> setups{{"--mode", "sync"}, {"--unix", dir.file("up.sock"), "--mode", "pool"}};
  if (have_ipv6()) setups.push_back({"--host", "::1", "--mode", "threading"});
  for (const auto& args : setups) {
    BOOST_TEST_CONTEXT(args[0] << " " << args[1]) {
      Server server("uppercase_server", args);
      Result ours = run(example("line_client"), client_args(server.address()), "olá, ação\n\nq\nnot sent\n");
      BOOST_TEST(ours.status == 0, ours.err);
      BOOST_TEST(ours.out == "Received from server: OLÁ, AÇÃO\n");
      BOOST_TEST(server.line().ends_with(" wrote: olá, ação"));

      std::vector<std::string> nc_args{"-N"};
      if (server.address().is_unix()) nc_args.insert(nc_args.end(), {"-U", server.address().path()});
      else nc_args.insert(nc_args.end(), {host_of(server.address()), port_of(server.address())});
      Result nc = run("nc", nc_args, "dos line\r\nunix line\n");
      BOOST_TEST(nc.out == "DOS LINE\r\nUNIX LINE\n", nc.err);
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(uppercase_holds_a_utf8_character_split_between_reads) {
  Server server("uppercase_server", {"--mode", "threading"});
  auto client_holder = std::make_unique<test_support::Client>(server.address());
  test_support::Client& client = *client_holder;
  std::string who = client.local_address().to_string();
  client.send("a\xc3");  // "a" and the first byte of "á"
  BOOST_TEST(client.recv() == "A");
  BOOST_TEST(server.line() == who + " wrote: a");
  client.send("\xa1 b\n");  // the rest of "á"
  std::string reply;
  while (reply.size() < 5) reply += client.recv();
  BOOST_TEST(reply == "\xc3\x81 B\n");  // "Á B\n", not a lower-case "á" left broken
  BOOST_TEST(server.line() == who + " wrote: \xc3\xa1 b");
  client_holder.reset();  // a server with a client connected waits for it before exiting
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(uppercase_over_udp_and_unix_datagrams) {
  test_support::TempDir dir;
  {
    Server server("uppercase_server", {"--udp", "--mode", "pool"});
    Result result = python(chat_udp_py, {"127.0.0.1", port_of(server.address()), "ação\n"});
    BOOST_TEST_REQUIRE(result.status == 0, result.err);
    std::string port = result.out.substr(0, result.out.find('\n'));
    BOOST_TEST(result.out == port + "\nAÇÃO\n\n");
    BOOST_TEST(server.line() == "127.0.0.1:" + port + " wrote: ação");
    Result ours = run(example("line_client"), {"--udp", "--port", port_of(server.address())}, "ümlaut\n");
    BOOST_TEST(ours.out == "Received from server: ÜMLAUT\n", ours.err);
    BOOST_TEST(server.stop() == 0);
  }
  {
    Server server("uppercase_server", {"--udp", "--unix", dir.file("up.dgram"), "--mode", "forking"});
    Result ours = run(example("line_client"), {"--udp", "--unix", server.address().path()}, "olá\nq\n");
    BOOST_TEST(ours.out == "Received from server: OLÁ\n", ours.err);
    BOOST_TEST(server.line().ends_with(" wrote: olá"));
    BOOST_TEST(server.stop() == 0);
  }
  BOOST_TEST(!std::filesystem::exists(dir.file("up.dgram")));
}

BOOST_AUTO_TEST_CASE(interactive_mode_asks_the_operator_one_client_at_a_time) {
  for (std::string mode : {"threading", "forking"}) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      Server server("uppercase_server", {"--interactive", "--mode", mode});
      test_support::Client first(server.address());
      test_support::Client second(server.address());
      std::string first_who = first.local_address().to_string();
      std::string second_who = second.local_address().to_string();

      first.send("from one\n");
      BOOST_TEST(server.line() == first_who + " wrote: from one");
      second.send("from two\n");
      server.process().write_stdin("reply one\n");
      BOOST_TEST(first.recv() == "reply one");
      // The second question comes only once the first was answered, after its prompt.
      BOOST_TEST(server.line() == "type message: " + second_who + " wrote: from two");
      server.process().write_stdin("reply two\n");
      BOOST_TEST(second.recv() == "reply two");
      first.half_close();
      second.half_close();
      BOOST_TEST(first.read_all() == "");
      BOOST_TEST(second.read_all() == "");
      BOOST_TEST(server.stop() == 0);
    }
  }
}
