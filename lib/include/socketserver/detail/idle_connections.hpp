/// @file
/// @brief detail::IdleConnections: accepted connections waiting for their first bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "socketserver/request.hpp"
#include "socketserver/seconds.hpp"

namespace socketserver {
class BaseServer;
} // namespace socketserver

namespace socketserver::detail {

/// Accepted connections that have not sent anything yet. They wait here, on the request
/// loop, until they become readable (then they go to a worker) or until their timeout
/// (then they are closed): silent clients never occupy a worker.
class IdleConnections {
public:
  /// Connections wait on @p loop; ready ones are moved to @p connections. @p server
  /// hears of the connections dropped (handle_error(), with a timed_out error).
  IdleConnections(boost::asio::io_context& loop, boost::asio::io_context& connections, BaseServer& server)
      : loop_(loop), connections_(connections), server_(server) {}

  /// Holds @p request (a connection on the loop context) until it is readable, then calls
  /// @p ready with it; after @p timeout it is closed instead. When @p ready (or moving
  /// the connection for it) fails, only this connection is lost: the error goes to the
  /// server's handle_error().
  void park(Request request, std::optional<Seconds> timeout, std::function<void(Request)> ready);
  /// Connections waiting.
  std::size_t size() const noexcept { return parked_.size(); }
  /// Closes the connection that has waited longest (to make room for a new one), with a
  /// log line, if it has waited at least #min_idle_to_drop. False when none qualifies.
  bool drop_oldest();

  /// How long a connection must have been silent before drop_oldest() may take it: a
  /// client that has just connected has had no time to speak yet.
  static constexpr std::chrono::milliseconds min_idle_to_drop{1000};
  /// Closes every waiting connection.
  void close_all();

private:
  struct Parked {
    Request request;
    boost::asio::steady_timer timer;
    std::function<void(Request)> ready;
    std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
  };
  void on_readable(std::uint64_t id);
  void drop(std::uint64_t id, std::exception_ptr why);

  boost::asio::io_context& loop_;
  boost::asio::io_context& connections_;
  BaseServer& server_;
  std::map<std::uint64_t, std::unique_ptr<Parked>> parked_;
  std::uint64_t next_id_ = 0;
};

} // namespace socketserver::detail
