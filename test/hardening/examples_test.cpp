// Hostile input to the example servers with a protocol of their own: a 4 GiB length
// prefix to framed_echo_server; to file_server, a 100 MiB request line, path traversal
// attempts, FIFOs and device nodes inside the root, and a reader that trickles.
#define BOOST_TEST_MODULE hardening_examples
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <socketserver/byte_order.hpp>

#include "hardening_support.hpp"

using namespace hardening;
namespace fs = std::filesystem;

namespace {

using test_support::all_modes;
using test_support::ModeCase;

// RSS of the server and of its children (the forking mode's work happens there).
std::size_t server_rss(pid_t server) {
  std::size_t total = rss_bytes(server);
  for (pid_t child : live_children_of(server)) total += rss_bytes(child);
  return total;
}

std::string framed(const std::string& body) { return socketserver::length_prefix(body.size()) + body; }

// Sends @p data in 1 MiB pieces until @p total bytes went or the server closed; returns
// how many bytes went.
std::size_t send_until_closed(RawClient& client, const std::string& first, std::size_t total, char filler) {
  std::size_t sent = client.send_some(first, 5s);
  if (sent < first.size()) return sent;
  const std::string chunk(1 << 20, filler);
  while (sent < total) {
    std::size_t count = client.send_some(chunk, 5s);
    sent += count;
    if (count < chunk.size()) break;
  }
  return sent;
}

// Whether process @p pid is blocked in an open() system call, from /proc/PID/syscall;
// nothing when the kernel does not say.
std::optional<bool> in_open_call(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/syscall");
  std::string first;
  if (!(file >> first)) return std::nullopt;
  if (first == "running") return false;
  long number = std::strtol(first.c_str(), nullptr, 10);
#ifdef SYS_open
  if (number == SYS_open) return true;
#endif
  return number == SYS_openat;
}

// "HOST:PORT" of the local end of @p client, as the server names it.
std::string client_name(const RawClient& client) {
  sockaddr_in local{};
  socklen_t length = sizeof local;
  ::getsockname(client.fd(), reinterpret_cast<sockaddr*>(&local), &length);
  return "127.0.0.1:" + std::to_string(ntohs(local.sin_port));
}

// The lines of @p log that name @p client (followed by ": ", so that port 4000 does not
// match 40001).
std::vector<std::string> lines_naming(const std::string& log, const std::string& client) {
  std::vector<std::string> found;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    if (line.find(client + ": ") != std::string::npos) found.push_back(line);
  return found;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_4_GiB_length_prefix_closes_the_connection_with_bounded_memory) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      ExampleServer server("framed_echo_server", mode.args({"--timeout", "10"}));
      {
        RawClient warm(server.address());
        BOOST_TEST(warm.send_all(framed("warm up")));
        BOOST_TEST(warm.receive_exactly(11, 10s).data == framed("warm up"));
      }
      std::size_t rss_before = rss_bytes(server.pid());

      RawClient hostile(server.address());
      // 0xFFFFFFFF: the largest length a 4-byte prefix can announce, then 64 MiB of "body".
      std::size_t sent = send_until_closed(hostile, std::string(4, '\xff'), std::size_t(64) << 20, 'b');
      BOOST_TEST(hostile.wait_closed(10s));
      std::size_t rss_after = server_rss(server.pid());
      BOOST_TEST_MESSAGE(mode << ": sent " << sent / 1024 << " KiB before the close; RSS " << rss_before / 1024
                              << " KiB -> " << rss_after / 1024 << " KiB");
      BOOST_TEST(sent < std::size_t(64) << 20);
      BOOST_TEST(rss_after < rss_before + (std::size_t(16) << 20));

