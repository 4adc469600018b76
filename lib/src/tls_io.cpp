#include "tls_io.hpp"

#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include <boost/system/system_error.hpp>

#include "openssl_errors.hpp"
#include "timed_io.hpp"

namespace socketserver::detail {
namespace {

// What the BIO knows of its socket besides the descriptor.
struct SocketState {
  int fd;
  bool end_of_stream = false;  // recv() returned 0: OpenSSL asks (BIO_CTRL_EOF) to tell a cut from a retry
  bool drained = false;        // the last recv() found nothing: only then will readiness be news
};

SocketState& state(BIO* bio) { return *static_cast<SocketState*>(BIO_get_data(bio)); }

// recv()/send() results as a BIO reports them: a would-block is a retry, not an error.
int as_bio_result(BIO* bio, ssize_t result, bool reading) {
  BIO_clear_retry_flags(bio);
  if (result >= 0) return static_cast<int>(result);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    if (reading) BIO_set_retry_read(bio);
    else BIO_set_retry_write(bio);
  }
  return -1;
}

int bio_read(BIO* bio, char* data, int size) {
  SocketState& socket = state(bio);
  ssize_t result = ::recv(socket.fd, data, static_cast<std::size_t>(size), MSG_DONTWAIT);
  socket.end_of_stream = result == 0;
  socket.drained = result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  return as_bio_result(bio, result, true);
}

int bio_write(BIO* bio, const char* data, int size) {
  ssize_t result = ::send(state(bio).fd, data, static_cast<std::size_t>(size), MSG_DONTWAIT | MSG_NOSIGNAL);
  return as_bio_result(bio, result, false);
}

long bio_control(BIO* bio, int command, long, void*) {
  switch (command) {
  case BIO_CTRL_FLUSH: return 1;  // after each flight of handshake messages: nothing is buffered
  case BIO_CTRL_EOF: return state(bio).end_of_stream ? 1 : 0;
  default: return 0;
  }
}

int bio_destroy(BIO* bio) {
  delete static_cast<SocketState*>(BIO_get_data(bio));
  BIO_set_data(bio, nullptr);
  return 1;
}

BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "socketserver socket");
    if (!made) throw std::bad_alloc();
    BIO_meth_set_read(made, bio_read);
    BIO_meth_set_write(made, bio_write);
    BIO_meth_set_ctrl(made, bio_control);
    BIO_meth_set_destroy(made, bio_destroy);
    return made;
  }();
  return method;
}

[[noreturn]] void throw_tls_error(const char* during, int system_error) {
  std::string reason = take_openssl_error("");
  if (reason.empty())
    reason = system_error ? boost::system::system_category().message(system_error) : "connection closed by the peer";
  throw std::runtime_error(std::string(during) + ": " + reason);
}

enum class Step { done, end_of_stream };

// Runs @p call (an SSL_* function) until it succeeds, waiting whenever OpenSSL wants the
// socket readable or writable. The error queue is emptied first: SSL_get_error() reads it.
template <class Call>
Step drive(ssl_st* ssl, StreamSocket& socket, const Deadline& deadline, const char* during, Call call) {
  for (;;) {
    ERR_clear_error();
    int result = call();
    if (result > 0) return Step::done;
    int error = SSL_get_error(ssl, result);
    int system_error = errno;
    switch (error) {
    case SSL_ERROR_WANT_READ: wait_until_ready(socket, Readiness::readable, deadline); break;
    case SSL_ERROR_WANT_WRITE: wait_until_ready(socket, Readiness::writable, deadline); break;
    case SSL_ERROR_ZERO_RETURN: return Step::end_of_stream;  // close_notify
    case SSL_ERROR_SSL:
      if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return Step::end_of_stream;  // closed without close_notify
      }
      throw_tls_error(during, 0);
    case SSL_ERROR_SYSCALL:
      if (system_error == ECONNRESET || system_error == EPIPE)
        throw boost::system::system_error(system_error, boost::system::system_category(), during);
      throw_tls_error(during, system_error);
    default: throw_tls_error(during, 0);
    }
  }
}

