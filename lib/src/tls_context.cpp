#include "socketserver/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "openssl_errors.hpp"

namespace socketserver {
namespace {

[[noreturn]] void cannot_load(const std::string& what, const std::filesystem::path& file) {
  throw std::runtime_error("cannot load the TLS " + what + " from '" + file.string() +
                           "': " + detail::take_openssl_error());
}

void load_certificate_chain(SSL_CTX* context, const std::filesystem::path& file) {
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(context, file.c_str()) != 1) cannot_load("certificate chain", file);
}

void load_private_key(SSL_CTX* context, const std::filesystem::path& key, const std::filesystem::path& certificate) {
  ERR_clear_error();
  bool loaded = SSL_CTX_use_PrivateKey_file(context, key.c_str(), SSL_FILETYPE_PEM) == 1;
  bool mismatch = !loaded && ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH;
  if (!loaded && !mismatch) cannot_load("private key", key);
  if (mismatch || SSL_CTX_check_private_key(context) != 1)
    throw std::runtime_error("the TLS private key '" + key.string() + "' does not belong to the certificate '" +
                             certificate.string() + "': " + detail::take_openssl_error());
}

void load_authorities(SSL_CTX* context, const std::filesystem::path& file) {
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(context, file.c_str(), nullptr) != 1)
    cannot_load("certificate authorities", file);
}

void require_pair(const std::filesystem::path& certificate, const std::filesystem::path& key) {
  if (certificate.empty() != key.empty())
    throw std::invalid_argument("a TLS certificate needs its private key, and a key its certificate");
}

// ALPN, server side: the first of our protocols that the client offers too (RFC 7301 lets
// the server choose). No overlap: the handshake goes on without ALPN.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                unsigned int offered_length, void* argument) {
  const auto& ours = *static_cast<const std::string*>(argument);
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, reinterpret_cast<const unsigned char*>(ours.data()),
                            static_cast<unsigned int>(ours.size()), offered, offered_length) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

std::string alpn_wire_format(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& protocol : protocols) {
    if (protocol.empty() || protocol.size() > 255)
      throw std::invalid_argument("an ALPN protocol name must be 1 to 255 bytes: '" + protocol + "'");
    wire += static_cast<char>(protocol.size());
    wire += protocol;
  }
  return wire;
}

} // namespace

TLSContext::TLSContext(Role role, std::vector<std::string> alpn_protocols)
    : role_(role),
      alpn_protocols_(std::move(alpn_protocols)),
      alpn_wire_(alpn_wire_format(alpn_protocols_)),
      context_(role == Role::server ? boost::asio::ssl::context::tls_server : boost::asio::ssl::context::tls_client) {
  require_common_settings();
}

void TLSContext::require_common_settings() {
  SSL_CTX* context = context_.native_handle();
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  // Renegotiation (TLS 1.2; 1.3 has none) lets a client make the server redo the costly
  // part of a handshake at will, and has a history of attacks: refused.
  SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // A write returns after each record that went out, as a socket's send() returns what
  // fit; idle connections give their 16 KiB read and write buffers back.
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
  // Read what the socket has in one call, not each record's header and body apart.
  SSL_CTX_set_read_ahead(context, 1);
}

std::shared_ptr<TLSContext> TLSContext::server(const TLSServerOptions& options) {
  if (options.certificate_chain.empty()) throw std::invalid_argument("a TLS server needs a certificate and its key");
  require_pair(options.certificate_chain, options.private_key);
  std::shared_ptr<TLSContext> result(new TLSContext(Role::server, options.alpn_protocols));
  SSL_CTX* context = result->context_.native_handle();
  load_certificate_chain(context, options.certificate_chain);
  load_private_key(context, options.private_key, options.certificate_chain);
  // Resumed sessions must belong to this server: OpenSSL refuses to resume without this
  // when client certificates are verified.
  static const unsigned char session_context[] = "socketserver";
  SSL_CTX_set_session_id_context(context, session_context, sizeof session_context - 1);
  // TLS 1.3 session tickets go out with the first reply instead of right after the
  // handshake (detail::tls_send_tickets_with_first_write()).
  SSL_CTX_set_num_tickets(context, 0);
  if (!options.client_ca.empty()) {
    load_authorities(context, options.client_ca);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca.c_str());
    if (!names) cannot_load("client certificate authorities", options.client_ca);
    SSL_CTX_set_client_CA_list(context, names);  // what the server asks clients for
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    result->requires_client_certificate_ = true;
  }
  if (!result->alpn_wire_.empty()) SSL_CTX_set_alpn_select_cb(context, select_alpn, &result->alpn_wire_);
  return result;
}

std::shared_ptr<TLSContext> TLSContext::client(const TLSClientOptions& options) {
  require_pair(options.certificate_chain, options.private_key);
  std::shared_ptr<TLSContext> result(new TLSContext(Role::client, options.alpn_protocols));
  SSL_CTX* context = result->context_.native_handle();
  if (options.ca.empty()) {
    if (SSL_CTX_set_default_verify_paths(context) != 1)
      throw std::runtime_error("cannot load the system's certificate authorities: " + detail::take_openssl_error());
  } else {
    load_authorities(context, options.ca);
  }
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  if (!options.certificate_chain.empty()) {
    load_certificate_chain(context, options.certificate_chain);
    load_private_key(context, options.private_key, options.certificate_chain);
  }
  if (!result->alpn_wire_.empty() &&
      SSL_CTX_set_alpn_protos(context, reinterpret_cast<const unsigned char*>(result->alpn_wire_.data()),
                              static_cast<unsigned int>(result->alpn_wire_.size())) != 0)
    throw std::runtime_error("cannot set the ALPN protocols: " + detail::take_openssl_error());
  return result;
}

} // namespace socketserver
