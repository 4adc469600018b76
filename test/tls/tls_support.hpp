// What the TLS suites share: the test certificates, made afresh for each test process by
// make_certificates (the openssl command), in a temporary folder.
#pragma once

#include <string>

#include "test_support.hpp"

namespace tls_test {

/// The certificates of make_certificates, made once per process (the first call) and
/// removed at its end. Paths are absolute.
struct Certificates {
  std::string dir;
  std::string ca, server, server_key;             // CA; server for localhost/127.0.0.1/::1
  std::string client, client_key;                 // CN=alice, signed by the CA
  std::string expired, expired_key;               // expired in 2020, signed by the CA
  std::string other_ca, other, other_key;         // another CA, and a client it signed
  std::string wrong_key;                          // belongs to no certificate
};

/// The process's certificates (made on the first call).
const Certificates& certificates();

} // namespace tls_test
