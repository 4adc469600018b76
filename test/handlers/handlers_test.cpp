// The bundled handlers' building blocks: the chargen pattern, RFC 868 time, the daytime line,
// and opening files beneath a root without escaping it.
#define BOOST_TEST_MODULE handlers
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <socketserver/handlers.hpp>

#include "test_support.hpp"

using namespace socketserver::handlers;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_CASE(chargen_pattern_and_rfc868_time) {
  std::string first = chargen_line(0);
  BOOST_TEST(first.size() == 74u);
  BOOST_TEST(first.substr(0, 5) == " !\"#$");
  BOOST_TEST(first.substr(72) == "\r\n");
  BOOST_TEST(chargen_line(1).substr(0, 2) == "!\"");
  BOOST_TEST(chargen_line(95) == first);  // the pattern repeats after 95 lines

  using Clock = std::chrono::system_clock;
  BOOST_TEST(rfc868_time(Clock::from_time_t(0)) == 2208988800u);
  BOOST_TEST(rfc868_bytes(Clock::from_time_t(0)) == std::string("\x83\xaa\x7e\x80"));
  // 2036-02-07 06:28:16 UTC: the 32-bit count wraps to 0.
  BOOST_TEST(rfc868_time(Clock::from_time_t(2085978496)) == 0u);

  auto moment = Clock::from_time_t(1'800'000'000);
  BOOST_TEST(daytime_reply(moment) == ctime_text(moment) + "\n");
  BOOST_TEST(ctime_text(moment).size() == 24u);  // "Www Mmm dd hh:mm:ss yyyy"
}

BOOST_AUTO_TEST_CASE(open_beneath_stays_under_the_root) {
  test_support::TempDir dir;
  std::string root = dir.file("root");
  fs::create_directories(root + "/sub");
  std::ofstream(root + "/sub/file.txt") << "inside";
  std::ofstream(dir.file("secret.txt")) << "outside";
  fs::create_symlink("sub/file.txt", root + "/in");
  fs::create_symlink("../secret.txt", root + "/out");
  fs::create_symlink(dir.file("secret.txt"), root + "/absolute");
  fs::create_symlink("/", root + "/slash");
  ::mkfifo((root + "/fifo").c_str(), 0600);

  BOOST_TEST(open_beneath(root, "sub/file.txt").size() == 6u);
  BOOST_TEST(open_beneath(root, "in").size() == 6u);
  BOOST_TEST(open_regular_file(dir.file("secret.txt")).size() == 7u);
  auto refused = [&](const std::string& name) -> std::string {
    try {
      open_beneath(root, name);
      return "opened";
    } catch (const FileRefused& e) {
      return e.what();
    }
  };
  BOOST_TEST(refused("../secret.txt") == "name escapes the root");
  BOOST_TEST(refused("sub/../../secret.txt") == "name escapes the root");
  BOOST_TEST(refused("/etc/passwd") == "name escapes the root");
  BOOST_TEST(refused("out") == "name escapes the root");
  BOOST_TEST(refused("absolute") == "name escapes the root");
  BOOST_TEST(refused("slash/etc/passwd") == "name escapes the root");
  BOOST_TEST(refused("missing") == "no such file");
  BOOST_TEST(refused("sub") == "not a regular file");
  BOOST_TEST(refused("fifo") == "not a regular file");  // and opening it did not block
  BOOST_TEST(refused("") == "empty name");
  BOOST_TEST(refused(std::string(5000, 'a')) == "name too long");
  BOOST_CHECK_THROW(open_regular_file(dir.file("missing")), FileRefused);
  BOOST_CHECK_THROW(open_regular_file(root + "/fifo"), FileRefused);
}

BOOST_AUTO_TEST_CASE(device_nodes_are_refused_without_being_opened) {
  test_support::TempDir dir;
  // /dev/null's numbers: harmless even if it were opened. Needs CAP_MKNOD.
  if (::mknod(dir.file("null").c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) {
    BOOST_TEST_MESSAGE("mknod failed (" << std::strerror(errno) << "): device node case skipped");
    return;
  }
  auto refusal = [&](auto open) -> std::string {
    try {
      open();
      return "opened";
    } catch (const FileRefused& e) {
      return e.what();
    }
  };
  BOOST_TEST(refusal([&] { return open_beneath(dir.path(), "null"); }) == "not a regular file");
  BOOST_TEST(refusal([&] { return open_regular_file(dir.file("null")); }) == "not a regular file");
}
