/// @file
/// @brief TLSContext: certificates, keys and settings shared by the TLS connections of a
/// server or a client.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

namespace socketserver {

/// What a server's TLSContext is made of.
struct TLSServerOptions {
  /// PEM file: the server's certificate, then any intermediate certificates.
  std::filesystem::path certificate_chain;
  /// PEM file: the private key of that certificate.
  std::filesystem::path private_key;
  /// PEM file of the certificate authorities whose clients are accepted. When set, every
  /// client must present a certificate signed by one of them (mutual TLS); a client with
  /// none, an expired one or one from another authority fails its handshake.
  std::filesystem::path client_ca;
  /// ALPN protocols the server speaks, most preferred first (e.g. `{"http/1.1"}`); the
  /// first of them the client also offers is chosen. Empty: no ALPN.
  std::vector<std::string> alpn_protocols;
};

/// What a client's TLSContext is made of.
struct TLSClientOptions {
  /// PEM file of the certificate authorities the server's certificate must be signed by;
  /// empty: the system's store (`/etc/ssl/certs`).
  std::filesystem::path ca;
  /// PEM file of the client's own certificate chain, for mutual TLS; empty: none.
  std::filesystem::path certificate_chain;
  /// PEM file of that certificate's private key.
  std::filesystem::path private_key;
  /// ALPN protocols to offer, most preferred first; empty: no ALPN.
  std::vector<std::string> alpn_protocols;
};

/// A TLS configuration (Python's `ssl.SSLContext`), on Boost.Asio's `ssl::context`
/// (OpenSSL): TLS 1.2 at least, renegotiation refused, and the certificates and keys read
/// from PEM files once, when the context is made.
///
/// Give a server's context to any stream server (StreamServer::set_tls_context(), or
/// ServerConfig::tls): its handlers then read and write through TLS unchanged. Every
/// connection keeps the context it was accepted with, so swapping in a context made from a
/// renewed certificate changes only the connections that come after.
///
/// A context is safe to share between threads once made. Change native() only before it
/// is given to a server or a connection.
class TLSContext {
public:
  /// Whose side of the connection a context is for.
  enum class Role { server, client };

  /// A server's context. Throws std::runtime_error naming the file when a certificate or
  /// key cannot be read, or when the key does not belong to the certificate.
  static std::shared_ptr<TLSContext> server(const TLSServerOptions& options);
  /// A client's context, which verifies the server's certificate. Throws like server().
  static std::shared_ptr<TLSContext> client(const TLSClientOptions& options);

  TLSContext(const TLSContext&) = delete;
  TLSContext& operator=(const TLSContext&) = delete;

  /// Server or client.
  Role role() const noexcept { return role_; }
  /// True when a server asks every client for a certificate (TLSServerOptions::client_ca).
  bool requires_client_certificate() const noexcept { return requires_client_certificate_; }
  /// The ALPN protocols, most preferred first.
  const std::vector<std::string>& alpn_protocols() const noexcept { return alpn_protocols_; }

  /// The Asio context, for settings this class does not offer (cipher lists, say).
  boost::asio::ssl::context& native() noexcept { return context_; }

private:
  TLSContext(Role role, std::vector<std::string> alpn_protocols);
  void require_common_settings();

  Role role_;
  bool requires_client_certificate_ = false;
  std::vector<std::string> alpn_protocols_;
  std::string alpn_wire_;  // the protocols as ALPN sends them: length byte, name, ...
  boost::asio::ssl::context context_;
};

} // namespace socketserver
