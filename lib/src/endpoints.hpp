// Conversions between Address and Asio's generic endpoints.
#pragma once

#include <boost/asio/io_context.hpp>

#include "socketserver/address.hpp"
#include "socketserver/request.hpp"

namespace socketserver::detail {

using StreamEndpoint = boost::asio::generic::stream_protocol::endpoint;

/// The endpoint to bind or connect a stream socket to; host names are resolved (IPv4
/// first, as Python's AF_INET default does). Throws system_error naming the address.
StreamEndpoint stream_endpoint(const Address& address, boost::asio::io_context& context);

/// The endpoint to bind a datagram socket to.
DatagramEndpoint datagram_endpoint(const Address& address, boost::asio::io_context& context);

/// The printable form of a peer or local endpoint of any family.
Address to_address(const boost::asio::generic::stream_protocol::endpoint& endpoint);
Address to_address(const DatagramEndpoint& endpoint);

/// True when @p sender names @p own, the server's bound address: the same Unix path, or
/// the same port and IP address (any address, when @p own is the wildcard address).
bool same_endpoint(const DatagramEndpoint& sender, const DatagramEndpoint& own);

} // namespace socketserver::detail
