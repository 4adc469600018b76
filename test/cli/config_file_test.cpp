// --config FILE: only a regular file of at most 1 MiB is read (a folder, a device or a FIFO
// is refused from stat(), before any open), and every error names the file, with the line
// for what is inside it, escaped. (The examples suite runs /dev/zero and a FIFO with no
// writer against the real binaries, under a deadline.)
#define BOOST_TEST_MODULE cli_config_file
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>

#include "cli_support.hpp"

using namespace socketserver;
using cli_test::ConfigFile;
using cli_test::expect_usage_error;

namespace {

ParseOutcome parse_config(const std::string& path) {
  return cli_test::parse(ServerCommandLine("prog", "A test server.", 9999), {"--config", path});
}

} // namespace

BOOST_AUTO_TEST_CASE(a_folder_is_refused) {
  test_support::TempDir dir;
  ParseOutcome outcome = parse_config(dir.path());
  expect_usage_error(outcome, "--config");
  BOOST_TEST(outcome.message.find(dir.path()) != std::string::npos, outcome.message);
}

BOOST_AUTO_TEST_CASE(a_device_and_a_fifo_are_refused_without_being_opened) {
  expect_usage_error(parse_config("/dev/zero"), "'/dev/zero'");
  test_support::TempDir dir;
  std::string fifo = dir.file("fifo");
  BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Opening a FIFO with no writer would block: refused from stat(), it cannot.
  expect_usage_error(parse_config(fifo), fifo);
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_named) {
  test_support::TempDir dir;
  std::string missing = dir.file("absent.conf");
  ParseOutcome outcome = parse_config(missing);
  expect_usage_error(outcome, "--config");
  BOOST_TEST(outcome.message.find(missing) != std::string::npos, outcome.message);
}

BOOST_AUTO_TEST_CASE(a_file_over_one_mib_is_refused) {
  std::string comment = "# " + std::string(1021, 'x') + "\n";  // 1 KiB a line
  std::string mebibyte;
  for (int i = 0; i < 1024; ++i) mebibyte += comment;
  BOOST_TEST_REQUIRE(mebibyte.size() == 1024u * 1024u);
  ParseOutcome exactly = parse_config(ConfigFile(mebibyte).path);
  BOOST_TEST(exactly.options.has_value(), exactly.message);  // 1 MiB of comments is fine
  ParseOutcome outcome = parse_config(ConfigFile(mebibyte + "\n").path);
  expect_usage_error(outcome, "--config");
  BOOST_TEST(outcome.message.find("1 MiB") != std::string::npos, outcome.message);
}

BOOST_AUTO_TEST_CASE(a_link_to_a_regular_file_is_read) {
  ConfigFile file("port = 1234\n");
  std::string link = file.dir.file("link.conf");
  std::filesystem::create_symlink(file.path, link);
  ParseOutcome outcome = parse_config(link);
  BOOST_TEST_REQUIRE(outcome.options.has_value(), outcome.message);
  BOOST_TEST(outcome.options->config.address.port() == 1234u);
}

BOOST_AUTO_TEST_CASE(a_binary_file_is_escaped_in_the_error) {
  const char bytes[] = "port = 1\n\x7f" "ELF\x02\x01\x01\0\0\x1b[2J\xff\xfe\n";
  ConfigFile file(std::string(bytes, sizeof bytes - 1));
  ParseOutcome outcome = parse_config(file.path);
  expect_usage_error(outcome, file.path + ":2: ");
  for (char byte : outcome.message) {
    auto code = static_cast<unsigned char>(byte);
    BOOST_TEST((code >= 0x20 && code < 0x7f), "raw byte " << int(code) << " in: " << outcome.message);
  }
  BOOST_TEST(outcome.message.find("\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x1b[2J\\xff\\xfe") != std::string::npos,
             outcome.message);
}

BOOST_AUTO_TEST_CASE(a_long_line_is_cut_in_the_error) {
  ConfigFile file(std::string(5000, 'z') + "\n");
  ParseOutcome outcome = parse_config(file.path);
  expect_usage_error(outcome, file.path + ":1: ");
  BOOST_TEST(outcome.message.size() < 200u, outcome.message);
}

BOOST_AUTO_TEST_CASE(lines_are_counted_across_comments_and_blank_lines) {
  cli_test::expect_error_at_line(ServerCommandLine("prog", "A test server.", 9999),
                                 "# comment\n\n   \nport = 80   # trailing comment\n\r\nbogus\n", 6,
                                 "expected 'name = value', got 'bogus'");
}

BOOST_AUTO_TEST_CASE(spaces_and_crlf_around_names_and_values) {
  ParseOutcome outcome = parse_config(ConfigFile("port=81\r\n  mode   =   threading  \r\n").path);
  BOOST_TEST_REQUIRE(outcome.options.has_value(), outcome.message);
  BOOST_TEST(outcome.options->config.address.port() == 81u);
  BOOST_TEST(to_string(outcome.options->config.mode) == "threading");
}

BOOST_AUTO_TEST_CASE(an_option_given_twice_names_its_first_line) {
  ConfigFile file("port = 1\nmode = sync\nport = 2\n");
  ParseOutcome outcome = parse_config(file.path);
  expect_usage_error(outcome, file.path + ":1: ");
  BOOST_TEST(outcome.message.find("port") != std::string::npos, outcome.message);
}
