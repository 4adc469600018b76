// The examples whose server speaks first: daytime_server/daytime_client, time_server
// (checked with rdate) and hello_server/hello_client, with the tutorials' Python clients.
#define BOOST_TEST_MODULE examples_daytime
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <socketserver/handlers.hpp>

#include "example_support.hpp"

using namespace examples_test;
using socketserver::handlers::ctime_text;
using Clock = std::chrono::system_clock;

namespace {

// The tutorial's daytime client (000): connect, print recv(255), close.
const std::string daytime_client_py = R"(
import socket, sys
socket.setdefaulttimeout(10)
family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
cli_socket = socket.socket(family, socket.SOCK_STREAM)
cli_socket.connect((sys.argv[1], int(sys.argv[2])))
print(cli_socket.recv(255).decode(), end='')
cli_socket.close()
)";

// A UDP client in the style of tutorial 002: one (empty) datagram, print the answer.
const std::string daytime_udp_py = R"(
import socket, sys
socket.setdefaulttimeout(10)
if sys.argv[1] == 'unix':
    udp = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    udp.bind(sys.argv[3])
    dest = sys.argv[2]
else:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dest = (sys.argv[1], int(sys.argv[2]))
udp.sendto(b'', dest)
msg, server = udp.recvfrom(1024)
print(msg.decode(), end='')
udp.close()
)";

// RFC 868 by hand: 4 bytes, network order, seconds since 1900.
const std::string time_client_py = R"(
import socket, struct, sys, time
socket.setdefaulttimeout(10)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((sys.argv[1], int(sys.argv[2])))
data = b''
while True:
    chunk = s.recv(16)
    if not chunk:
        break
    data += chunk
s.close()
(seconds,) = struct.unpack('!I', data)
print(len(data), abs(seconds - 2208988800 - time.time()) < 5)
)";

// The greeting tutorial's client (004), printing its own port last so that the test
// knows which HOST:PORT the server prints.
const std::string hello_client_py = R"(
import socket, sys
socket.setdefaulttimeout(10)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((sys.argv[1], int(sys.argv[2])))
dados = s.recv(2048)
print(dados.decode("utf-8"))
s.send("Olá também!".encode("utf-8"))
print(s.getsockname()[1])
s.close()
)";

// True when @p text is `ctime + "\n"` for a second between @p before and @p after.
bool is_ctime_between(const std::string& text, Clock::time_point before, Clock::time_point after) {
  for (auto t = std::chrono::floor<std::chrono::seconds>(before) - std::chrono::seconds(1);
       t <= after + std::chrono::seconds(1); t += std::chrono::seconds(1))
    if (text == ctime_text(t) + "\n") return true;
  return false;
}

