// Client bytes in the example servers' output: log_server, uppercase_server and
// hello_server print what clients send. A client must not be able to forge a log line
// (a newline, then text that looks like another client's line), nor reach the operator's
// terminal with control bytes (ESC, BEL, C1, invalid UTF-8) — in what it sends, or in the
// abstract name of its Unix socket. Real binaries, loopback and Unix sockets.
#define BOOST_TEST_MODULE hardening_client_text
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <functional>
#include <system_error>

#include <socketserver/printable.hpp>

#include "hardening_support.hpp"

using namespace hardening;

namespace {

// A hostile piece of client text and the lines the server must print for it, after the
// client's address (and the server's separator).
struct Hostile {
  std::string sent;
  std::vector<std::string> printed;
};

const std::vector<Hostile> hostile_texts{
    {"hello\n127.0.0.1:1234 wrote: FORGED admin logged in\n",
     {"hello", "127.0.0.1:1234 wrote: FORGED admin logged in"}},
    {"\x1b]0;owned\x07\x1b[2J\x1b[H title and clear\n", {"\\x1b]0;owned\\x07\\x1b[2J\\x1b[H title and clear"}},
    {"c1 \xc2\x9b" "31m raw \x9b" "31m del \x7f!\n", {"c1 \\xc2\\x9b31m raw \\x9b31m del \\x7f!"}},
    {std::string("nul \0 inside\n", 13), {"nul \\x00 inside"}},
    {"bad utf-8 \xff\xfe\xc3( \xed\xa0\x80 end\n", {"bad utf-8 \\xff\\xfe\\xc3( \\xed\\xa0\\x80 end"}},
    {"cr\roverwrite\r\ntab\tstays, olá stays\n", {"cr\\roverwrite", "tab\tstays, olá stays"}},
};

// True when a terminal would show @p line as text: no C0 control but tab, no DEL, no C1
// control, nothing but well-formed UTF-8. (Written out here rather than trusting the
// library's printable(), which is what is under test.)
bool is_inert(const std::string& line) {
  for (std::size_t i = 0; i < line.size();) {
    auto byte = static_cast<unsigned char>(line[i]);
    if (byte < 0x80) {
      if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 ? 2 : 0;
    if (length == 0 || byte > 0xf4 || i + length > line.size()) return false;
    char32_t code = byte & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(line[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    const char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code <= 0x9f)
      return false;
    i += length;
  }
  return true;
}

// A client socket, stream or datagram, connected to @p server; a Unix one first binds the
// abstract name @p abstract_name (which starts with a NUL byte), so that the server sees it.
class Peer {
public:
  Peer(const Address& server, int type, const std::string& abstract_name = "") {
    fd_ = ::socket(server.is_unix() ? AF_UNIX : AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    if (server.is_unix()) {
      sockaddr_un local{};
      local.sun_family = AF_UNIX;
      std::memcpy(local.sun_path, abstract_name.data(), abstract_name.size());
      check(::bind(fd_, reinterpret_cast<sockaddr*>(&local), socklen_t(offsetof(sockaddr_un, sun_path) + abstract_name.size())),
            "bind");
      sockaddr_un remote{};
      remote.sun_family = AF_UNIX;
      std::strncpy(remote.sun_path, server.path().c_str(), sizeof remote.sun_path - 1);
      check(::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote), "connect");
    } else {
      sockaddr_in remote{};
      remote.sin_family = AF_INET;
      remote.sin_port = htons(server.port());
      ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
      check(::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote), "connect");
    }
  }
  ~Peer() { ::close(fd_); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // "127.0.0.1:PORT", as the server names an IPv4 client.
  std::string inet_name() const {
    sockaddr_in local{};
    socklen_t length = sizeof local;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length);
    return "127.0.0.1:" + std::to_string(ntohs(local.sin_port));
  }
  // One send(): a whole datagram, or (small) stream data.
  void send(const std::string& data) {
    BOOST_TEST_REQUIRE(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == ssize_t(data.size()));
  }
  void half_close() { ::shutdown(fd_, SHUT_WR); }
  // What arrives until end of stream (stream) or the first datagram, within @p timeout.
  std::string receive(bool until_end, Seconds timeout = 10s) {
    std::string received;
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
    while (Clock::now() < deadline) {
      pollfd ready{fd_, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (::poll(&ready, 1, int(std::max<long long>(left, 0))) <= 0) break;
      char buffer[4096];
      ssize_t count = ::recv(fd_, buffer, sizeof buffer, 0);
      if (count <= 0) return received;
      received.append(buffer, std::size_t(count));
      if (!until_end) return received;
    }
    BOOST_FAIL("no " << (until_end ? "end of stream" : "reply") << " within the timeout");
    return received;
  }

private:
  static void check(int result, const char* what) {
    if (result != 0) throw std::system_error(errno, std::generic_category(), what);
  }
  int fd_ = -1;
};

// The server's next stdout lines, up to and including the first for which @p last holds.
std::vector<std::string> lines_until(ExampleServer& server, const std::function<bool(const std::string&)>& last) {
  std::vector<std::string> lines;
  for (int count = 0; count < 100; ++count) {
    std::optional<std::string> line = server.process().read_line(10s);
    BOOST_TEST_REQUIRE(line.has_value(), "the server printed no more lines; so far " << lines.size());
    lines.push_back(*line);
    if (last(*line)) return lines;
  }
  BOOST_FAIL("no closing line among 100");
  return lines;
}

// How an example server is reached, and how it prints a client's line.
struct Setup {
  std::string program;
  std::vector<std::string> args;
  int type;                // SOCK_STREAM or SOCK_DGRAM
  std::string separator;   // between the address and the text: " " or " wrote: "
  bool replies;            // the server answers each datagram or piece
  bool logs_connections;   // "Connected by ..." / "Closing connection from ..."
};

// A name in the abstract namespace with a NUL, a newline, ESC and BEL in it, unique to this
// process and @p index; and how the server must print it.
struct AbstractName {
  std::string bytes, printed;
};
AbstractName hostile_abstract_name(int index) {
  std::string unique = "socketserver-test-" + std::to_string(::getpid()) + "-" + std::to_string(index);
  return {std::string(1, '\0') + unique + std::string("\0evil\n\x1b[2J\x07", 11),
          "unix:\\x00" + unique + "\\x00evil\\n\\x1b[2J\\x07"};
}

// Sends every hostile text (each with a last line "the end") to @p setup's server, one
// client each, and checks the lines the server prints: exactly the expected ones, each
// starting with the client's real address, none with a raw control byte.
void check_server(const Setup& setup) {
  test_support::TempDir dir;
  std::vector<std::string> args = setup.args;
  bool over_unix = std::find(args.begin(), args.end(), "--unix") != args.end();
  for (auto& arg : args)
    if (arg == "SOCKET") arg = dir.file("server.sock");
  ExampleServer server(setup.program, args);
  int index = 0;
  for (const Hostile& hostile : hostile_texts) {
    BOOST_TEST_CONTEXT(setup.program << " " << args.back() << ", text '" << hostile.printed.front() << "'") {
      AbstractName name = hostile_abstract_name(index++);
      Peer peer(server.address(), setup.type, over_unix ? name.bytes : "");
      std::string who = over_unix ? name.printed : peer.inet_name();
      peer.send(hostile.sent + "the end\n");
      if (setup.type == SOCK_STREAM) {
        peer.half_close();
        peer.receive(true);
      } else if (setup.replies) {
        peer.receive(false);
      }
      std::string prefix = who + setup.separator;
      std::vector<std::string> expected;
      if (setup.logs_connections) expected.push_back("Connected by " + who);
      for (const std::string& line : hostile.printed) expected.push_back(prefix + line);
      expected.push_back(prefix + "the end");
      if (setup.logs_connections) expected.push_back("Closing connection from " + who);
      std::vector<std::string> printed =
          lines_until(server, [&](const std::string& line) { return line == expected.back(); });
      for (const std::string& line : printed) {
        BOOST_TEST(is_inert(line), "raw control bytes in: " << socketserver::printable(line));
        BOOST_TEST((line.starts_with(prefix) || line.ends_with(" " + who)), socketserver::printable(line));
      }
      BOOST_TEST(printed == expected, boost::test_tools::per_element());
    }
  }
  BOOST_TEST(server.stop(SIGTERM).value_or(-1) == 0);
}

} // namespace

BOOST_AUTO_TEST_CASE(log_server_prints_every_line_after_the_real_address_and_escapes_control_bytes) {
  check_server({"log_server", {"--mode", "sync"}, SOCK_STREAM, " ", false, true});
  check_server({"log_server", {"--mode", "forking"}, SOCK_STREAM, " ", false, true});
  check_server({"log_server", {"--mode", "async", "--threads", "2"}, SOCK_STREAM, " ", false, true});
  check_server({"log_server", {"--udp", "--mode", "sync"}, SOCK_DGRAM, " ", false, false});
  check_server({"log_server", {"--unix", "SOCKET", "--mode", "threading"}, SOCK_STREAM, " ", false, true});
  check_server({"log_server", {"--udp", "--unix", "SOCKET", "--mode", "sync"}, SOCK_DGRAM, " ", false, false});
}

BOOST_AUTO_TEST_CASE(uppercase_server_prints_every_line_after_the_real_address_and_escapes_control_bytes) {
  check_server({"uppercase_server", {"--mode", "pool"}, SOCK_STREAM, " wrote: ", true, false});
  check_server({"uppercase_server", {"--mode", "async", "--threads", "1"}, SOCK_STREAM, " wrote: ", true, false});
  check_server({"uppercase_server", {"--udp", "--mode", "async"}, SOCK_DGRAM, " wrote: ", true, false});
  check_server({"uppercase_server", {"--udp", "--mode", "sync"}, SOCK_DGRAM, " wrote: ", true, false});
  check_server({"uppercase_server", {"--unix", "SOCKET", "--mode", "sync"}, SOCK_STREAM, " wrote: ", true, false});
  check_server({"uppercase_server", {"--udp", "--unix", "SOCKET", "--mode", "threading"}, SOCK_DGRAM, " wrote: ", true,
                false});
}

BOOST_AUTO_TEST_CASE(hello_server_prints_the_answer_after_the_real_address_and_escapes_control_bytes) {
  check_server({"hello_server", {"--mode", "threading"}, SOCK_STREAM, " ", true, false});
  check_server({"hello_server", {"--unix", "SOCKET", "--mode", "forking"}, SOCK_STREAM, " ", true, false});
  check_server({"hello_server", {"--unix", "SOCKET", "--mode", "async"}, SOCK_STREAM, " ", true, false});
}