      RawClient next(server.address());
      BOOST_TEST(next.send_all(framed("next")));
      BOOST_TEST(next.receive_exactly(8, 10s).data == framed("next"));
      next.half_close();
      BOOST_TEST(next.wait_closed(10s));
      BOOST_TEST(server.stop(SIGTERM).value_or(-1) == 0);
      std::string errors = server.stderr_text();
      BOOST_TEST(errors.find("longer than the limit") != std::string::npos, errors);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_100_MiB_request_line_without_newline_is_refused_with_bounded_memory) {
  test_support::TempDir root;
  std::ofstream(root.file("hello.txt")) << "hello\n";
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      ExampleServer server("file_server", mode.args({"--root", root.path(), "--timeout", "10"}));
      std::size_t rss_before = rss_bytes(server.pid());
      RawClient hostile(server.address());
      std::string reply;
      std::size_t sent = send_until_closed(hostile, std::string(1 << 20, 'a'), std::size_t(100) << 20, 'a');
      auto rest = hostile.receive_all(10s);
      BOOST_TEST(rest.closed);
      std::size_t rss_after = server_rss(server.pid());
      BOOST_TEST_MESSAGE(mode << ": sent " << sent / 1024 << " KiB; RSS " << rss_before / 1024 << " KiB -> "
                              << rss_after / 1024 << " KiB");
      BOOST_TEST(sent < std::size_t(100) << 20);
      BOOST_TEST(rss_after < rss_before + (std::size_t(16) << 20));

      RawClient next(server.address());
      BOOST_TEST(next.send_all("hello.txt\n"));
      BOOST_TEST(next.receive_all(10s).data == "OK 6\nhello\n");
      BOOST_TEST(server.stop(SIGTERM).value_or(-1) == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(path_traversal_attempts_get_err_and_never_read_outside_the_root) {
  test_support::TempDir sandbox;
  fs::create_directories(sandbox.file("root/sub"));
  const std::string secret = "TOP SECRET CONTENT\n";
  std::ofstream(sandbox.file("secret.txt")) << secret;
  std::ofstream(sandbox.file("root/sub/ok.txt")) << "fine\n";
  fs::create_symlink("../secret.txt", sandbox.file("root/link-out"));
  fs::create_symlink(sandbox.file("secret.txt"), sandbox.file("root/absolute-link-out"));
  fs::create_directory_symlink("..", sandbox.file("root/up"));
  fs::create_directory_symlink("/etc", sandbox.file("root/etc"));
  fs::create_symlink("sub/ok.txt", sandbox.file("root/link-in"));  // inside: allowed

  ExampleServer server("file_server", {"--mode", "threading", "--root", sandbox.file("root")});
  auto request = [&](const std::string& line) {
    RawClient client(server.address());
    client.send_all(line);
    auto reply = client.receive_all(10s);
    BOOST_TEST(reply.closed);
    return reply.data;
  };

  BOOST_TEST(request("sub/ok.txt\n") == "OK 5\nfine\n");
  BOOST_TEST(request("sub/ok.txt\r\n") == "OK 5\nfine\n");
  BOOST_TEST(request("link-in\n") == "OK 5\nfine\n");

  const std::string long_name(100000, 'a');
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "../";
  const std::vector<std::string> attacks{
      "../secret.txt\n",
      "sub/../../secret.txt\n",
      "./../secret.txt\n",
      "..\n",
      "../\n",
      "sub/../..\n",
      deep + "etc/passwd\n",
      "%2e%2e/secret.txt\n",
      "%2e%2e%2fsecret.txt\n",
      "..%2fsecret.txt\n",
      "....//secret.txt\n",
      "..\\secret.txt\n",
      "/etc/passwd\n",
      sandbox.file("secret.txt") + "\n",
      "//etc/passwd\n",
      "link-out\n",
      "absolute-link-out\n",
      "up/secret.txt\n",
      "etc/passwd\n",
      "etc/hostname\n",
      std::string("sub/ok.txt\0../../secret.txt\n", 28),
      std::string("../secret.txt\0\n", 15),
      std::string("\0\n", 2),
      long_name + "\n",
      long_name,  // and no newline at all
      "sub/" + std::string(5000, 'b') + "/../../../secret.txt\n",
      "\n",
      "sub\n",
      ".\n",
      "/\n",
  };
  for (const std::string& attack : attacks) {
    BOOST_TEST_CONTEXT("request '" << attack.substr(0, 60) << (attack.size() > 60 ? "...'" : "'")) {
      std::string reply = request(attack);
      BOOST_TEST(reply.rfind("ERR ", 0) == 0u, reply.substr(0, 80));
      BOOST_TEST(reply.find("SECRET") == std::string::npos);
      BOOST_TEST(reply.find("root:") == std::string::npos);
      BOOST_TEST(std::count(reply.begin(), reply.end(), '\n') == 1);
    }
  }
  BOOST_TEST(server.stop(SIGTERM).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_fifo_or_a_device_node_in_the_root_is_refused_at_once_without_being_opened) {
  test_support::TempDir root;
  std::ofstream(root.file("hello.txt")) << "hello\n";
  BOOST_TEST_REQUIRE(::mkfifo(root.file("fifo").c_str(), 0600) == 0);
  std::vector<std::string> names{"fifo"};
  if (::mknod(root.file("zero").c_str(), S_IFCHR | 0600, makedev(1, 5)) == 0)  // /dev/zero's numbers
    names.push_back("zero");
  else
    BOOST_TEST_MESSAGE("mknod failed (" << std::strerror(errno) << "): the device node case is skipped");

  // A writer waiting for the FIFO's first reader: had a server opened the FIFO, even
  // without blocking, the writer would go on and print "opened".
  test_support::ChildProcess writer("/bin/sh", {"-c", "exec 3>\"$0\"; echo opened", root.file("fifo")});
  bool writer_waits = test_support::eventually([&] { return in_open_call(writer.pid()).value_or(false); });
  if (!writer_waits) BOOST_TEST_MESSAGE("/proc does not show the FIFO's writer waiting: that check is skipped");

  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      ExampleServer server("file_server", mode.args({"--root", root.path(), "--timeout", "10"}));
      for (const std::string& name : names) {
        auto start = Clock::now();
        RawClient client(server.address());
        BOOST_TEST(client.send_all(name + "\n"));
        BOOST_TEST(client.receive_all(10s).data == "ERR not a regular file\n", name);
        BOOST_TEST(seconds_since(start) < 2.0, name << ": answered after " << seconds_since(start) << " s");
      }
      RawClient next(server.address());
      BOOST_TEST(next.send_all("hello.txt\n"));
      BOOST_TEST(next.receive_all(10s).data == "OK 6\nhello\n");
      BOOST_TEST(server.stop(SIGTERM).value_or(-1) == 0);
    }
  }
  if (writer_waits) BOOST_TEST(in_open_call(writer.pid()).value_or(false), "a server opened the FIFO");
  // A reader of our own releases the writer: so the check above could see an open.
  int reader = ::open(root.file("fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  BOOST_TEST(writer.read_line(10s).value_or("") == "opened");
  ::close(reader);
  BOOST_TEST(writer.wait(10s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(every_refused_request_leaves_one_log_line_naming_the_client_in_every_mode) {
  test_support::TempDir root;
  std::ofstream(root.file("hello.txt")) << "hello\n";
  fs::create_directory(root.file("sub"));
  BOOST_TEST_REQUIRE(::mkfifo(root.file("fifo").c_str(), 0600) == 0);
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      ExampleServer server("file_server", mode.args({"--root", root.path(), "--timeout", "10"}));
      std::map<std::string, std::string> reasons;  // client -> what its log line must say
      {
        RawClient hostile(server.address());  // a 100 MiB request line without a newline
        reasons[client_name(hostile)] = "'...: name too long";  // the name, cut short
        send_until_closed(hostile, std::string(1 << 20, 'a'), std::size_t(100) << 20, 'a');
        BOOST_TEST(hostile.receive_all(10s).closed);
      }
      for (auto [request, reason] : {std::pair{"../secret.txt\n", "'../secret.txt': name escapes the root"},
                                     std::pair{"sub\n", "'sub': not a regular file"},
                                     std::pair{"fifo\n", "'fifo': not a regular file"},
                                     std::pair{"esc\x1b[2J\n", "'esc\\x1b[2J': no such file"}}) {
        RawClient client(server.address());
        reasons[client_name(client)] = reason;
        BOOST_TEST(client.send_all(request));
        BOOST_TEST(client.receive_all(10s).data.starts_with("ERR "));
      }
      RawClient fine(server.address());
      std::string fine_name = client_name(fine);
      BOOST_TEST(fine.send_all("hello.txt\n"));
      BOOST_TEST(fine.receive_all(10s).data == "OK 6\nhello\n");

      BOOST_TEST_REQUIRE(server.stop(SIGTERM).value_or(-1) == 0);
      std::string log = server.stderr_text();
      for (const auto& [client, reason] : reasons) {
        std::vector<std::string> lines = lines_naming(log, client);
        BOOST_TEST(lines.size() == 1u, client << " in: " << log);
        if (!lines.empty()) {
          BOOST_TEST(lines.front().find(client + ": refused '") != std::string::npos, lines.front());
          BOOST_TEST(lines.front().ends_with(reason), lines.front());
        }
      }
      BOOST_TEST(lines_naming(log, fine_name).empty(), log);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_reader_slower_than_min_rate_is_dropped_in_bounded_time) {
  test_support::TempDir root;
  constexpr std::size_t file_size = std::size_t(16) << 20;  // well beyond the socket buffers
  {
    std::ofstream big(root.file("big.bin"), std::ios::binary);
    for (std::size_t i = 0; i < file_size / 4096; ++i) big << std::string(4096, char('a' + i % 26));
  }
  std::ofstream(root.file("small.txt")) << "small\n";
  ExampleServer server("file_server",
                       {"--mode", "threading", "--root", root.path(), "--timeout", "2", "--min-rate", "65536"});
  auto fetch_small = [&] {
    RawClient client(server.address());
    BOOST_TEST(client.send_all("small.txt\n"));
    BOOST_TEST(client.receive_all(10s).data == "OK 6\nsmall\n");
  };
  fetch_small();  // so that whatever the server opens once is open before counting
  BOOST_TEST_REQUIRE(test_support::eventually([&] { return fd_count(server.pid()) > 0; }));
  std::size_t idle_fds = fd_count(server.pid());

  RawClient trickler(server.address());
  std::string who = client_name(trickler);
  BOOST_TEST_REQUIRE(trickler.send_all("big.bin\n"));
  auto start = Clock::now();
  std::size_t received = 0;
  bool dropped = false;
  // 16 KiB every half second, half the minimum rate, for at most 90 rounds. Once the
  // buffers are full, a MiB is overdue after --timeout + 1 MiB / --min-rate = 18 s.
  for (int round = 0; round < 90 && !dropped; ++round) {
    received += trickler.receive_exactly(16 * 1024, 5s).data.size();
    dropped = fd_count(server.pid()) <= idle_fds;  // the connection and the file are closed
    if (!dropped) std::this_thread::sleep_for(500ms);  // the trickle itself, not a synchronisation
  }
  double took = seconds_since(start);
  BOOST_TEST_MESSAGE("after " << took << " s and " << received / 1024 << " KiB read: "
                              << (dropped ? "dropped" : "still served"));
  BOOST_TEST(dropped, "the trickling reader still holds its connection after " << took << " s");
  BOOST_TEST(took < 30.0);
  BOOST_TEST(received < file_size);
  fetch_small();

  BOOST_TEST_REQUIRE(server.stop(SIGTERM).value_or(-1) == 0);
  std::string log = server.stderr_text();
  BOOST_TEST(lines_naming(log, who).size() == 1u, log);  // the drop, with its reason
}
