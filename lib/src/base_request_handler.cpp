#include "socketserver/base_request_handler.hpp"
#include "socketserver/base_server.hpp"
#include "socketserver/datagram_request_handler.hpp"
#include "socketserver/message_request_handler.hpp"
#include "socketserver/stream_request_handler.hpp"

#include <cstdint>
#include <stdexcept>

#include <boost/asio/ip/tcp.hpp>

#include "timed_io.hpp"

namespace socketserver {

void BaseRequestHandler::run(Request& request, BaseServer& server) {
  bind(request, server);
  setup();
  try {
    handle();
  } catch (...) {
    finish();
    after_finish();
    throw;
  }
  finish();
  after_finish();
}

// A finish() that forgot the base class's must not lose the reply.
void StreamRequestHandler::after_finish() noexcept { end_stream(); }

void StreamRequestHandler::end_stream() noexcept {
  if (!wfile.attached()) return;
  try {
    wfile.flush();
  } catch (...) {  // the peer is gone or stopped reading; nothing more can be delivered
    return;
  }
  if (TLSSession* session = tls()) session->close(connection(), timeout);
}

void StreamRequestHandler::setup() {
  if (!request().is_stream())
    throw std::logic_error("StreamRequestHandler needs a stream server (TCP or Unix stream)");
  if (!timeout) timeout = server().request_timeout;
  if (disable_nagle_algorithm && server().server_address().kind() == Address::Kind::inet)
    connection().set_option(boost::asio::ip::tcp::no_delay(true));
  rfile.set_buffer_size(rbufsize);
  rfile.timeout = timeout;
  wfile.timeout = timeout;
  if (TLSSession* session = tls()) {
    rfile.attach(connection(), *session);
    wfile.attach(connection(), *session, wbufsize);
  } else {
    rfile.attach(connection());
    wfile.attach(connection(), wbufsize);
  }
}

void StreamRequestHandler::finish() { end_stream(); }

void MessageRequestHandler::handle() {
  while (!close_connection) {
    serve_one_message();
    if (rfile.at_eof()) break;
  }
}

void MessageRequestHandler::serve_one_message() {
  std::uint64_t before = rfile.consumed();
  handle_message();
  if (close_connection || rfile.at_eof() || rfile.consumed() != before) {
    idle_calls_ = 0;
    return;
  }
  // One call may consume nothing (a greeting written before the first read); two in a
  // row would be called again and again, at full speed, for ever.
  if (++idle_calls_ >= 2)
    throw std::runtime_error("handle_message() consumed nothing twice in a row; ending the connection");
}

void DatagramRequestHandler::setup() {
  if (request().is_stream())
    throw std::logic_error("DatagramRequestHandler needs a datagram server (UDP or Unix datagram)");
  rfile.attach(request().packet);
}

void DatagramRequestHandler::finish() {
  if (!wfile.written()) return;
  detail::send_datagram(socket(), boost::asio::buffer(wfile.data()), request().datagram_sender,
                        detail::deadline_after(server().request_timeout));
}

} // namespace socketserver
