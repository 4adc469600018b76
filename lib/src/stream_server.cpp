#include "socketserver/stream_server.hpp"

#include <sstream>
#include <stdexcept>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>

#include "socketserver/tls_context.hpp"
#include "socketserver/tls_session.hpp"

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

// Why a handshake failed, for the log: OpenSSL's reason, a reset, or the deadline.
std::string handshake_failure(const std::exception& error, const Timeout& timeout) {
  auto* system = dynamic_cast<const boost::system::system_error*>(&error);
  if (!system || system->code() != boost::asio::error::timed_out || !timeout) return error.what();
  std::ostringstream text;
  text << "TLS handshake not finished within " << timeout->count() << " s";
  return text.str();
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
  // The context is taken now: one swapped in later is for the connections after this one.
  if (auto context = tls_context()) request.tls = std::make_shared<TLSSession>(std::move(context), peer);
  request.connection.emplace(std::move(peer));
  return request;
}

void StreamServer::set_tls_context(std::shared_ptr<TLSContext> context) {
  if (context && context->role() != TLSContext::Role::server)
    throw std::invalid_argument("set_tls_context() needs a server context (TLSContext::server())");
  std::lock_guard lock(tls_mutex_);
  tls_ = std::move(context);
}

std::shared_ptr<TLSContext> StreamServer::tls_context() const {
  std::lock_guard lock(tls_mutex_);
  return tls_;
}

bool StreamServer::needs_opening(const Request& request) const noexcept {
  return request.tls && !request.tls->established();
}

bool StreamServer::open_request(Request& request) {
  // TLS 1.3 sends its session tickets after the handshake, and Nagle's algorithm would
  // then hold a short first reply until the client acknowledges them, which it delays
  // by 40 ms: a request and its reply would take that long. TLS already sends whole
  // records, so there is nothing for Nagle to coalesce.
  if (server_address().kind() == Address::Kind::inet) {
    boost::system::error_code ignored;
    request.connection->set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  }
  try {
    request.tls->handshake(*request.connection, request_timeout);
    return true;
  } catch (const std::exception& e) {
    log_message("dropped " + request.client_address.to_string() + ": " + handshake_failure(e, request_timeout));
    return false;
  }
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
