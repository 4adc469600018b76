// framed_echo_server and framed_client: length-prefixed and fixed-length messages in
// every mode and transport, a Python client doing the framing by hand with struct, and
// oversized or truncated messages closing the connection with a logged error.
#define BOOST_TEST_MODULE examples_framed
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>

#include "example_support.hpp"

using namespace examples_test;

namespace {

// Length-prefixed framing by hand, as the socket HOWTO leaves it to the reader.
const std::string framed_client_py = R"(
import socket, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)

def recv_exactly(size):
    chunks = []
    while size > 0:
        chunk = s.recv(min(size, 2048))
        if chunk == b'':
            raise RuntimeError("socket connection broken")
        chunks.append(chunk)
        size -= len(chunk)
    return b''.join(chunks)

for msg in (b'', b'a', 'olá'.encode(), bytes(range(256)) * 300):
    s.sendall(struct.pack('!I', len(msg)) + msg)
    (length,) = struct.unpack('!I', recv_exactly(4))
    print(len(msg), recv_exactly(length) == msg)
s.close()
)";

// Sends raw bytes (argv[3], hex), half-closes, prints how many bytes came back before
// the server closed.
const std::string raw_client_py = R"(
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(bytes.fromhex(sys.argv[3]))
if len(sys.argv) > 4:
    s.shutdown(socket.SHUT_WR)
received = 0
try:
    while True:
        data = s.recv(65536)
        if not data:
            break
        received += len(data)
except ConnectionResetError:
    pass
print('closed after', received)
)";

} // namespace

BOOST_AUTO_TEST_CASE(length_prefixed_echo_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      Server server("framed_echo_server", mode.args());
      Result ours = run(example("framed_client"),
                        {"--port", port_of(server.address()), "--count", "40", "--max-size", "70000"});
      BOOST_TEST(ours.status == 0, ours.err);
      BOOST_TEST(ours.out == "40 messages ok\n");
      Result python_client = python(framed_client_py, {"127.0.0.1", port_of(server.address())});
      BOOST_TEST(python_client.out == "0 True\n1 True\n4 True\n76800 True\n", python_client.err);
      BOOST_TEST(server.stop() == 0);
    }
  }
}

// The default mode answers a second client while the first one is still connected, with
// one thread too.
BOOST_AUTO_TEST_CASE(the_default_mode_serves_open_connections_in_turn_on_one_thread) {
  Server server("framed_echo_server", {"--threads", "1"});
  auto frame = [](const std::string& body) {
    std::string prefix = socketserver::to_big_endian(static_cast<std::uint32_t>(body.size()));
    return prefix + body;
  };
  {
    test_support::Client first(server.address());
    test_support::Client second(server.address());
    for (std::string body : {"one", "two", "three"}) {
      first.send(frame("first: " + body));
      second.send(frame("second: " + body));
      BOOST_TEST(second.read_exactly(frame("second: " + body).size()) == frame("second: " + body));
      BOOST_TEST(first.read_exactly(frame("first: " + body).size()) == frame("first: " + body));
    }
  }
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(fixed_length_echo_over_unix_and_ipv6) {
  test_support::TempDir dir;
  std::vector<std::vector<std::string>> setups{{"--unix", dir.file("framed.sock"), "--mode", "forking"}};
  if (have_ipv6()) setups.push_back({"--host", "::1", "--mode", "pool"});
  for (const auto& args : setups) {
    BOOST_TEST_CONTEXT(args[0] << " " << args[1]) {
      std::vector<std::string> fixed{"--fixed", "64"};
      std::vector<std::string> server_args = args;
      server_args.insert(server_args.end(), fixed.begin(), fixed.end());
      Server server("framed_echo_server", server_args);
      std::vector<std::string> client = client_args(server.address());
      client.insert(client.end(), {"--fixed", "64", "--count", "25"});
      Result ours = run(example("framed_client"), client);
      BOOST_TEST(ours.status == 0, ours.err);
      BOOST_TEST(ours.out == "25 messages ok\n");
      BOOST_TEST(server.stop() == 0);

      Server prefixed("framed_echo_server", args);
      Result again = run(example("framed_client"), client_args(prefixed.address()));
      BOOST_TEST(again.out == "100 messages ok\n", again.err);
      BOOST_TEST(prefixed.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(oversized_and_truncated_messages_close_the_connection_with_a_logged_error) {
  Server server("framed_echo_server", {"--max-message", "1000", "--mode", "threading"}, true);
  std::string host = "127.0.0.1", port = port_of(server.address());
  // A prefix announcing 1001 bytes: refused before any body is read.
  Result oversized = python(raw_client_py, {host, port, "000003e9"});
  BOOST_TEST(oversized.out == "closed after 0\n", oversized.err);
  // A prefix announcing 4 GiB - 1.
  Result huge = python(raw_client_py, {host, port, "ffffffff" + std::string(64, 'a')});
  BOOST_TEST(huge.out == "closed after 0\n", huge.err);
  // 10 of 100 announced bytes, then the end of the stream.
  Result truncated = python(raw_client_py, {host, port, "00000064" + std::string(20, '7'), "shut"});
  BOOST_TEST(truncated.out == "closed after 0\n", truncated.err);
  // The server goes on serving, and a 1000-byte message is fine.
  Result ok = run(example("framed_client"), {"--port", port, "--count", "20", "--max-size", "1000"});
  BOOST_TEST(ok.out == "20 messages ok\n", ok.err);
  BOOST_TEST(server.stop() == 0);

  std::string errors = server.process().stderr_text();
  BOOST_TEST(errors.find("message longer than the limit of 1000 bytes") != std::string::npos, errors);
  BOOST_TEST(errors.find("connection closed after 10 of 100 expected bytes") != std::string::npos, errors);
}

BOOST_AUTO_TEST_CASE(framed_client_reports_a_bad_reply) {
  // A daytime server answers with text, not with the message: framed_client must fail
  // with one line on stderr and exit status 1.
  Server server("daytime_server", {});
  Result result = run(example("framed_client"), {"--port", port_of(server.address()), "--count", "3"});
  BOOST_TEST(result.status == 1);
  BOOST_TEST(result.out == "");
  BOOST_TEST(result.err.starts_with("framed_client: "), result.err);
  BOOST_TEST(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  BOOST_TEST(server.stop() == 0);
}
