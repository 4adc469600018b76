// loadgen's TLS client (--tls --tls-ca FILE): one OpenSSL client context for the run, a
// TLS stream per connection over its non-blocking socket, and tls_run(), which repeats
// one OpenSSL call, waiting on the socket (Asio's async_wait) whenever OpenSSL wants it
// readable or writable.
//
// Every connection does a full TLS 1.3 handshake: sessions are never reused (no session is
// ever set on a new connection, the client session cache is off and SSL_OP_NO_TICKET is
// set), and the server's certificate is verified against --tls-ca and 127.0.0.1, as a real
// client would. OpenSSL reads and writes the socket itself (SSL_set_fd): no copy through a
// BIO pair on this side, so that loadgen spends as little as it can on each byte.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "run.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace loadgen {

class TlsClientContext {
public:
  /// @p ca_file: the PEM certificates that sign the server's; @p host: the address its
  /// certificate must name (an IP address SAN).
  TlsClientContext(const std::string& ca_file, const std::string& host);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;
  ssl_ctx_st* native() const { return context_; }

private:
  ssl_ctx_st* context_ = nullptr;
};

// What one OpenSSL call came to.
enum class TlsStatus {
  done,        // the whole operation is complete
  progress,    // part of it is done: call again at once
  want_read,   // call again once the socket is readable
  want_write,  // ... writable
  closed,      // the server closed (close_notify or a bare end of stream)
  failed,      // see TlsStream::error()
};

class TlsStream {
public:
  TlsStream() = default;
  ~TlsStream() { reset(); }
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  /// A fresh client connection on @p fd (connected, non-blocking); frees any earlier one.
  void start(const TlsClientContext& context, int fd);
  /// Frees the connection (the socket is left to its owner).
  void reset();

  TlsStatus handshake();
  /// One SSL_write_ex of at most @p size bytes; @p written is set when it returns done.
  TlsStatus write(const char* data, std::size_t size, std::size_t& written);
  /// One SSL_read_ex into @p data; @p got is set when it returns done.
  TlsStatus read(char* data, std::size_t size, std::size_t& got);
  /// Whether OpenSSL holds bytes already read from the socket (read ahead).
  bool has_pending() const;
  /// Sends close_notify once, not waiting for the server's (the socket is closed next).
  void send_close_notify();
  const std::string& error() const { return error_; }

private:
  TlsStatus status_of(int result, const char* during);
  ssl_st* ssl_ = nullptr;
  std::string error_;
};

/// Calls @p step() until it returns done (then @p done("")), closed or failed (then
/// @p done(why)), waiting on @p socket in between whenever it asks. @p step carries its
/// own state (how much is written or read) and is moved along into each wait.
template <class Step, class Done>
void tls_run(tcp::socket& socket, TlsStream& stream, Step step, Done done) {
  for (;;) {
    TlsStatus status = step();
    switch (status) {
    case TlsStatus::done: return done(std::string());
    case TlsStatus::progress: continue;
    case TlsStatus::closed: return done(std::string("closed by the server"));
    case TlsStatus::failed: return done(stream.error());
    case TlsStatus::want_read:
    case TlsStatus::want_write:
      socket.async_wait(status == TlsStatus::want_read ? tcp::socket::wait_read : tcp::socket::wait_write,
                        [&socket, &stream, step = std::move(step), done = std::move(done)](const error_code& error) mutable {
                          if (error) return done("wait: " + error.message());
                          tls_run(socket, stream, std::move(step), std::move(done));
                        });
      return;
    }
  }
}

/// Writes all of [data, data + size), then @p done("") (or @p done(why)).
template <class Done>
void tls_write_all(tcp::socket& socket, TlsStream& stream, const char* data, std::size_t size, Done done) {
  tls_run(socket, stream,
          [&stream, data, size, written = std::size_t{0}]() mutable {
            std::size_t n = 0;
            TlsStatus status = stream.write(data + written, size - written, n);
            if (status != TlsStatus::done) return status;
            written += n;
            return written == size ? TlsStatus::done : TlsStatus::progress;
          },
          std::move(done));
}

/// Reads exactly @p size bytes into @p data, then @p done(""). When OpenSSL holds nothing
/// read ahead, it waits for the socket first (as the plain pingpong does), instead of a
/// read that would find nothing.
template <class Done>
void tls_read_exact(tcp::socket& socket, TlsStream& stream, char* data, std::size_t size, Done done) {
  auto step = [&stream, data, size, got = std::size_t{0}]() mutable {
    std::size_t n = 0;
    TlsStatus status = stream.read(data + got, size - got, n);
    if (status != TlsStatus::done) return status;
    got += n;
    return got == size ? TlsStatus::done : TlsStatus::progress;
  };
  if (stream.has_pending()) return tls_run(socket, stream, std::move(step), std::move(done));
  socket.async_wait(tcp::socket::wait_read,
                    [&socket, &stream, step = std::move(step), done = std::move(done)](const error_code& error) mutable {
                      if (error) return done("wait: " + error.message());
                      tls_run(socket, stream, std::move(step), std::move(done));
                    });
}

/// The handshake, then @p done("").
template <class Done>
void tls_handshake(tcp::socket& socket, TlsStream& stream, Done done) {
  tls_run(socket, stream, [&stream] { return stream.handshake(); }, std::move(done));
}

} // namespace loadgen
