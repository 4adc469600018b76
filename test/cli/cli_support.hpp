// Helpers of the command-line suites: parse a list of arguments in-process, check a usage
// error, write a --config file.
#pragma once

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>
#include <vector>

#include <socketserver/command_line.hpp>

#include "test_support.hpp"

namespace cli_test {

/// Parses `prog ARGS...` with @p command_line (a ServerCommandLine or a ClientCommandLine).
template <class CommandLine>
auto parse(const CommandLine& command_line, std::vector<std::string> args) {
  args.insert(args.begin(), "prog");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  return command_line.parse(static_cast<int>(args.size()), argv.data());
}

/// The options @p command_line gets from `prog ARGS...`; fails the test if it refuses them.
template <class CommandLine>
auto accepted(const CommandLine& command_line, std::vector<std::string> args) {
  auto outcome = parse(command_line, std::move(args));
  BOOST_TEST_REQUIRE(outcome.options.has_value(), "refused: " << outcome.message);
  return std::move(*outcome.options);
}

/// A usage error: exit status 2, nothing to run, one line "prog: error: ..." naming @p option.
template <class Outcome>
void expect_usage_error(const Outcome& outcome, const std::string& option) {
  BOOST_TEST(!outcome.options.has_value());
  BOOST_TEST(outcome.exit_status == 2);
  BOOST_TEST(outcome.message.rfind("prog: error: ", 0) == 0, outcome.message);
  BOOST_TEST(outcome.message.find('\n') == std::string::npos, "more than one line: " << outcome.message);
  BOOST_TEST(outcome.message.find(option) != std::string::npos, "'" << option << "' not named in: " << outcome.message);
}

/// A --config file with the given text, in a fresh folder.
struct ConfigFile {
  test_support::TempDir dir;
  std::string path = dir.file("server.conf");
  explicit ConfigFile(const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
};

} // namespace cli_test

namespace cli_test {

/// Parses `--config FILE`, FILE holding @p text, and expects a usage error naming @p option
/// and `FILE:LINE: ` for @p line.
template <class CommandLine>
void expect_error_at_line(const CommandLine& command_line, const std::string& text, int line, const std::string& option) {
  ConfigFile file(text);
  auto outcome = parse(command_line, {"--config", file.path});
  expect_usage_error(outcome, option);
  BOOST_TEST(outcome.message.find(file.path + ":" + std::to_string(line) + ": ") != std::string::npos, outcome.message);
}

} // namespace cli_test