// True for what `rdate -p` prints: one line like "Sun Nov 22 01:16:51 UTC 2026".
bool is_rdate_line(const std::string& text) {
  static const std::string days = "Sun Mon Tue Wed Thu Fri Sat", months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec";
  if (!text.ends_with('\n') || std::count(text.begin(), text.end(), '\n') != 1) return false;
  std::istringstream words(text);
  std::string day, month, date, time, zone, year;
  if (!(words >> day >> month >> date >> time >> zone >> year)) return false;
  return day.size() == 3 && days.find(day) != std::string::npos && month.size() == 3 &&
         months.find(month) != std::string::npos && time.size() == 8 && time[2] == ':' && time[5] == ':' &&
         year.size() == 4 && std::all_of(year.begin(), year.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

BOOST_AUTO_TEST_CASE(ctime_format_is_the_c_library_format) {
  // 2026-11-21 22:12:21 and 2026-11-01 in UTC, formatted in UTC: the issue's example, and
  // the space-padded day of month of asctime().
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  BOOST_TEST(ctime_text(Clock::from_time_t(1795299141)) == "Sat Nov 21 22:12:21 2026");
  BOOST_TEST(ctime_text(Clock::from_time_t(1793491200)) == "Sun Nov  1 00:00:00 2026");
  ::unsetenv("TZ");
  ::tzset();
}

BOOST_AUTO_TEST_CASE(daytime_over_tcp_in_every_mode_with_the_tutorial_client) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      Server server("daytime_server", mode.args());
      for (int i = 0; i < 2; ++i) {
        auto before = Clock::now();
        Result result = python(daytime_client_py, {host_of(server.address()), port_of(server.address())});
        auto after = Clock::now();
        BOOST_TEST(result.status == 0, result.err);
        BOOST_TEST(is_ctime_between(result.out, before, after), "got '" << result.out << "'");
      }
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(daytime_client_and_nc_over_ipv6_and_unix) {
  test_support::TempDir dir;
  std::vector<std::vector<std::string>> setups{{"--unix", dir.file("daytime.sock"), "--mode", "forking"}};
  if (have_ipv6()) setups.push_back({"--host", "::1", "--mode", "threading"});
  for (const auto& args : setups) {
    BOOST_TEST_CONTEXT(args[0] << " " << args[1]) {
      Server server("daytime_server", args);
      auto before = Clock::now();
      Result ours = run(example("daytime_client"), client_args(server.address()));
      std::vector<std::string> nc_args{"-N"};
      if (server.address().is_unix()) nc_args.insert(nc_args.end(), {"-U", server.address().path()});
      else nc_args.insert(nc_args.end(), {"-6", host_of(server.address()), port_of(server.address())});
      Result nc = run("nc", nc_args);
      auto after = Clock::now();
      BOOST_TEST(ours.status == 0, ours.err);
      BOOST_TEST(is_ctime_between(ours.out, before, after), "got '" << ours.out << "'");
      BOOST_TEST(nc.status == 0, nc.err);
      BOOST_TEST(is_ctime_between(nc.out, before, after), "got '" << nc.out << "'");
      BOOST_TEST(server.stop() == 0);
    }
  }
  BOOST_TEST(!std::filesystem::exists(dir.file("daytime.sock")));
}

BOOST_AUTO_TEST_CASE(daytime_over_udp_and_unix_datagrams) {
  test_support::TempDir dir;
  {
    Server server("daytime_server", {"--udp", "--mode", "pool"});
    auto before = Clock::now();
    Result python_client = python(daytime_udp_py, {host_of(server.address()), port_of(server.address())});
    Result ours = run(example("daytime_client"), {"--udp", "--port", port_of(server.address())});
    auto after = Clock::now();
    BOOST_TEST(python_client.status == 0, python_client.err);
    BOOST_TEST(is_ctime_between(python_client.out, before, after), "got '" << python_client.out << "'");
    BOOST_TEST(ours.status == 0, ours.err);
    BOOST_TEST(is_ctime_between(ours.out, before, after), "got '" << ours.out << "'");
    BOOST_TEST(server.stop() == 0);
  }
  {
    Server server("daytime_server", {"--udp", "--unix", dir.file("daytime.dgram"), "--mode", "threading"});
    auto before = Clock::now();
    Result python_client = python(daytime_udp_py, {"unix", server.address().path(), dir.file("client.dgram")});
    Result ours = run(example("daytime_client"), {"--udp", "--unix", server.address().path()});
    auto after = Clock::now();
    BOOST_TEST(python_client.status == 0, python_client.err);
    BOOST_TEST(is_ctime_between(python_client.out, before, after), "got '" << python_client.out << "'");
    BOOST_TEST(ours.status == 0, ours.err);
    BOOST_TEST(is_ctime_between(ours.out, before, after), "got '" << ours.out << "'");
    BOOST_TEST(server.stop(SIGINT) == 0);
  }
  BOOST_TEST(!std::filesystem::exists(dir.file("daytime.dgram")));
}

BOOST_AUTO_TEST_CASE(time_server_satisfies_rdate_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      Server tcp("time_server", mode.args());
      Result result = run("rdate", {"-p", "-o", port_of(tcp.address()), "127.0.0.1"});
      BOOST_TEST(result.status == 0, result.err);
      BOOST_TEST(is_rdate_line(result.out), "got '" << result.out << "'");
      Result by_hand = python(time_client_py, {"127.0.0.1", port_of(tcp.address())});
      BOOST_TEST(by_hand.out == "4 True\n", by_hand.err);
      BOOST_TEST(tcp.stop() == 0);
    }
  }
  for (std::string mode : {"sync", "forking", "async"}) {
    BOOST_TEST_CONTEXT("udp, mode " << mode) {
      Server udp("time_server", {"--udp", "--mode", mode});
      Result result = run("rdate", {"-p", "-u", "-o", port_of(udp.address()), "127.0.0.1"});
      BOOST_TEST(result.status == 0, result.err);
      BOOST_TEST(is_rdate_line(result.out), "got '" << result.out << "'");
      BOOST_TEST(udp.stop() == 0);
    }
  }
  if (have_ipv6()) {
    Server tcp6("time_server", {"--host", "::1"});
    Result result = run("rdate", {"-6", "-p", "-o", port_of(tcp6.address()), "::1"});
    BOOST_TEST(result.status == 0, result.err);
    BOOST_TEST(is_rdate_line(result.out), "got '" << result.out << "'");
    BOOST_TEST(tcp6.stop() == 0);
  }
}

