#include "multiplexed_connections.hpp"

#include <exception>
#include <span>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>

#include "active_connections.hpp"
#include "move_socket.hpp"
#include "socketserver/detail/deadline.hpp"
#include "socketserver/base_server.hpp"
#include "socketserver/message_request_handler.hpp"

namespace socketserver::detail {

struct MultiplexedConnections::Connection {
  Request request;
  std::unique_ptr<MessageRequestHandler> handler;
  boost::asio::steady_timer idle_timer;
  Clock::time_point last_active = Clock::now();
  std::optional<ActiveConnections::Id> active;  // so that a drain's cut reaches it too
};

MultiplexedConnections::MultiplexedConnections(boost::asio::io_context& loop, BaseServer& server,
                                               ActiveConnections& active)
    : loop_(loop), server_(server), active_(active) {}

MultiplexedConnections::~MultiplexedConnections() {
  for (auto& [id, connection] : connections_) {
    boost::system::error_code ignored;
    connection->request.connection->close(ignored);
  }
}

void MultiplexedConnections::adopt(Request request, std::unique_ptr<MessageRequestHandler> handler) {
  // Onto the loop's context, whose readiness events the loop waits for.
  if (!move_to_context(request.connection, loop_)) return server_.shutdown_request(request);  // gone

  Id id = next_id_++;
  auto owned = std::make_unique<Connection>(
      Connection{std::move(request), std::move(handler), boost::asio::steady_timer(loop_), Clock::now(), std::nullopt});
  Connection& connection = *connections_.emplace(id, std::move(owned)).first->second;
  try {
    connection.active = active_.add(connection.request.connection->native_handle());
    connection.handler->bind(connection.request, server_);
    connection.handler->setup();
  } catch (...) {
    server_.handle_error(connection.request, std::current_exception());
    return end(id, false);  // as in BaseRequestHandler::run(): no finish() without setup()
  }
  arm_idle_timer(id, connection);
  wait_for_bytes(id, connection);
}

// The loop reads the next bytes into the handler's rfile itself. Asio tries the receive at
// once and waits for readiness only when nothing is there: the next message of a busy
// connection has usually arrived by the time its previous one is answered, and then it
// costs one recv() and nothing else (a readiness wait would re-arm the descriptor in
// epoll, and the handler would still have to read).
void MultiplexedConnections::wait_for_bytes(Id id, Connection& connection) {
  std::span<char> room = connection.handler->rfile.prepare();
  if (room.empty()) return boost::asio::post(loop_, [this, id] { serve(id); });  // nothing to read into
  connection.request.connection->async_read_some(
      boost::asio::buffer(room.data(), room.size()),
      [this, id](const boost::system::error_code& error, std::size_t count) {
        if (error != boost::asio::error::operation_aborted) received(id, error, count);
      });
}

void MultiplexedConnections::received(Id id, const boost::system::error_code& error, std::size_t count) {
  auto found = connections_.find(id);
  if (found == connections_.end()) return;
  Connection& connection = *found->second;
  if (error && error != boost::asio::error::eof) {  // reset, and the like: as if rfile had thrown
    server_.handle_error(connection.request,
                         std::make_exception_ptr(boost::system::system_error(error, "read")));
    return end(id);
  }
  connection.handler->rfile.commit(error ? 0 : count);  // 0: end of stream, for the handler to see
  serve(id);
}

void MultiplexedConnections::serve(Id id) {
  auto found = connections_.find(id);
  if (found == connections_.end()) return;
  Connection& connection = *found->second;
  MessageRequestHandler& handler = *connection.handler;
  connection.last_active = Clock::now();
  try {
    handler.serve_one_message();
  } catch (...) {
    server_.handle_error(connection.request, std::current_exception());
    return end(id);
  }
  if (handler.close_connection || handler.rfile.at_eof()) return end(id);
  // Bytes already buffered will not make the socket readable again: serve them next, after
  // what else the loop has queued.
  if (handler.rfile.buffered() > 0) return boost::asio::post(loop_, [this, id] { serve(id); });
  wait_for_bytes(id, connection);
}

// One timer per connection, moved only when it fires: re-arming it after every message
// would cost a timer update (and often a system call) per message.
void MultiplexedConnections::arm_idle_timer(Id id, Connection& connection) {
  if (!connection.handler->timeout) return;
  auto limit = clock_duration(*connection.handler->timeout);
  connection.idle_timer.expires_at(connection.last_active + limit);
  connection.idle_timer.async_wait([this, id](const boost::system::error_code& error) {
    if (!error) on_idle_timer(id);
  });
}

void MultiplexedConnections::on_idle_timer(Id id) {
  auto found = connections_.find(id);
  if (found == connections_.end()) return;
  Connection& connection = *found->second;
  auto limit = clock_duration(*connection.handler->timeout);
  if (Clock::now() >= connection.last_active + limit) {  // silent too long: said like every mode says it
    server_.handle_error(connection.request,
                         std::make_exception_ptr(boost::system::system_error(
                             boost::asio::error::timed_out, "no request within the timeout")));
    return end(id);
  }
  arm_idle_timer(id, connection);
}

void MultiplexedConnections::end(Id id, bool call_finish) {
  auto found = connections_.find(id);
  if (found == connections_.end()) return;
  std::unique_ptr<Connection> connection = std::move(found->second);
  connections_.erase(found);
  connection->idle_timer.cancel();
  if (connection->active) active_.remove(*connection->active);
  if (call_finish) {
    try {
      connection->handler->finish();
    } catch (...) {
      server_.handle_error(connection->request, std::current_exception());
    }
  }
  connection->handler.reset();
  try {
    server_.shutdown_request(connection->request);
  } catch (...) {  // an override that throws: the connection is closed by its destructor anyway
  }
}

void MultiplexedConnections::drain(std::optional<Clock::time_point> deadline) {
  while (!connections_.empty() && (!deadline || Clock::now() < *deadline)) {
    loop_.restart();
    std::size_t ran = deadline ? loop_.run_one_until(*deadline) : loop_.run_one();
    if (ran == 0 && !deadline) break;  // nothing left that could end them
  }
  while (!connections_.empty()) end(connections_.begin()->first);
}

} // namespace socketserver::detail
