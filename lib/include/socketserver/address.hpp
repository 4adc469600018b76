/// @file
/// @brief Address: where a server listens or a client connects.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace socketserver {

/// A network or Unix-socket address, written the way users type it.
///
/// Accepted forms:
/// - `127.0.0.1:9999`, `localhost:9999` — host (name or IPv4) and port;
/// - `[::1]:9999` — IPv6 literal in brackets;
/// - `:9999` — all interfaces (IPv4 `0.0.0.0`), like Python's `('', 9999)`;
/// - `unix:/path/to.sock` — a Unix-domain socket path.
///
/// An Address prints in the same form it parses (`to_string()`), so the
/// `listening on ...` line of a server can be pasted into a client.
class Address {
public:
  /// The two families an Address can name.
  enum class Kind { inet, unix_socket };

  /// An empty inet address (`:0`): all interfaces, any port.
  Address() = default;

  /// Parses @p text; throws std::invalid_argument quoting @p text when it is malformed.
  static Address parse(std::string_view text);

  /// An IP address or host name with a port. An empty host means all interfaces.
  static Address inet(std::string host, std::uint16_t port);

  /// A Unix-domain socket path.
  static Address unix_socket(std::string path);

  /// Which family this address belongs to.
  Kind kind() const noexcept { return kind_; }
  /// True for a Unix-domain socket path.
  bool is_unix() const noexcept { return kind_ == Kind::unix_socket; }
  /// The host part (empty for all interfaces or for a Unix address).
  const std::string& host() const noexcept { return host_; }
  /// The port (0 for a Unix address, or when the system should pick one).
  std::uint16_t port() const noexcept { return port_; }
  /// The socket path of a Unix address (empty otherwise, or for an unbound peer).
  const std::string& path() const noexcept { return path_; }

  /// The printable form: `HOST:PORT`, `[V6]:PORT` or `unix:PATH`.
  std::string to_string() const;

  /// Two addresses are equal when they have the same kind, host, port and path.
  friend bool operator==(const Address&, const Address&) = default;

private:
  Kind kind_ = Kind::inet;
  std::string host_;
  std::uint16_t port_ = 0;
  std::string path_;
};

/// Writes `address.to_string()` to @p out.
std::ostream& operator<<(std::ostream& out, const Address& address);

} // namespace socketserver
