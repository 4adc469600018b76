#include "print_lines.hpp"

#include <cstdio>
#include <mutex>
#include <string>

#include <socketserver/printable.hpp>

namespace example {

void print_line(std::string_view line) {
  static std::mutex mutex;
  std::string whole;
  whole.reserve(line.size() + 1);
  whole.append(line).push_back('\n');
  std::lock_guard lock(mutex);
  std::fwrite(whole.data(), 1, whole.size(), stdout);
  std::fflush(stdout);
}

std::string_view without_newline(std::string_view text) noexcept {
  if (text.ends_with("\r\n")) text.remove_suffix(2);
  else if (text.ends_with('\n')) text.remove_suffix(1);
  return text;
}

std::string client_lines(std::string_view prefix, std::string_view text) {
  text = without_newline(text);
  std::string lines;
  for (;;) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (end != std::string_view::npos && line.ends_with('\r')) line.remove_suffix(1);  // a "\r\n" ending
    lines.append(prefix).append(socketserver::printable(line));
    if (end == std::string_view::npos) return lines;
    lines.push_back('\n');
    text.remove_prefix(end + 1);
  }
}

} // namespace example
