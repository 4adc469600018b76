#include "example.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>

namespace asio = boost::asio;
using socketserver::Address;

namespace example {

int serve(const std::string& program, const socketserver::ServerConfig& config,
          socketserver::HandlerFactory factory) {
  try {
    auto server = socketserver::make_server(config, std::move(factory));
    socketserver::StopOnSignals stop{*server};
    std::cout << "listening on " << server->server_address() << (config.tls ? " tls" : "") << std::endl;
    server->serve_forever();
    server->server_close();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << std::endl;
    return 1;
  }
}

void usage_error(const std::string& program, const std::string& message) {
  std::cerr << program << ": error: " << message << std::endl;
  std::exit(2);
}

namespace {

// The endpoints of @p address for a protocol (several when a host name resolves to several).
template <class Protocol, class Generic>
std::vector<Generic> endpoints(const Address& address, asio::io_context& context) {
  if (address.is_unix()) {
    using Local = std::conditional_t<std::is_same_v<Protocol, asio::ip::tcp>, asio::local::stream_protocol,
                                     asio::local::datagram_protocol>;
    return {Generic(typename Local::endpoint(address.path()))};
  }
  typename Protocol::resolver resolver(context);
  std::string host = address.host().empty() ? "127.0.0.1" : address.host();
  std::vector<Generic> result;
  for (const auto& entry : resolver.resolve(host, std::to_string(address.port())))
    result.emplace_back(entry.endpoint());
  return result;
}

} // namespace

Connection::Connection(const socketserver::ClientOptions& options, socketserver::Seconds timeout)
    : socket_(context_), timeout_(timeout) {
  connect(options.address);
  socket_.non_blocking(true);
  if (options.tls) start_tls(options);
  rfile.timeout = timeout;
  rfile.max_line_length = 64 * 1024;
  wfile.timeout = timeout;
  if (tls_) {
    rfile.attach(socket_, *tls_);
    wfile.attach(socket_, *tls_, 0);
  } else {
    rfile.attach(socket_);
    wfile.attach(socket_, 0);
  }
}

// Under TLS the server may have sent what this client never read (TLS 1.3 session
// tickets, from servers that send them at once): closing with bytes unread makes the
// kernel reset the connection, which can throw away the end of what we sent. So the end
// is close_notify, then the server's own end, read for at most a second.
Connection::~Connection() {
  if (!tls_) return;
  try {
    shutdown_send();
    rfile.timeout = socketserver::Seconds(1);
    while (!rfile.read(64 * 1024).empty()) {
    }
  } catch (const std::exception&) {  // the server is gone, or slow to end: close anyway
  }
}

void Connection::connect(const Address& address) {
  boost::system::error_code error = asio::error::host_not_found;
  try {
    for (const auto& endpoint : endpoints<asio::ip::tcp, socketserver::StreamSocket::endpoint_type>(address, context_)) {
      socket_.close(error);
      socket_.open(endpoint.protocol());
      socket_.connect(endpoint, error);
      if (!error) break;
    }
  } catch (const boost::system::system_error& e) {
    error = e.code();
  }
  if (error) throw std::runtime_error("cannot connect to " + address.to_string() + ": " + error.message());
}

// The server's certificate must name the host connected to (a Unix socket has no name to
// check: only the certificate's issuer is verified). TCP_NODELAY, as servers do under TLS:
// each record is a send() of its own, and Nagle's algorithm would hold a message's last
// record for the server's delayed ACK.
void Connection::start_tls(const socketserver::ClientOptions& options) {
  const Address& address = options.address;
  if (!address.is_unix()) socket_.set_option(asio::ip::tcp::no_delay(true));
  std::string name = address.is_unix() ? "" : address.host().empty() ? "127.0.0.1" : address.host();
  try {
    tls_ = std::make_unique<socketserver::TLSSession>(options.tls, socket_, name);
    tls_->handshake(socket_, timeout_);
  } catch (const std::exception& e) {
    tls_.reset();
    throw std::runtime_error("cannot start TLS with " + address.to_string() + ": " + e.what() +
                             " (does the server serve TLS, with a certificate for that name?)");
  }
}

void Connection::shutdown_send() {
  if (tls_) tls_->close(socket_, timeout_);
  boost::system::error_code ignored;  // a second call (the destructor's) finds it done
  socket_.shutdown(asio::socket_base::shutdown_send, ignored);
}

DatagramClient::DatagramClient(const Address& address, socketserver::Seconds timeout)
    : socket_(context_), timeout_(timeout) {
  try {
    server_ = endpoints<asio::ip::udp, socketserver::DatagramEndpoint>(address, context_).at(0);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot resolve " + address.to_string() + ": " + e.code().message());
  }
  socket_.open(server_.protocol());
  if (address.is_unix()) {  // replies need an address to come back to
    static std::atomic<int> counter{0};
    own_path_ = (std::filesystem::temp_directory_path() /
                 ("socketserver-client-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".sock"))
                    .string();
    ::unlink(own_path_.c_str());
    socket_.bind(asio::local::datagram_protocol::endpoint(own_path_));
  }
}

DatagramClient::~DatagramClient() {
  if (!own_path_.empty()) ::unlink(own_path_.c_str());
}

void DatagramClient::send(std::string_view data) {
  boost::system::error_code error;
  socket_.send_to(asio::buffer(data.data(), data.size()), server_, 0, error);
  if (error) throw std::runtime_error("cannot send a datagram: " + error.message());
}

std::string DatagramClient::receive() {
  std::string reply(70000, '\0');
  std::optional<std::size_t> received;
  boost::system::error_code error;
  socket_.async_receive(asio::buffer(reply), [&](const boost::system::error_code& e, std::size_t size) {
    error = e;
    received = size;
  });
  context_.restart();
  context_.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout_));
  if (!received) {
    socket_.cancel();
    context_.run();
    throw std::runtime_error("no reply within " + std::to_string(timeout_.count()) + " seconds");
  }
  if (error) throw std::runtime_error("cannot receive a datagram: " + error.message());
  reply.resize(*received);
  return reply;
}

int run_client(const std::string& program, const std::function<int()>& body) {
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return body();
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << std::endl;
    return 1;
  }
}

void print_raw(std::string_view data) {
  std::fwrite(data.data(), 1, data.size(), stdout);
  std::fflush(stdout);
}

} // namespace example
