#include "socketserver/address.hpp"

#include <charconv>
#include <ostream>
#include <stdexcept>

#include "socketserver/printable.hpp"

namespace socketserver {
namespace {

constexpr std::string_view unix_prefix = "unix:";

[[noreturn]] void reject(std::string_view text, std::string_view why) {
  throw std::invalid_argument("invalid address '" + std::string(text) + "': " + std::string(why));
}

std::uint16_t parse_port(std::string_view text, std::string_view digits) {
  if (digits.empty()) reject(text, "missing port");
  unsigned value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc{} || end != digits.data() + digits.size() || value > 65535)
    reject(text, "port must be a number from 0 to 65535");
  return static_cast<std::uint16_t>(value);
}

} // namespace

Address Address::parse(std::string_view text) {
  if (text.starts_with(unix_prefix)) {
    auto path = text.substr(unix_prefix.size());
    if (path.empty()) reject(text, "missing socket path after 'unix:'");
    return unix_socket(std::string(path));
  }
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) reject(text, "missing ']' after IPv6 address");
    if (close + 1 >= text.size() || text[close + 1] != ':') reject(text, "missing ':PORT' after ']'");
    auto host = text.substr(1, close - 1);
    if (host.empty()) reject(text, "empty IPv6 address");
    return inet(std::string(host), parse_port(text, text.substr(close + 2)));
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) reject(text, "expected HOST:PORT, [IPv6]:PORT, :PORT or unix:PATH");
  auto host = text.substr(0, colon);
  if (host.find(':') != std::string_view::npos) reject(text, "IPv6 addresses need brackets: [::1]:PORT");
  return inet(std::string(host), parse_port(text, text.substr(colon + 1)));
}

Address Address::inet(std::string host, std::uint16_t port) {
  Address address;
  address.kind_ = Kind::inet;
  address.host_ = std::move(host);
  address.port_ = port;
  return address;
}

Address Address::unix_socket(std::string path) {
  Address address;
  address.kind_ = Kind::unix_socket;
  address.path_ = std::move(path);
  return address;
}

std::string Address::to_string() const {
  if (is_unix()) return std::string(unix_prefix) + printable(path_);  // a client picks its name
  auto port = std::to_string(port_);
  if (host_.find(':') != std::string::npos) return "[" + host_ + "]:" + port;
  return host_ + ":" + port;
}

std::ostream& operator<<(std::ostream& out, const Address& address) {
  return out << address.to_string();
}

} // namespace socketserver
