#include "print_lines.hpp"

#include <cstdio>
#include <mutex>
#include <string>

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

} // namespace example
