/// @file
/// @brief Network and NetworkAllowList: which client addresses a server accepts (CIDR).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "socketserver/address.hpp"

namespace socketserver {

/// An IPv4 or IPv6 network in CIDR notation: `10.0.0.0/8`, `192.168.1.0/24`, `::1/128`,
/// `fd00::/8`. A bare address is a network of that one address (`/32` or `/128`).
///
/// Host bits after the prefix are ignored (`192.168.1.7/24` is `192.168.1.0/24`), as
/// iptables does. IPv4-mapped IPv6 networks (<code>\::ffff:10.0.0.0/104</code>) are stored as the IPv4
/// network they map, and an IPv4-mapped client address matches IPv4 networks, so a
/// dual-stack server sees IPv4 clients the same way as an IPv4 server does.
class Network {
public:
  /// Parses `ADDRESS` or `ADDRESS/PREFIX`; throws std::invalid_argument quoting @p text
  /// when the address is not a numeric IPv4 or IPv6 address or the prefix is out of range.
  static Network parse(std::string_view text);

  /// True when @p address (IPv4, IPv6 or IPv4-mapped IPv6) lies in this network.
  bool contains(const boost::asio::ip::address& address) const noexcept;

  /// The network's first address (host bits cleared).
  const boost::asio::ip::address& address() const noexcept { return address_; }
  /// The number of leading bits that must match: 0 to 32 (IPv4) or 0 to 128 (IPv6).
  unsigned prefix_length() const noexcept { return prefix_length_; }
  /// `ADDRESS/PREFIX`, e.g. `10.0.0.0/8`.
  std::string to_string() const;

  /// Same address and prefix.
  friend bool operator==(const Network&, const Network&) = default;

private:
  Network(boost::asio::ip::address address, unsigned prefix_length);

  boost::asio::ip::address address_;
  unsigned prefix_length_ = 0;
};

/// The networks a server accepts clients from; BaseServer::verify_request() consults it.
///
/// An empty list allows everybody (the default, as in Python). Once a network is added,
/// only IP clients inside one of the networks are allowed. Unix-domain clients have no IP
/// address and are always allowed: the socket file's permissions control who connects.
///
/// ```cpp
/// server.allowed_networks.add("127.0.0.0/8");
/// server.allowed_networks.add("::1");
/// ```
class NetworkAllowList {
public:
  /// Adds a network given in CIDR notation; throws std::invalid_argument when malformed.
  void add(std::string_view cidr) { add(Network::parse(cidr)); }
  /// Adds @p network.
  void add(const Network& network) { networks_.push_back(network); }

  /// True when no network was added (everybody is allowed).
  bool empty() const noexcept { return networks_.empty(); }
  /// The networks added, in order.
  const std::vector<Network>& networks() const noexcept { return networks_; }

  /// True when the list is empty or @p address lies in one of its networks.
  bool allows(const boost::asio::ip::address& address) const noexcept;
  /// True for Unix-domain peers, for any peer when the list is empty, and for an IP peer
  /// whose numeric host lies in one of the networks; false for a host that is not an IP
  /// address.
  bool allows(const Address& peer) const;

private:
  std::vector<Network> networks_;
};

} // namespace socketserver
