#include "socketserver/tls_session.hpp"

#include <arpa/inet.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>

#include "openssl_errors.hpp"
#include "tls_io.hpp"

namespace socketserver {
namespace {

void expect_server_name(SSL* ssl, std::string_view name) {
  std::string text(name);
  boost::system::error_code not_an_address;
  boost::asio::ip::make_address(text, not_an_address);
  bool ok = not_an_address ? SSL_set1_host(ssl, text.c_str()) == 1 && SSL_set_tlsext_host_name(ssl, text.c_str()) == 1
                           : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), text.c_str()) == 1;
  if (!ok) throw std::runtime_error("cannot verify the TLS server name '" + text + "': " + detail::take_openssl_error());
}

std::string text_of(const ASN1_STRING* value) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
}

std::string ip_text(const ASN1_OCTET_STRING* value) {
  char text[INET6_ADDRSTRLEN] = {};
  int length = ASN1_STRING_length(value);
  int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : 0;
  if (!family || !::inet_ntop(family, ASN1_STRING_get0_data(value), text, sizeof text)) return "?";
  return text;
}

std::string alt_name_text(const GENERAL_NAME* name) {
  switch (name->type) {
  case GEN_DNS: return "DNS:" + text_of(name->d.dNSName);
  case GEN_IPADD: return "IP:" + ip_text(name->d.iPAddress);
  case GEN_EMAIL: return "email:" + text_of(name->d.rfc822Name);
  case GEN_URI: return "URI:" + text_of(name->d.uniformResourceIdentifier);
  default: return "other";
  }
}

} // namespace

TLSSession::TLSSession(std::shared_ptr<TLSContext> context, StreamSocket& socket, std::string_view server_name)
    : context_(std::move(context)) {
  if (!context_) throw std::invalid_argument("TLSSession needs a context");
  ssl_ = detail::new_tls_connection(context_->native().native_handle(), socket.native_handle());
  try {
    if (context_->role() == TLSContext::Role::server) {
      SSL_set_accept_state(ssl_);
    } else {
      SSL_set_connect_state(ssl_);
      if (!server_name.empty()) expect_server_name(ssl_, server_name);
    }
  } catch (...) {
    SSL_free(ssl_);
    throw;
  }
}

TLSSession::~TLSSession() { SSL_free(ssl_); }

void TLSSession::handshake(StreamSocket& socket, const Timeout& timeout) {
  detail::tls_handshake(ssl_, socket, detail::deadline_after(timeout));
  established_ = true;
  if (context_->role() == TLSContext::Role::server) detail::tls_send_tickets_with_first_write(ssl_);
}

void TLSSession::close(StreamSocket& socket, const Timeout& timeout) noexcept {
  if (closed_ || !established_) return;
  closed_ = true;
  detail::tls_send_close_notify(ssl_, socket, detail::deadline_after(timeout));
}

bool TLSSession::close_notify_received() const noexcept {
  return (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) != 0;
}

bool TLSSession::has_peer_certificate() const noexcept { return SSL_get0_peer_certificate(ssl_) != nullptr; }

std::string TLSSession::peer_subject() const {
  X509* certificate = SSL_get0_peer_certificate(ssl_);
  if (!certificate) return {};
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  if (!out) throw std::bad_alloc();
  X509_NAME_print_ex(out.get(), X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string TLSSession::peer_common_name() const {
  X509* certificate = SSL_get0_peer_certificate(ssl_);
  if (!certificate) return {};
  X509_NAME* subject = X509_get_subject_name(certificate);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return {};
  return text_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
}

std::vector<std::string> TLSSession::peer_alt_names() const {
  std::vector<std::string> names;
  X509* certificate = SSL_get0_peer_certificate(ssl_);
  if (!certificate) return names;
  auto* list = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (!list) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(list); ++i) names.push_back(alt_name_text(sk_GENERAL_NAME_value(list, i)));
  GENERAL_NAMES_free(list);
  return names;
}

std::string TLSSession::version() const { return SSL_get_version(ssl_); }

std::string TLSSession::cipher() const {
  const char* name = SSL_get_cipher_name(ssl_);
  return name ? name : "";
}

std::string TLSSession::alpn_protocol() const {
  const unsigned char* data = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(ssl_, &data, &size);
  if (!data) return {};
  return std::string(reinterpret_cast<const char*>(data), size);
}

} // namespace socketserver
