// UsageError: what every check of the command line throws for a bad value.
#pragma once

#include <stdexcept>
#include <string>

namespace socketserver::command_line_detail {

// Becomes "PROGRAM: error: MESSAGE" and exit status 2. `option` names the option at fault
// (without dashes; empty for a stray argument), so that an error about a value read from a
// --config file can say which line of the file it came from.
struct UsageError : std::runtime_error {
  // "--OPTION: WHAT" (or WHAT alone without an option).
  UsageError(const std::string& option, const std::string& what)
      : std::runtime_error(option.empty() ? what : "--" + option + ": " + what), option(option) {}

  std::string option;
};

} // namespace socketserver::command_line_detail