BOOST_AUTO_TEST_CASE(time_server_over_unix_sockets_sends_four_bytes) {
  test_support::TempDir dir;
  Server stream("time_server", {"--unix", dir.file("time.sock"), "--mode", "pool"});
  test_support::Client client(stream.address());
  std::string bytes = client.read_all();
  BOOST_REQUIRE_EQUAL(bytes.size(), 4u);
  // Seconds apart from our own clock (both as RFC 868 counts).
  auto distance = [](const std::string& four_bytes) {
    std::int64_t now = socketserver::handlers::rfc868_time(Clock::now());
    return std::abs(now - std::int64_t{socketserver::from_big_endian<std::uint32_t>(four_bytes)});
  };
  BOOST_TEST(distance(bytes) <= 2);
  BOOST_TEST(stream.stop() == 0);

  Server datagram("time_server", {"--unix", dir.file("time.dgram"), "--udp"});
  std::string reply = test_support::datagram_exchange(datagram.address(), "", test_support::io_timeout,
                                                      dir.file("client.dgram"));
  BOOST_REQUIRE_EQUAL(reply.size(), 4u);
  BOOST_TEST(distance(reply) <= 2);
  BOOST_TEST(datagram.stop() == 0);
}

BOOST_AUTO_TEST_CASE(hello_server_greets_the_tutorial_client_in_every_mode) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      Server server("hello_server", mode.args());
      Result result = python(hello_client_py, {"127.0.0.1", port_of(server.address())});
      BOOST_TEST_REQUIRE(result.status == 0, result.err);
      BOOST_TEST_REQUIRE(result.out.starts_with("Olá!\n"));
      std::string port = result.out.substr(6, result.out.find('\n', 6) - 6);
      BOOST_TEST(result.out == "Olá!\n" + port + "\n");
      BOOST_TEST(server.line() == "127.0.0.1:" + port + " Olá também!");
      BOOST_TEST(server.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(hello_client_over_ipv6_and_unix_and_the_greeting_bytes) {
  test_support::TempDir dir;
  std::vector<std::vector<std::string>> setups{{"--unix", dir.file("hello.sock")}};
  if (have_ipv6()) setups.push_back({"--host", "::1", "--mode", "pool"});
  for (const auto& args : setups) {
    BOOST_TEST_CONTEXT(args[0]) {
      Server server("hello_server", args);
      Result result = run(example("hello_client"), client_args(server.address()));
      BOOST_TEST(result.status == 0, result.err);
      BOOST_TEST(result.out == "Olá!\n");
      std::string answer = server.line();
      BOOST_TEST(answer.starts_with(server.address().is_unix() ? "unix:" : "[::1]:"), answer);
      BOOST_TEST(answer.ends_with(" Olá também!"), answer);

      // Exactly the UTF-8 bytes of "Olá!", no newline, in one piece.
      test_support::Client raw(server.address());
      BOOST_TEST(raw.recv(2048) == "Ol\xc3\xa1!");
      raw.send("tchau\n");
      BOOST_TEST(raw.read_all() == "");
      BOOST_TEST(server.line() == raw.local_address().to_string() + " tchau");
      BOOST_TEST(server.stop() == 0);
    }
  }
}
