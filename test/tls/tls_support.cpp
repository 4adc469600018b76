#include "tls_support.hpp"

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace tls_test {
namespace {

Certificates make() {
  static test_support::TempDir folder;  // removed when the process ends
  Certificates made;
  made.dir = folder.path();
  std::string script = std::string(SOCKETSERVER_SOURCE_DIR) + "/test/tls/make_certificates";
  if (std::system(("'" + script + "' '" + made.dir + "'").c_str()) != 0)
    throw std::runtime_error("make_certificates failed (is the openssl command installed?)");
  auto file = [&](const char* name) { return made.dir + "/" + name; };
  made.ca = file("ca.pem");
  made.server = file("server.pem");
  made.server_key = file("server.key");
  made.client = file("client.pem");
  made.client_key = file("client.key");
  made.expired = file("expired.pem");
  made.expired_key = file("expired.key");
  made.other_ca = file("other-ca.pem");
  made.other = file("other.pem");
  made.other_key = file("other.key");
  made.wrong_key = file("wrong.key");
  return made;
}

} // namespace

const Certificates& certificates() {
  static const Certificates made = make();
  return made;
}

} // namespace tls_test
