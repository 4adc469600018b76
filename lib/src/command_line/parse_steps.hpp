// The steps both command lines take around their own interpretation of the values: parsing,
// --help and --version, --config, the checks every option gets (stray arguments, negative
// numbers), and turning any error into one line and exit status 2.
#pragma once

#include <functional>
#include <string>

#include <boost/program_options.hpp>

#include "socketserver/command_line_base.hpp"

namespace socketserver::command_line_detail {

// How parse_steps() ended when the program is not to run: the status and what to print.
struct Ending {
  int exit_status = 0;
  std::string message;
};

// Parses @p argv against @p shared (to which --help and --version are added) and the
// program's own options; prints nothing. --help and --version end with their text and
// status 0; otherwise a --config file (if @p shared offers --config) adds what the command
// line did not set, and @p interpret gets the values. Any error ends with status 2 and
// "PROGRAM: error: ..." on one line (escaped, naming the option, and the file and line for a
// value from --config). Returns an empty message when @p interpret ran to completion.
Ending parse_steps(const CommandLine& command_line, int argc, const char* const argv[],
                   boost::program_options::options_description shared,
                   const std::function<void(const boost::program_options::variables_map&)>& interpret);

// parse_steps() with @p interpret's result as the outcome's options.
template <class Options>
BasicParseOutcome<Options> parse_with(const CommandLine& command_line, int argc, const char* const argv[],
                                      boost::program_options::options_description shared,
                                      const std::function<Options(const boost::program_options::variables_map&)>& interpret) {
  BasicParseOutcome<Options> outcome;
  Ending ending = parse_steps(command_line, argc, argv, std::move(shared),
                              [&](const boost::program_options::variables_map& values) { outcome.options = interpret(values); });
  outcome.exit_status = ending.exit_status;
  outcome.message = std::move(ending.message);
  return outcome;
}

// Prints @p message (on stdout for status 0, else as a line on stderr) and exits.
[[noreturn]] void print_and_exit(int exit_status, const std::string& message);

// The options of @p outcome, or print_and_exit() when there are none.
template <class Options>
Options options_or_exit(BasicParseOutcome<Options> outcome) {
  if (!outcome.options) print_and_exit(outcome.exit_status, outcome.message);
  return std::move(*outcome.options);
}

} // namespace socketserver::command_line_detail
