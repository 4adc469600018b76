#include "socketserver/datagram_server.hpp"

#include <sys/socket.h>

#include <string>

#include <boost/system/system_error.hpp>

#include "endpoints.hpp"
#include "bind_socket.hpp"
#include "source_rate_limit.hpp"

namespace socketserver {

DatagramServer::DatagramServer(Address address, HandlerFactory factory, const ServerParameters& parameters)
    : BaseServer(std::move(address), std::move(factory)),
      allow_reuse_address(parameters.allow_reuse_address.value_or(false)),
      allow_reuse_port(parameters.allow_reuse_port),
      max_packet_size(parameters.max_packet_size),
      socket_(loop_context()),
      rate_limit_(std::make_unique<detail::SourceRateLimit>()) {}


int DatagramServer::fileno() const {
  return const_cast<DatagramServer*>(this)->socket_.native_handle();
}

void DatagramServer::server_bind() {
  set_server_address(detail::bind_server_socket(socket_, detail::datagram_endpoint(server_address(), loop_context()),
                                                server_address(), allow_reuse_address, allow_reuse_port,
                                                socket_file_, detail::SocketKind::datagram));
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
    log_message("dropped a datagram of " + std::to_string(size) + " bytes from " +
                request.client_address.to_string() + ": larger than max_packet_size (" +
                std::to_string(max_packet_size) + ")");
    return std::nullopt;
  }
  if (from_own_address(request.datagram_sender) || over_rate_limit(request)) return std::nullopt;
  request.packet.assign(receive_buffer_.data(), size);
  request.datagram_socket = &socket_;
  return request;
}

bool DatagramServer::from_own_address(const DatagramEndpoint& sender) {
  boost::system::error_code error;
  DatagramEndpoint own = socket_.local_endpoint(error);
  if (error || !detail::same_endpoint(sender, own)) return false;
  if (!self_datagram_reported_)
    log_message("dropped a datagram that claims to come from this server's own address " +
                detail::to_address(sender).to_string() + " (forged; further ones are dropped silently)");
  self_datagram_reported_ = true;
  return true;
}

bool DatagramServer::over_rate_limit(const Request& request) {
  if (reply_rate_limit <= 0) return false;
  const Address& client = request.client_address;
  std::string source = client.is_unix() ? client.to_string() : client.host();
  auto verdict = rate_limit_->allow(source, reply_rate_limit);
  if (verdict == detail::SourceRateLimit::Verdict::dropped_first)
    log_message("dropping datagrams from " + source + ": more than " + std::to_string(reply_rate_limit) +
                " a second (reply_rate_limit)");
  return verdict != detail::SourceRateLimit::Verdict::allowed;
}

DatagramServer::~DatagramServer() = default;

void DatagramServer::server_close() {
  socket_file_.remove();
  BaseServer::server_close();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void DatagramServer::async_wait_for_request(std::function<void(const boost::system::error_code&)> done) {
  socket_.async_wait(boost::asio::socket_base::wait_read, std::move(done));
}

} // namespace socketserver
