#include "socketserver/stream_server.hpp"

#include <boost/system/system_error.hpp>

#include "endpoints.hpp"
#include "bind_socket.hpp"

namespace socketserver {
namespace {

// Errors that mean "this accept is over, try the next one": the peer left, or another
// process took the connection first.
bool is_transient(const boost::system::error_code& error) {
  using namespace boost::asio::error;
  return error == would_block || error == try_again || error == connection_aborted ||
         error == interrupted || error == boost::system::errc::protocol_error;
}

} // namespace

StreamServer::StreamServer(Address address, HandlerFactory factory, const ServerParameters& parameters)
    : BaseServer(std::move(address), std::move(factory)),
      allow_reuse_address(parameters.allow_reuse_address.value_or(true)),
      allow_reuse_port(parameters.allow_reuse_port),
      request_queue_size(parameters.request_queue_size),
      acceptor_(loop_context()) {}

StreamServer::~StreamServer() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

int StreamServer::fileno() const {
  return const_cast<StreamServer*>(this)->acceptor_.native_handle();
}

void StreamServer::server_bind() {
  set_server_address(detail::bind_server_socket(acceptor_, detail::stream_endpoint(server_address(), loop_context()),
                                                server_address(), allow_reuse_address, allow_reuse_port,
                                                socket_file_, detail::SocketKind::stream));
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
  log_message(server_address().to_string() + ": accept failed: " + error.message() + " (retrying)");
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
  socket_file_.remove();  // before the drain, so that no client can find the server meanwhile
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

} // namespace socketserver
