// detail::MultiplexedConnections: the connections a sync server serves message by message
// on its request loop, between accepting others (see MessageRequestHandler).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include "socketserver/request.hpp"

namespace socketserver {
class BaseServer;
class MessageRequestHandler;
} // namespace socketserver

namespace socketserver::detail {

class ActiveConnections;

/// Connections waiting on the request loop for their next message. Each is served by its
/// MessageRequestHandler whenever it has bytes to read, in the loop's thread; it ends when
/// the handler says so, at end of stream, on an error (reported to the server's
/// handle_error()), or once it has been silent for the handler's `timeout`.
///
/// Not thread-safe: only the thread that runs the loop may use it.
class MultiplexedConnections {
public:
  using Clock = std::chrono::steady_clock;

  /// Connections wait on @p loop; @p server's hooks end them and hear of their errors.
  /// While served, connections are registered in @p active (for the drain's cut).
  MultiplexedConnections(boost::asio::io_context& loop, BaseServer& server, ActiveConnections& active);
  /// Closes the connections left, without calling any hook: the server is going away.
  ~MultiplexedConnections();
  MultiplexedConnections(const MultiplexedConnections&) = delete;
  MultiplexedConnections& operator=(const MultiplexedConnections&) = delete;

  /// Takes @p request (an accepted connection) and its @p handler, runs the handler's
  /// setup(), and from then on calls handle_message() whenever bytes arrive.
  void adopt(Request request, std::unique_ptr<MessageRequestHandler> handler);

  /// Connections being served.
  std::size_t size() const noexcept { return connections_.size(); }

  /// Runs the loop until every connection has ended or @p deadline (none: no limit) has
  /// passed, then ends the connections left.
  void drain(std::optional<Clock::time_point> deadline);

private:
  using Id = std::uint64_t;
  struct Connection;

  void wait_for_bytes(Id id, Connection& connection);
  void received(Id id, const boost::system::error_code& error, std::size_t count);
  void serve(Id id);
  void arm_idle_timer(Id id, Connection& connection);
  void on_idle_timer(Id id);
  void end(Id id, bool call_finish = true);

  boost::asio::io_context& loop_;
  BaseServer& server_;
  ActiveConnections& active_;
  std::unordered_map<Id, std::unique_ptr<Connection>> connections_;
  Id next_id_ = 0;
};

} // namespace socketserver::detail
