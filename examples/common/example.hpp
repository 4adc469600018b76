// What every example program shares besides its command line (ServerCommandLine and
// ClientCommandLine, in the library): running a server the same way, and the client side
// (connection with rfile/wfile, datagrams). Kept out of the examples' own
// sources so that each of them reads as a short lesson.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <socketserver/command_line.hpp>
#include <socketserver/socketserver.hpp>

namespace example {

/// The run sequence that echo_server.cpp spells out: builds the server @p config
/// describes, prints `listening on ADDRESS` (flushed), serves until SIGINT or SIGTERM,
/// closes. Returns the exit status: 0, or 1 after printing one line
/// (`PROGRAM: what went wrong`) on stderr.
int serve(const std::string& program, const socketserver::ServerConfig& config,
          socketserver::HandlerFactory factory);

/// Reports @p message as `PROGRAM: message` on stderr and exits with status 2.
[[noreturn]] void usage_error(const std::string& program, const std::string& message);

/// A connection to a server, read and written like a handler's rfile and wfile.
class Connection {
public:
  /// Connects to `options.address` (TCP or unix:), with TLS when `options.tls` is set
  /// (the server's certificate verified for the host name or address connected to); each
  /// read and write then waits at most @p timeout.
  explicit Connection(const socketserver::ClientOptions& options, socketserver::Seconds timeout = socketserver::Seconds(30));
  /// Under TLS: sends close_notify if it was not sent yet, and reads what the server
  /// still sends (at most a second) so that the connection ends without a reset.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  /// Incoming bytes: read(), readline(), read_exactly()...
  socketserver::SocketReader rfile;
  /// Outgoing bytes: write() sends everything.
  socketserver::SocketWriter wfile;
  /// Tells the server nothing more is coming: TLS's close_notify, then shutdown(SHUT_WR).
  void shutdown_send();

private:
  void connect(const socketserver::Address& address);
  void start_tls(const socketserver::ClientOptions& options);

  boost::asio::io_context context_;
  socketserver::StreamSocket socket_;
  socketserver::Seconds timeout_;
  std::unique_ptr<socketserver::TLSSession> tls_;
};

/// Datagrams to one server (UDP, or Unix datagram: then bound to a temporary path of its
/// own, removed at the end, so that replies can reach it).
class DatagramClient {
public:
  /// Talks to @p address; @p timeout bounds receive().
  explicit DatagramClient(const socketserver::Address& address, socketserver::Seconds timeout = socketserver::Seconds(30));
  ~DatagramClient();
  DatagramClient(const DatagramClient&) = delete;
  DatagramClient& operator=(const DatagramClient&) = delete;
  /// Sends @p data as one datagram.
  void send(std::string_view data);
  /// The next datagram received (throws after the timeout).
  std::string receive();

private:
  boost::asio::io_context context_;
  socketserver::DatagramSocket socket_;
  socketserver::DatagramEndpoint server_;
  socketserver::Seconds timeout_;
  std::string own_path_;
};

/// Runs a client's @p body: returns its status, or 1 after printing `PROGRAM: error` on
/// stderr when it throws.
int run_client(const std::string& program, const std::function<int()>& body);

/// Writes @p data to stdout as it is and flushes.
void print_raw(std::string_view data);

} // namespace example