// The connections that owe their client TLS 1.3 session tickets: marked in OpenSSL's own
// per-connection data, so that a TLSSession needs no field for it.
int tickets_owed_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void issue_owed_tickets(SSL* ssl) {
  if (!SSL_get_ex_data(ssl, tickets_owed_index())) return;
  SSL_set_ex_data(ssl, tickets_owed_index(), nullptr);
  for (int ticket = 0; ticket < 2; ++ticket) SSL_new_session_ticket(ssl);  // OpenSSL's default count
}

int clamp(std::size_t size) { return static_cast<int>(std::min<std::size_t>(size, INT_MAX)); }

} // namespace

ssl_st* new_tls_connection(ssl_ctx_st* context, int fd) {
  auto socket = std::make_unique<SocketState>(SocketState{fd});
  SSL* ssl = SSL_new(context);
  if (!ssl) throw std::runtime_error("cannot start TLS: " + take_openssl_error());
  BIO* bio = BIO_new(socket_method());
  if (!bio) {
    SSL_free(ssl);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, socket.release());  // bio_destroy() deletes it
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // the SSL owns the BIO (once, though it is both ends)
  return ssl;
}

void tls_handshake(ssl_st* ssl, StreamSocket& socket, const Deadline& deadline) {
  Step step;
  try {
    step = drive(ssl, socket, deadline, "TLS handshake failed", [&] { return SSL_do_handshake(ssl); });
  } catch (const std::runtime_error& e) {
    // "certificate verify failed" says little: the verification's own result says why.
    long verified = SSL_get_verify_result(ssl);
    if (verified == X509_V_OK || dynamic_cast<const boost::system::system_error*>(&e)) throw;
    throw std::runtime_error(std::string(e.what()) + " (" + X509_verify_cert_error_string(verified) + ")");
  }
  if (step == Step::end_of_stream) throw std::runtime_error("TLS handshake failed: connection closed by the peer");
}

std::size_t tls_read_some(TLSSession& session, StreamSocket& socket, boost::asio::mutable_buffer buffer,
                          const Deadline& deadline) {
  ssl_st* ssl = session.native_handle();
  std::size_t count = 0;
  auto step = drive(ssl, socket, deadline, "TLS read", [&] {
    return SSL_read_ex(ssl, buffer.data(), static_cast<std::size_t>(clamp(buffer.size())), &count);
  });
  return step == Step::done ? count : 0;
}

std::size_t tls_write_some(TLSSession& session, StreamSocket& socket, boost::asio::const_buffer buffer,
                           const Deadline& deadline) {
  ssl_st* ssl = session.native_handle();
  issue_owed_tickets(ssl);
  std::size_t count = 0;
  auto step = drive(ssl, socket, deadline, "TLS write", [&] {
    return SSL_write_ex(ssl, buffer.data(), static_cast<std::size_t>(clamp(buffer.size())), &count);
  });
  if (step == Step::end_of_stream)
    throw boost::system::system_error(boost::asio::error::broken_pipe, "TLS write: the peer has closed");
  return count;
}

void tls_send_tickets_with_first_write(ssl_st* ssl) {
  static int owed = 1;
  if (SSL_version(ssl) == TLS1_3_VERSION && !SSL_session_reused(ssl)) SSL_set_ex_data(ssl, tickets_owed_index(), &owed);
}

bool tls_must_wait_to_read(const TLSSession& session) noexcept {
  SSL* ssl = session.native_handle();
  return SSL_has_pending(ssl) != 1 && state(SSL_get_rbio(ssl)).drained;
}

void tls_send_close_notify(ssl_st* ssl, StreamSocket& socket, const Deadline& deadline) noexcept {
  try {
    // 0 means sent, the peer's not yet seen: we do not wait for it.
    drive(ssl, socket, deadline, "TLS close", [&] { return SSL_shutdown(ssl) >= 0 ? 1 : -1; });
  } catch (...) {  // the peer is gone, or never read: nothing more to deliver
  }
}

} // namespace socketserver::detail
