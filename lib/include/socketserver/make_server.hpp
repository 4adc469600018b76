/// @file
/// @brief make_server(): a ready server for a concurrency mode chosen at run time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <stdexcept>
#include <type_traits>

#include <boost/asio/socket_base.hpp>

#include "socketserver/async_mixin.hpp"
#include "socketserver/base_server.hpp"
#include "socketserver/datagram_server.hpp"
#include "socketserver/forking_mixin.hpp"
#include "socketserver/server_parameters.hpp"
#include "socketserver/stream_server.hpp"
#include "socketserver/thread_pool_mixin.hpp"
#include "socketserver/threading_mixin.hpp"

namespace socketserver {

/// How a server serves its requests.
enum class Mode {
  sync,       ///< one request at a time, in the serving thread
  threading,  ///< a thread per request (ThreadingMixIn)
  forking,    ///< a child process per request (ForkingMixIn)
  pool,       ///< a bounded pool of worker threads (ThreadPoolMixIn)
  async       ///< a fiber per request on event-loop threads (AsyncMixIn)
};

/// Parses `sync`, `threading`, `forking`, `pool` or `async`; throws std::invalid_argument otherwise.
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
  /// Event-loop threads in async mode; 0 picks the default (the number of cores).
  std::size_t threads = 0;
  /// Bytes of stack of each fiber in async mode; 0 picks the default (64 KiB).
  std::size_t stack_size = 0;
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
  /// Log one line as each request starts and ends (the examples' `--verbose`).
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
  /// Serve TLS with this context (TLSContext::server()); null serves plain. Stream servers
  /// only: a datagram server refuses it. See StreamServer::set_tls_context().
  std::shared_ptr<TLSContext> tls;
};

namespace detail {

/// @p factory, or when `config.log_requests` is set a factory whose handlers log each
/// request's start and end.
HandlerFactory with_request_log(const ServerConfig& config, HandlerFactory factory);

/// The parameters in @p config that a server needs before it binds.
ServerParameters bind_parameters(const ServerConfig& config);

/// Throws std::invalid_argument unless @p config asks for the kind of server @p Server is.
template <class Server>
void require_server_kind(const ServerConfig& config) {
  constexpr bool datagram = std::is_base_of_v<DatagramServer, Server>;
  if (datagram && config.tls) throw std::invalid_argument("TLS needs a stream server (TCP or Unix stream)");
  constexpr bool unix_socket = std::is_base_of_v<UnixStreamServer, Server> || std::is_base_of_v<UnixDatagramServer, Server>;
  if (config.datagram != datagram)
    throw std::invalid_argument(datagram ? "a datagram server class needs ServerConfig::datagram"
                                         : "a stream server class cannot serve datagrams");
  if (config.address.is_unix() != unix_socket)
    throw std::invalid_argument("this server class cannot listen on " + config.address.to_string());
}

/// Constructs @p Server for @p config without binding, applies the rest of @p config,
/// then binds and listens.
template <class Server>
std::unique_ptr<BaseServer> build_server(const ServerConfig& config, HandlerFactory factory) {
  ServerParameters parameters = bind_parameters(config);
  parameters.bind_and_activate = false;
  auto server = std::make_unique<Server>(config.address, std::move(factory), parameters);
  server->request_timeout = config.request_timeout;
  server->drain_timeout = config.drain_timeout;
  server->allowed_networks = config.allowed_networks;
  server->max_connections = config.max_connections;
  if constexpr (std::is_base_of_v<StreamServer, Server>) server->set_tls_context(config.tls);
  if constexpr (requires { server->reply_rate_limit; }) server->reply_rate_limit = config.reply_rate_limit;
  if constexpr (requires { server->queue_size; }) {
    if (config.workers > 0) server->workers = config.workers;
    server->queue_size = config.queue_size;
    server->wait_for_data = config.wait_for_data;
  }
  if constexpr (requires { server->stack_size; }) {
    if (config.threads > 0) server->threads = config.threads;
    if (config.stack_size > 0) server->stack_size = config.stack_size;
  }
  if constexpr (requires { server->max_children; }) {
    server->max_children = config.max_children;
    server->wait_for_data = config.wait_for_data;
  }
  server->bind_and_activate();
  return server;
}

} // namespace detail

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

/// Like make_server(), for your own server class @p Server (derived from one of the four
/// concrete servers, overriding verify_request(), handle_error() or any other hook): the
/// mix-in of `config.mode` is layered over it — `ThreadingMixIn<Server>`,
/// `ForkingMixIn<Server>`, `ThreadPoolMixIn<Server>`, `AsyncMixIn<Server>` — so your hooks and the run-time mode
/// go together.
///
/// @p Server must be constructible from `(Address, HandlerFactory, ServerParameters)`
/// (inherit the base's constructors with `using TCPServer::TCPServer;`). Throws
/// std::invalid_argument when `config` asks for another kind of server than @p Server
/// is (a `unix:` address for a TCP server, `datagram` for a stream server).
///
/// ```cpp
/// struct Guarded : TCPServer {
///   using TCPServer::TCPServer;
///   bool verify_request(const Request& request) override { return ...; }
/// };
/// auto server = make_server<Guarded>(config, handler<Echo>());
/// ```
template <class Server>
std::unique_ptr<BaseServer> make_server(const ServerConfig& config, HandlerFactory factory) {
  detail::require_server_kind<Server>(config);
  factory = detail::with_request_log(config, std::move(factory));
  switch (config.mode) {
  case Mode::sync: return detail::build_server<Server>(config, std::move(factory));
  case Mode::threading: return detail::build_server<ThreadingMixIn<Server>>(config, std::move(factory));
  case Mode::forking: return detail::build_server<ForkingMixIn<Server>>(config, std::move(factory));
  case Mode::pool: return detail::build_server<ThreadPoolMixIn<Server>>(config, std::move(factory));
  case Mode::async: return detail::build_server<AsyncMixIn<Server>>(config, std::move(factory));
  }
  throw std::invalid_argument("unknown mode");
}

} // namespace socketserver
