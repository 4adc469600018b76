// asio_tls_echo: the raw-Asio TLS reference of the benchmarks — asio_echo over
// boost::asio::ssl::stream<tcp::socket>, as a seasoned Asio developer writes it by hand.
// One io_context on one thread; each connection is async_handshake -> (async_read_some ->
// async_write of the same bytes) until the client closes -> async_shutdown (close_notify).
//
//   asio_tls_echo --tls-cert FILE --tls-key FILE [--host 127.0.0.1] [--port 0] [--threads N]
//
// --threads N: N io_contexts, one per thread, the acceptor on the first handing connections
// to them in turn (the layout of asio_echo --threads N and echo_server --mode async
// --threads N). Default 1: one io_context, one thread.
//
// Prints `listening on HOST:PORT tls` first (like echo_server with --tls-cert); SIGINT/SIGTERM
// stop it.
//
// The OpenSSL settings are those of socketserver's own server context
// (lib/src/tls_context.cpp, TLSContext::require_common_settings() and server()), so that
// the comparison is of the I/O paths, not of the TLS configuration:
//   - TLS 1.2 minimum (OpenSSL's defaults otherwise: TLS 1.3 preferred, its default cipher
//     suites and groups, two session tickets sent after each full TLS 1.3 handshake);
//   - SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE;
//   - SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS (Asio's ssl::stream sets
//     both on every SSL it makes anyway, plus SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
//   - read_ahead 1;
//   - TCP_NODELAY on each connection (the library sets it under TLS);
//   - the certificate chain file and the private key, checked against each other;
//   - a session id context (the library sets one; with no client reusing sessions it costs
//     nothing either way).
// What differs is Asio's own: ssl::stream runs OpenSSL over a memory BIO pair and moves the
// bytes between it and the socket in buffers of 17 KiB, where the library's BIO calls
// recv()/send() on the socket directly. No client certificate is asked for.
#include <array>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

class Session : public std::enable_shared_from_this<Session> {
public:
  Session(tcp::socket socket, ssl::context& context) : stream_(std::move(socket), context) {}
  void start() {
    stream_.async_handshake(ssl::stream_base::server, [self = shared_from_this()](const error_code& error) {
      if (!error) self->read();
    });
  }
  asio::any_io_executor executor() { return stream_.get_executor(); }

private:
  void read() {
    stream_.async_read_some(asio::buffer(data_), [self = shared_from_this()](const error_code& error, std::size_t n) {
      if (!error) return self->write(n);
      // The client's close_notify: answer with ours, as the library does at end of stream
      // (a connection cut without close_notify, stream_truncated, ends without it).
      if (error == asio::error::eof) self->stream_.async_shutdown([self](const error_code&) {});
    });
  }
  void write(std::size_t n) {
    asio::async_write(stream_, asio::buffer(data_.data(), n), [self = shared_from_this()](const error_code& error, std::size_t) {
      if (!error) self->read();
    });
  }

  ssl::stream<tcp::socket> stream_;
  std::array<char, 64 * 1024> data_;  // as asio_echo, and as EchoHandler's 64 KiB rbufsize
};

class Acceptor {
public:
  Acceptor(tcp::acceptor& acceptor, std::vector<std::unique_ptr<asio::io_context>>& loops, ssl::context& context)
      : acceptor_(acceptor), loops_(loops), context_(context) {}

  void accept() {
    asio::io_context& target = *loops_[next_++ % loops_.size()];
    acceptor_.async_accept(target, [this](const error_code& error, tcp::socket socket) {
      if (!error) {
        // As the library does under TLS: TLS 1.3's session tickets would otherwise hold a
        // short first reply back (Nagle) for the client's delayed ACK.
        socket.set_option(tcp::no_delay(true));
        auto session = std::make_shared<Session>(std::move(socket), context_);
        asio::dispatch(session->executor(), [session] { session->start(); });
      }
      if (error != asio::error::operation_aborted) accept();
    });
  }

private:
  tcp::acceptor& acceptor_;
  std::vector<std::unique_ptr<asio::io_context>>& loops_;
  ssl::context& context_;
  std::size_t next_ = 0;
};

// The library's server settings (see the comment at the top).
void configure(ssl::context& context, const std::string& certificate, const std::string& key) {
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(native, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_read_ahead(native, 1);
  context.use_certificate_chain_file(certificate);
  context.use_private_key_file(key, ssl::context::pem);
  if (SSL_CTX_check_private_key(native) != 1) throw std::runtime_error("the private key does not match the certificate");
  static const unsigned char session_context[] = "asio_tls_echo";
  SSL_CTX_set_session_id_context(native, session_context, sizeof session_context - 1);
}

} // namespace

int main(int argc, char* argv[]) {
  std::string host = "127.0.0.1";
  std::string certificate;
  std::string key;
  unsigned long port = 0;
  unsigned long threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else if (arg == "--tls-cert" && i + 1 < argc) {
      certificate = argv[++i];
    } else if (arg == "--tls-key" && i + 1 < argc) {
      key = argv[++i];
    } else if ((arg == "--port" || arg == "--threads") && i + 1 < argc) {
      std::string value = argv[++i];
      char* end = nullptr;
      unsigned long number = std::strtoul(value.c_str(), &end, 10);
      bool valid = !value.empty() && *end == '\0' &&
                   (arg == "--port" ? number <= 65535 : number >= 1 && number <= 1024);
      if (!valid) {
        std::cerr << "asio_tls_echo: " << arg << ": invalid value '" << value << "'\n";
        return 2;
      }
      (arg == "--port" ? port : threads) = number;
    } else {
      certificate.clear();
      break;
    }
  }
  if (certificate.empty() || key.empty()) {
    std::cerr << "usage: asio_tls_echo --tls-cert FILE --tls-key FILE [--host ADDRESS] [--port N] [--threads N]\n";
    return 2;
  }
  try {
    ssl::context context(ssl::context::tls_server);
    configure(context, certificate, key);
    std::vector<std::unique_ptr<asio::io_context>> loops;
    for (unsigned long i = 0; i < threads; ++i) loops.push_back(std::make_unique<asio::io_context>(1));
    asio::io_context& io = *loops[0];
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&loops](const error_code&, int) {
      for (auto& loop : loops) loop->stop();
    });
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port)));
    std::cout << "listening on " << host << ':' << acceptor.local_endpoint().port() << " tls" << std::endl;
    Acceptor accepting(acceptor, loops, context);
    accepting.accept();
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep;
    std::vector<std::thread> workers;
    for (std::size_t i = 1; i < loops.size(); ++i) {
      keep.push_back(asio::make_work_guard(*loops[i]));
      workers.emplace_back([&loop = *loops[i]] { loop.run(); });
    }
    io.run();
    for (auto& worker : workers) worker.join();
  } catch (const std::exception& e) {
    std::cerr << "asio_tls_echo: " << e.what() << '\n';
    return 1;
  }
}
