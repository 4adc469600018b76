#include "config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "socketserver/printable.hpp"
#include "usage_error.hpp"

namespace po = boost::program_options;

namespace socketserver::command_line_detail {
namespace {

std::string too_large() { return "is larger than " + std::to_string(largest_config_file >> 20) + " MiB"; }

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw UsageError("config", "'" + path + "' " + why);
}

// Refuses anything but a regular file of a sane size.
void require_regular_file(const std::string& path, const struct stat& status) {
  if (!S_ISREG(status.st_mode)) refuse(path, S_ISDIR(status.st_mode) ? "is a folder" : "is not a regular file");
  if (static_cast<std::size_t>(status.st_size) > largest_config_file)
    refuse(path, too_large());
}

// Up to @p limit bytes of @p fd; a read error leaves its errno in @p error.
std::string read_up_to(int fd, std::size_t limit, int& error) {
  std::string text(limit, '\0');
  std::size_t size = 0;
  while (size < limit) {
    ssize_t n = ::read(fd, text.data() + size, limit - size);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno;
      break;
    }
    size += static_cast<std::size_t>(n);
  }
  text.resize(size);
  return text;
}

std::string read_whole_file(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) refuse(path, std::string("cannot be read: ") + std::strerror(errno));
  require_regular_file(path, status);
  // Non-blocking, so that a FIFO swapped in since stat() cannot hang the open; what was
  // opened is checked again.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) refuse(path, std::string("cannot be read: ") + std::strerror(errno));
  int error = 0;
  std::string text;
  if (::fstat(fd, &status) != 0)
    error = errno;
  else if (S_ISREG(status.st_mode))
    text = read_up_to(fd, largest_config_file + 1, error);  // one byte more: a file that grew shows
  ::close(fd);
  if (error) refuse(path, std::string("cannot be read: ") + std::strerror(error));
  require_regular_file(path, status);
  if (text.size() > largest_config_file) refuse(path, too_large());
  return text;
}

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view blanks = " \t\r";
  std::size_t first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

// Text of the file quoted in an error: escaped (a binary file's bytes must not reach the
// terminal, and a NUL would end the message), and cut when long, so that the message stays
// one short line.
std::string quoted(std::string_view text) {
  constexpr std::size_t longest = 60;
  return "'" + printable(text.substr(0, longest)) + (text.size() > longest ? "...'" : "'");
}

} // namespace

ConfigFile read_config_file(const std::string& path, const po::options_description& description) {
  std::string text = read_whole_file(path);
  ConfigFile file(description);
  std::size_t number = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++number;
    std::string where = path + ":" + std::to_string(number);
    line = trimmed(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::size_t equals = line.find('=');
    if (equals == std::string_view::npos)
      throw UsageError("", where + ": expected 'name = value', got " + quoted(line));
    std::string name(trimmed(line.substr(0, equals)));
    std::string value(trimmed(line.substr(equals + 1)));
    if (!description.find_nothrow(name, false))
      throw UsageError("", where + ": unknown option " + quoted(name));
    file.options.options.emplace_back(name, std::vector<std::string>{value});
    file.where.emplace(name, where);  // the first line wins, as the first value does
  }
  return file;
}

} // namespace socketserver::command_line_detail
