#include "endpoints.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/system/system_error.hpp>

namespace socketserver::detail {
namespace {

// Resolves a host name or literal. An empty host means all IPv4 interfaces.
template <class Protocol>
typename Protocol::endpoint ip_endpoint(const Address& address, boost::asio::io_context& context) {
  if (address.host().empty()) return {boost::asio::ip::address_v4::any(), address.port()};
  boost::system::error_code error;
  auto literal = boost::asio::ip::make_address(address.host(), error);
  if (!error) return {literal, address.port()};

  typename Protocol::resolver resolver(context);
  auto results = resolver.resolve(address.host(), std::to_string(address.port()),
                                  Protocol::resolver::numeric_service, error);
  if (error || results.empty())
    throw boost::system::system_error(error ? error : boost::asio::error::host_not_found,
                                      "cannot resolve " + address.to_string());
  for (const auto& entry : results)
    if (entry.endpoint().address().is_v4()) return entry.endpoint();
  return results.begin()->endpoint();
}

Address from_sockaddr(const sockaddr* raw, std::size_t size) {
  switch (raw->sa_family) {
  case AF_INET: {
    sockaddr_in v4;
    std::memcpy(&v4, raw, sizeof v4);
    boost::asio::ip::address_v4::bytes_type bytes;
    std::memcpy(bytes.data(), &v4.sin_addr, bytes.size());
    return Address::inet(boost::asio::ip::address_v4(bytes).to_string(), ntohs(v4.sin_port));
  }
  case AF_INET6: {
    sockaddr_in6 v6;
    std::memcpy(&v6, raw, sizeof v6);
    boost::asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &v6.sin6_addr, bytes.size());
    boost::asio::ip::address_v6 ip(bytes, v6.sin6_scope_id);
    if (ip.is_v4_mapped())
      return Address::inet(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip).to_string(),
                           ntohs(v6.sin6_port));
    return Address::inet(ip.to_string(), ntohs(v6.sin6_port));
  }
  case AF_UNIX: {
    const auto* un = reinterpret_cast<const sockaddr_un*>(raw);
    std::size_t offset = offsetof(sockaddr_un, sun_path);
    if (size <= offset) return Address::unix_socket("");
    std::string path(un->sun_path, size - offset);
    if (auto nul = path.find('\0'); nul != std::string::npos && nul > 0) path.resize(nul);
    return Address::unix_socket(path);
  }
  default:
    return Address::unix_socket("");
  }
}

} // namespace

StreamEndpoint stream_endpoint(const Address& address, boost::asio::io_context& context) {
  if (address.is_unix()) return boost::asio::local::stream_protocol::endpoint(address.path());
  return ip_endpoint<boost::asio::ip::tcp>(address, context);
}

DatagramEndpoint datagram_endpoint(const Address& address, boost::asio::io_context& context) {
  if (address.is_unix()) return boost::asio::local::datagram_protocol::endpoint(address.path());
  return ip_endpoint<boost::asio::ip::udp>(address, context);
}

Address to_address(const StreamEndpoint& endpoint) {
  return from_sockaddr(endpoint.data(), endpoint.size());
}

Address to_address(const DatagramEndpoint& endpoint) {
  return from_sockaddr(endpoint.data(), endpoint.size());
}

bool same_endpoint(const DatagramEndpoint& sender, const DatagramEndpoint& own) {
  const sockaddr* a = sender.data();
  const sockaddr* b = own.data();
  if (a->sa_family != b->sa_family) return false;
  switch (a->sa_family) {
  case AF_INET: {
    auto* x = reinterpret_cast<const sockaddr_in*>(a);
    auto* y = reinterpret_cast<const sockaddr_in*>(b);
    return x->sin_port == y->sin_port &&
           (y->sin_addr.s_addr == htonl(INADDR_ANY) || x->sin_addr.s_addr == y->sin_addr.s_addr);
  }
  case AF_INET6: {
    auto* x = reinterpret_cast<const sockaddr_in6*>(a);
    auto* y = reinterpret_cast<const sockaddr_in6*>(b);
    return x->sin6_port == y->sin6_port &&
           (IN6_IS_ADDR_UNSPECIFIED(&y->sin6_addr) || IN6_ARE_ADDR_EQUAL(&x->sin6_addr, &y->sin6_addr));
  }
  case AF_UNIX: {
    Address x = from_sockaddr(a, sender.size());
    return !x.path().empty() && x.path() == from_sockaddr(b, own.size()).path();
  }
  default:
    return false;
  }
}

} // namespace socketserver::detail
