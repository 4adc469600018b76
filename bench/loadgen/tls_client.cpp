// loadgen's TLS client: the OpenSSL calls behind tls_client.hpp.
#include "tls_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <climits>
#include <stdexcept>

namespace loadgen {
namespace {

std::string openssl_error(const char* during) {
  std::string text = during;
  unsigned long code = ERR_get_error();
  if (code == 0) return text;
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  ERR_clear_error();
  return text + ": " + buffer;
}

int clamp(std::size_t size) { return static_cast<int>(std::min<std::size_t>(size, INT_MAX)); }

} // namespace

TlsClientContext::TlsClientContext(const std::string& ca_file, const std::string& host) {
  context_ = SSL_CTX_new(TLS_client_method());
  if (!context_) throw std::runtime_error(openssl_error("SSL_CTX_new"));
  // TLS 1.3 only; a full handshake on every connection (nothing is resumed: no session is
  // ever given to SSL_set_session, the client cache is off, and no tickets are asked for).
  SSL_CTX_set_min_proto_version(context_, TLS1_3_VERSION);
  SSL_CTX_set_options(context_, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(context_, SSL_SESS_CACHE_OFF);
  // As the servers read and write: a write returns after each record, a read takes what
  // the socket has. (Not SSL_MODE_RELEASE_BUFFERS: loadgen keeps its buffers, so that its
  // own CPU per request stays low.)
  SSL_CTX_set_mode(context_, SSL_MODE_ENABLE_PARTIAL_WRITE);
  SSL_CTX_set_read_ahead(context_, 1);
  if (SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr) != 1) {
    std::string why = openssl_error(("cannot load --tls-ca " + ca_file).c_str());
    SSL_CTX_free(context_);
    throw std::runtime_error(why);
  }
  SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
  if (X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(context_), host.c_str()) != 1) {
    SSL_CTX_free(context_);
    throw std::runtime_error("cannot expect the server's certificate to name " + host);
  }
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(context_); }

void TlsStream::start(const TlsClientContext& context, int fd) {
  reset();
  error_.clear();
  ssl_ = SSL_new(context.native());
  if (!ssl_) throw std::runtime_error(openssl_error("SSL_new"));
  if (SSL_set_fd(ssl_, fd) != 1) throw std::runtime_error(openssl_error("SSL_set_fd"));
  SSL_set_connect_state(ssl_);
}

void TlsStream::reset() {
  if (ssl_) SSL_free(ssl_);  // the socket BIO does not close the descriptor
  ssl_ = nullptr;
}

TlsStatus TlsStream::status_of(int result, const char* during) {
  if (result > 0) return TlsStatus::done;
  int saved_errno = errno;
  switch (SSL_get_error(ssl_, result)) {
  case SSL_ERROR_WANT_READ: return TlsStatus::want_read;
  case SSL_ERROR_WANT_WRITE: return TlsStatus::want_write;
  case SSL_ERROR_ZERO_RETURN: return TlsStatus::closed;
  case SSL_ERROR_SYSCALL:
    if (ERR_peek_error() == 0) {
      if (saved_errno == 0) return TlsStatus::closed;  // end of stream without close_notify
      error_ = std::string(during) + ": " + std::strerror(saved_errno);
      return TlsStatus::failed;
    }
    [[fallthrough]];
  default:
    if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      ERR_clear_error();
      return TlsStatus::closed;
    }
    error_ = openssl_error(during);
    return TlsStatus::failed;
  }
}

TlsStatus TlsStream::handshake() {
  ERR_clear_error();
  errno = 0;
  return status_of(SSL_do_handshake(ssl_), "TLS handshake");
}

TlsStatus TlsStream::write(const char* data, std::size_t size, std::size_t& written) {
  ERR_clear_error();
  errno = 0;
  return status_of(SSL_write_ex(ssl_, data, static_cast<std::size_t>(clamp(size)), &written), "TLS write");
}

TlsStatus TlsStream::read(char* data, std::size_t size, std::size_t& got) {
  ERR_clear_error();
  errno = 0;
  return status_of(SSL_read_ex(ssl_, data, static_cast<std::size_t>(clamp(size)), &got), "TLS read");
}

bool TlsStream::has_pending() const { return ssl_ && SSL_has_pending(ssl_) == 1; }

void TlsStream::send_close_notify() {
  if (!ssl_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // 0: sent, the server's not awaited; < 0: the socket is full or gone
  ERR_clear_error();
}

} // namespace loadgen
