#include "socketserver/datagram_server.hpp"

#include <sys/socket.h>

#include <iostream>

#include <boost/system/system_error.hpp>

#include "endpoints.hpp"
#include "unix_socket_file.hpp"

namespace socketserver {

DatagramServer::DatagramServer(Address address, HandlerFactory factory)
    : BaseServer(std::move(address), std::move(factory)), socket_(loop_context()) {}

DatagramServer::~DatagramServer() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

int DatagramServer::fileno() const {
  return const_cast<DatagramServer*>(this)->socket_.native_handle();
}

void DatagramServer::server_bind() {
  auto endpoint = detail::datagram_endpoint(server_address(), loop_context());
  boost::system::error_code error;
  socket_.open(endpoint.protocol(), error);
  if (!error && !server_address().is_unix()) {
    if (allow_reuse_address) socket_.set_option(boost::asio::socket_base::reuse_address(true));
    if (allow_reuse_port) {
      using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
      socket_.set_option(reuse_port(true));
    }
  }
  if (!error) socket_.bind(endpoint, error);
  if (error) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    throw boost::system::system_error(error, "cannot bind " + server_address().to_string());
  }
  if (!server_address().is_unix()) set_server_address(detail::to_address(socket_.local_endpoint()));
}

void DatagramServer::server_activate() { socket_.non_blocking(true); }

std::optional<Request> DatagramServer::get_request() {
  receive_buffer_.resize(max_packet_size);
  Request request;
  boost::system::error_code error;
  // MSG_TRUNC makes the kernel report a datagram's real size even when it did not fit,
  // so an oversized datagram is refused instead of silently cut short.
  std::size_t size = socket_.receive_from(boost::asio::buffer(receive_buffer_),
                                          request.datagram_sender, MSG_TRUNC, error);
  if (error) return std::nullopt;  // nothing waiting after all, or a stray ICMP error
  request.client_address = detail::to_address(request.datagram_sender);
  if (size > receive_buffer_.size()) {
    std::cerr << "socketserver: dropped a datagram of " << size << " bytes from "
              << request.client_address << ": larger than max_packet_size (" << max_packet_size
              << ")\n";
    return std::nullopt;
  }
  request.packet.assign(receive_buffer_.data(), size);
  request.datagram_socket = &socket_;
  return request;
}

void DatagramServer::server_close() {
  BaseServer::server_close();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void DatagramServer::async_wait_for_request(std::function<void(const boost::system::error_code&)> done) {
  socket_.async_wait(boost::asio::socket_base::wait_read, std::move(done));
}

UDPServer::UDPServer(Address address, HandlerFactory factory, bool bind_and_activate)
    : DatagramServer(std::move(address), std::move(factory)) {
  if (server_address().is_unix())
    throw std::invalid_argument("UDPServer needs a host:port address, not " +
                                server_address().to_string() + " (use UnixDatagramServer)");
  if (bind_and_activate) this->bind_and_activate();
}

UnixDatagramServer::UnixDatagramServer(Address address, HandlerFactory factory, bool bind_and_activate)
    : DatagramServer(std::move(address), std::move(factory)) {
  if (!server_address().is_unix())
    throw std::invalid_argument("UnixDatagramServer needs a unix:PATH address, not " +
                                server_address().to_string());
  if (bind_and_activate) this->bind_and_activate();
}

UnixDatagramServer::~UnixDatagramServer() { UnixDatagramServer::server_close(); }

void UnixDatagramServer::server_bind() {
  try {
    DatagramServer::server_bind();
  } catch (const boost::system::system_error& e) {
    if (e.code() != boost::asio::error::address_in_use ||
        !detail::remove_stale_socket_file(server_address().path(), detail::SocketKind::datagram))
      throw;
    DatagramServer::server_bind();
  }
  created_socket_file_ = true;
}

void UnixDatagramServer::server_close() {
  DatagramServer::server_close();
  if (created_socket_file_) detail::remove_socket_file(server_address().path());
  created_socket_file_ = false;
}

} // namespace socketserver
