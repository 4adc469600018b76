#include "socketserver/network_allow_list.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace socketserver {
namespace {

namespace ip = boost::asio::ip;

[[noreturn]] void reject(std::string_view text, std::string_view why) {
  throw std::invalid_argument("'" + std::string(text) + "' is not a network (" + std::string(why) +
                              "; expected ADDRESS/PREFIX such as 10.0.0.0/8 or fd00::/8)");
}

// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) compare as the IPv4 address they carry.
ip::address unmapped(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  return address;
}

template <std::size_t N>
bool prefix_matches(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                    unsigned prefix_length) {
  unsigned whole = prefix_length / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) return false;
  unsigned rest = prefix_length % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xFFu << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

template <std::size_t N>
void clear_host_bits(std::array<unsigned char, N>& bytes, unsigned prefix_length) {
  for (std::size_t i = 0; i < N; ++i) {
    unsigned first_bit = static_cast<unsigned>(i) * 8;
    if (first_bit >= prefix_length) {
      bytes[i] = 0;
    } else if (prefix_length - first_bit < 8) {
      bytes[i] &= static_cast<unsigned char>(0xFFu << (8 - (prefix_length - first_bit)));
    }
  }
}

} // namespace

Network::Network(ip::address address, unsigned prefix_length)
    : address_(std::move(address)), prefix_length_(prefix_length) {}

Network Network::parse(std::string_view text) {
  auto slash = text.find('/');
  std::string_view host = text.substr(0, slash);
  if (host.empty()) reject(text, "missing address");
  boost::system::error_code error;
  ip::address address = ip::make_address(std::string(host), error);
  if (error) reject(text, "not a numeric IPv4 or IPv6 address");
  unsigned max_length = address.is_v4() ? 32 : 128;
  unsigned prefix_length = max_length;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    auto [end, parse_error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix_length);
    if (digits.empty() || parse_error != std::errc{} || end != digits.data() + digits.size() ||
        prefix_length > max_length)
      reject(text, "the prefix length must be a number from 0 to " + std::to_string(max_length));
  }
  if (address.is_v6()) {
    auto v6 = address.to_v6();
    if (v6.scope_id() != 0) reject(text, "a scope id has no place in a network");
    if (v6.is_v4_mapped() && prefix_length >= 96) {
      address = ip::make_address_v4(ip::v4_mapped, v6);
      prefix_length -= 96;
    }
  }
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    clear_host_bits(bytes, prefix_length);
    return Network(ip::address_v4(bytes), prefix_length);
  }
  auto bytes = address.to_v6().to_bytes();
  clear_host_bits(bytes, prefix_length);
  return Network(ip::address_v6(bytes), prefix_length);
}

bool Network::contains(const ip::address& candidate) const noexcept {
  ip::address address = unmapped(candidate);
  if (address.is_v4() != address_.is_v4()) return false;
  if (address.is_v4()) return prefix_matches(address.to_v4().to_bytes(), address_.to_v4().to_bytes(), prefix_length_);
  return prefix_matches(address.to_v6().to_bytes(), address_.to_v6().to_bytes(), prefix_length_);
}

std::string Network::to_string() const {
  return address_.to_string() + "/" + std::to_string(prefix_length_);
}

bool NetworkAllowList::allows(const ip::address& address) const noexcept {
  if (networks_.empty()) return true;
  return std::any_of(networks_.begin(), networks_.end(),
                     [&](const Network& network) { return network.contains(address); });
}

bool NetworkAllowList::allows(const Address& peer) const {
  if (networks_.empty() || peer.is_unix()) return true;
  boost::system::error_code error;
  ip::address address = ip::make_address(peer.host(), error);
  return !error && allows(address);
}

} // namespace socketserver
