#include "socketserver/command_line_base.hpp"

#include "parse_steps.hpp"
#include "socketserver/printable.hpp"
#include "socketserver/version.hpp"

namespace socketserver {

CommandLine::CommandLine(std::string program, std::string summary, std::uint16_t default_port)
    : default_port_(default_port),
      program_(std::move(program)), summary_(std::move(summary)), own_(program_ + " options") {}

std::string CommandLine::version_line() const {
  if (version_.empty()) return socketserver::version_line(program_);
  return program_ + " " + version_ + " (socketserver " + socketserver::version + ")";
}

void CommandLine::usage_error(const std::string& message) const {
  command_line_detail::print_and_exit(2, program_ + ": error: " + printable(message));
}

std::string version_line(const std::string& program) {
  return program + " (socketserver) " + version;
}

} // namespace socketserver
