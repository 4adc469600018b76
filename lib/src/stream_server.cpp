#include "socketserver/stream_server.hpp"

#include <iostream>

#include <boost/system/system_error.hpp>

#include "endpoints.hpp"
#include "unix_socket_file.hpp"

namespace socketserver {
namespace {

[[noreturn]] void throw_bind_error(const boost::system::error_code& error, const Address& address) {
  throw boost::system::system_error(error, "cannot bind " + address.to_string());
}

// Errors that mean "this accept is over, try the next one": the peer left, or another
// process took the connection first.
bool is_transient(const boost::system::error_code& error) {
  using namespace boost::asio::error;
  return error == would_block || error == try_again || error == connection_aborted ||
         error == interrupted || error == boost::system::errc::protocol_error;
}

} // namespace

StreamServer::StreamServer(Address address, HandlerFactory factory)
    : BaseServer(std::move(address), std::move(factory)), acceptor_(loop_context()) {}

StreamServer::~StreamServer() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

int StreamServer::fileno() const {
  return const_cast<StreamServer*>(this)->acceptor_.native_handle();
}

void StreamServer::server_bind() {
  auto endpoint = detail::stream_endpoint(server_address(), loop_context());
  boost::system::error_code error;
  acceptor_.open(endpoint.protocol(), error);
  if (error) throw_bind_error(error, server_address());
  if (!server_address().is_unix()) {
    if (allow_reuse_address) acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
    if (allow_reuse_port) {
      using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
      acceptor_.set_option(reuse_port(true));
    }
  }
  acceptor_.bind(endpoint, error);
  if (error) {
    acceptor_.close();
    throw_bind_error(error, server_address());
  }
  Address bound = detail::to_address(acceptor_.local_endpoint());
  if (!server_address().is_unix()) set_server_address(bound);
}

void StreamServer::server_activate() {
  acceptor_.listen(request_queue_size);
  acceptor_.non_blocking(true);
}

std::optional<Request> StreamServer::get_request() {
  StreamSocket peer(request_context());
  detail::StreamEndpoint peer_endpoint;
  boost::system::error_code error;
  acceptor_.accept(peer, peer_endpoint, error);
  if (error) {
    report_accept_error(error);
    return std::nullopt;
  }
  accept_error_reported_ = false;
  Request request;
  request.client_address = detail::to_address(peer_endpoint);
  request.connection.emplace(std::move(peer));
  return request;
}

void StreamServer::report_accept_error(const boost::system::error_code& error) {
  if (is_transient(error)) return;
  // Out of descriptors or memory: the connection stays in the backlog, so accepting again
  // at once would spin. Back off and let handlers finish and free descriptors.
  pause_accepting(Seconds(0.1));
  if (accept_error_reported_) return;
  accept_error_reported_ = true;
  std::cerr << "socketserver: " << server_address() << ": accept failed: " << error.message()
            << " (retrying)\n";
}

void StreamServer::shutdown_request(Request& request) {
  if (request.connection && request.connection->is_open()) {
    boost::system::error_code ignored;
    request.connection->shutdown(boost::asio::socket_base::shutdown_send, ignored);
  }
  close_request(request);
}

void StreamServer::close_request(Request& request) {
  if (!request.connection) return;
  boost::system::error_code ignored;
  request.connection->close(ignored);
}

void StreamServer::server_close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);     // stop accepting first,
  BaseServer::server_close();  // then drain
}

void StreamServer::async_wait_for_request(std::function<void(const boost::system::error_code&)> done) {
  acceptor_.async_wait(boost::asio::socket_base::wait_read, std::move(done));
}

void StreamServer::after_fork_in_child() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

TCPServer::TCPServer(Address address, HandlerFactory factory, bool bind_and_activate)
    : StreamServer(std::move(address), std::move(factory)) {
  if (server_address().is_unix())
    throw std::invalid_argument("TCPServer needs a host:port address, not " +
                                server_address().to_string() + " (use UnixStreamServer)");
  if (bind_and_activate) this->bind_and_activate();
}

UnixStreamServer::UnixStreamServer(Address address, HandlerFactory factory, bool bind_and_activate)
    : StreamServer(std::move(address), std::move(factory)) {
  if (!server_address().is_unix())
    throw std::invalid_argument("UnixStreamServer needs a unix:PATH address, not " +
                                server_address().to_string());
  if (bind_and_activate) this->bind_and_activate();
}

UnixStreamServer::~UnixStreamServer() { UnixStreamServer::server_close(); }

void UnixStreamServer::server_bind() {
  try {
    StreamServer::server_bind();
  } catch (const boost::system::system_error& e) {
    if (e.code() != boost::asio::error::address_in_use ||
        !detail::remove_stale_socket_file(server_address().path(), detail::SocketKind::stream))
      throw;
    StreamServer::server_bind();
  }
  created_socket_file_ = true;
}

void UnixStreamServer::server_close() {
  // Before the drain, so that no client can find the server meanwhile.
  if (created_socket_file_) detail::remove_socket_file(server_address().path());
  created_socket_file_ = false;
  StreamServer::server_close();
}

} // namespace socketserver
