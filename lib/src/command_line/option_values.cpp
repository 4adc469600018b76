#include "option_values.hpp"

#include <sys/un.h>

#include <iomanip>
#include <sstream>
#include <utility>

#include <boost/asio/ip/address_v6.hpp>

#include "usage_error.hpp"

namespace po = boost::program_options;

namespace socketserver::command_line_detail {
namespace {

// A double as an operator would write it: 31536000, 2.5, 1e+300, nan.
std::string number_text(double value) {
  std::ostringstream text;
  text << std::setprecision(12) << value;
  return text.str();
}

// The longest path a Unix socket address holds, its terminating NUL excluded.
constexpr std::size_t longest_unix_path = sizeof(sockaddr_un{}.sun_path) - 1;

Address unix_address(const std::string& path) {
  if (path.empty()) throw UsageError("unix", "the path is empty");
  if (path.size() > longest_unix_path)
    throw UsageError("unix", "'" + path + "' is " + std::to_string(path.size()) + " bytes long; a Unix socket path holds at most " +
                                 std::to_string(longest_unix_path));
  return Address::unix_socket(path);
}

// "[::1]" is how an IPv6 address is written beside a port; without the port the brackets
// are still what many operators type, so they are accepted around an IPv6 address.
std::string host_name(const std::string& host) {
  if (host.find('/') != std::string::npos) throw UsageError("host", "'" + host + "' is not a host name or address");
  if (!host.starts_with('[') && !host.ends_with(']')) return host;
  std::string inside = host.size() >= 2 && host.starts_with('[') && host.ends_with(']') ? host.substr(1, host.size() - 2) : "";
  boost::system::error_code error;
  boost::asio::ip::make_address_v6(inside, error);
  if (inside.empty() || error) throw UsageError("host", "'" + host + "' is not an IPv6 address in brackets");
  return inside;
}

} // namespace

unsigned bounded(const po::variables_map& values, const std::string& name, unsigned least, unsigned most) {
  unsigned value = values[name].as<unsigned>();
  if (value < least || value > most)
    throw UsageError(name, "must be from " + std::to_string(least) + " to " + std::to_string(most) + " (got " +
                               std::to_string(value) + ")");
  return value;
}

std::optional<Seconds> duration(const po::variables_map& values, const std::string& name, double shortest,
                                double longest) {
  double seconds = values[name].as<double>();
  if (seconds == 0) return std::nullopt;
  if (!(seconds >= shortest && seconds <= longest))  // NaN fails both comparisons
    throw UsageError(name, "must be 0 or from " + number_text(shortest) + " to " + number_text(longest) +
                               " seconds (got " + number_text(seconds) + ")");
  return Seconds(seconds);
}

Address address(const po::variables_map& values, unsigned least_port) {
  unsigned port = values["port"].as<unsigned>();
  if (port < least_port || port > 65535)
    throw UsageError("port", std::to_string(port) + " is not a port (" + std::to_string(least_port) + " to 65535)");
  if (values.count("unix")) return unix_address(values["unix"].as<std::string>());
  return Address::inet(host_name(values["host"].as<std::string>()), static_cast<std::uint16_t>(port));
}

} // namespace socketserver::command_line_detail
