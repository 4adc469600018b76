/// @file
/// @brief make_server(): a ready server for a concurrency mode chosen at run time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/socket_base.hpp>

#include "socketserver/base_server.hpp"

namespace socketserver {

/// How a server serves its requests.
enum class Mode {
  sync,       ///< one request at a time, in the serving thread
  threading,  ///< a thread per request (ThreadingMixIn)
  forking,    ///< a child process per request (ForkingMixIn)
  pool        ///< a bounded pool of worker threads (ThreadPoolMixIn)
};

/// Parses `sync`, `threading`, `forking` or `pool`; throws std::invalid_argument otherwise.
Mode parse_mode(std::string_view text);
/// The name parse_mode() accepts.
std::string_view to_string(Mode mode);

/// Everything make_server() needs besides the handler.
struct ServerConfig {
  /// Where to listen: host and port, or `unix:PATH`.
  Address address = Address::inet("127.0.0.1", 0);
  /// Concurrency model.
  Mode mode = Mode::sync;
  /// Datagrams (UDP, or Unix datagram for a `unix:` address) instead of connections.
  bool datagram = false;
  /// Worker threads in pool mode; 0 picks the default (cores, at least 4).
  std::size_t workers = 0;
  /// Requests that may wait for a pool worker.
  std::size_t queue_size = 256;
  /// Child processes alive at once in forking mode.
  std::size_t max_children = 40;
  /// Per-connection time limit for each read and write; none for no limit.
  std::optional<Seconds> request_timeout;
  /// The listen() backlog of stream servers.
  int backlog = boost::asio::socket_base::max_listen_connections;
  /// Set SO_REUSEPORT (several servers on one port).
  bool reuse_port = false;
  /// Pool mode: hand a connection to a worker only once it has data to read. Set false for
  /// protocols where the server speaks first (daytime, time, a greeting).
  bool wait_for_data = true;
  /// The server's `drain_timeout`: how long server_close() lets in-flight requests
  /// finish before ending them; none waits for ever.
  std::optional<Seconds> drain_timeout = BaseServer::default_drain_timeout;
  /// Print one line on stderr as each request starts and ends (the examples' `--verbose`).
  bool log_requests = false;
  /// The server's `allowed_networks`: clients outside them are refused; empty allows all.
  NetworkAllowList allowed_networks;
  /// The server's `max_connections`: stream connections open at once (served, queued or
  /// waiting for their first bytes); at the limit the server stops accepting and the
  /// kernel backlog holds the burst. 0 means no limit.
  std::size_t max_connections = 0;
  /// The server's `reply_rate_limit`: datagram replies per second to one source address
  /// (a burst of as many is allowed); further datagrams from it are dropped. 0 means no
  /// limit.
  double reply_rate_limit = 0;
};

/// A server for @p config, bound and listening, serving requests with handlers from
/// @p factory: TCPServer, UDPServer, UnixStreamServer or UnixDatagramServer according to
/// the address and `datagram`, with the mix-in of `mode`. Throws like their constructors.
///
/// The concurrency model is a run-time choice behind the BaseServer interface, so an
/// application can offer a `--mode` flag with one line:
/// ```cpp
/// auto server = make_server(config, handler<Echo>());
/// server->serve_forever();
/// ```
std::unique_ptr<BaseServer> make_server(const ServerConfig& config, HandlerFactory factory);

} // namespace socketserver
