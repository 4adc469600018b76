#include "socketserver/handlers/chargen.hpp"

#include <algorithm>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace socketserver::handlers {
namespace {

constexpr std::size_t printable_count = 95;  // ' ' (32) to '~' (126)
constexpr std::size_t line_width = 72;

bool peer_went_away(const boost::system::error_code& error) {
  return error == boost::asio::error::broken_pipe || error == boost::asio::error::connection_reset ||
         error == boost::asio::error::eof;
}

} // namespace

std::string chargen_line(std::uint64_t index) {
  std::string line;
  line.reserve(line_width + 2);
  for (std::size_t i = 0; i < line_width; ++i)
    line.push_back(static_cast<char>(' ' + (index + i) % printable_count));
  line += "\r\n";
  return line;
}

void ChargenHandler::handle() {
  // One full cycle of the pattern (95 lines, 7,030 bytes) per write.
  std::string cycle;
  for (std::uint64_t i = 0; i < printable_count; ++i) cycle += chargen_line(i);
  std::uint64_t sent = 0;
  try {
    while (!limit_ || sent < *limit_) {
      std::uint64_t size = limit_ ? std::min<std::uint64_t>(cycle.size(), *limit_ - sent) : cycle.size();
      wfile.write(std::string_view(cycle).substr(0, size));
      sent += size;
    }
  } catch (const boost::system::system_error& error) {
    if (!peer_went_away(error.code())) throw;
  }
}

void ChargenDatagramHandler::handle() {
  thread_local std::minstd_rand random{std::random_device{}()};
  std::size_t size = std::uniform_int_distribution<std::size_t>(0, max_reply)(random);
  std::string reply;
  for (std::uint64_t line = 0; reply.size() < size; ++line) reply += chargen_line(line);
  reply.resize(size);
  wfile.write(reply);
}

} // namespace socketserver::handlers
