#include "tls_options.hpp"

#include <fstream>
#include <string>

#include "usage_error.hpp"

namespace po = boost::program_options;

namespace socketserver::command_line_detail {
namespace {

// The file an option names, checked readable so that the error names the option.
std::filesystem::path readable_file(const po::variables_map& values, const std::string& option) {
  if (!values.count(option)) return {};
  std::filesystem::path file = values[option].as<std::string>();
  if (!std::ifstream(file)) throw UsageError(option, "cannot read '" + file.string() + "'");
  return file;
}

void require_pair(const po::variables_map& values) {
  bool certificate = values.count("tls-cert") > 0, key = values.count("tls-key") > 0;
  if (certificate && !key) throw UsageError("tls-cert", "needs --tls-key (the certificate's private key)");
  if (key && !certificate) throw UsageError("tls-key", "needs --tls-cert (the key's certificate)");
}

// A context error names its file already ("cannot load the TLS private key from 'k.pem'...").
template <class Make>
std::shared_ptr<TLSContext> loaded(Make make) {
  try {
    return make();
  } catch (const std::exception& e) {
    throw UsageError("", e.what());
  }
}

} // namespace

void add_server_tls_options(po::options_description& options) {
  auto add = options.add_options();
  add("tls-cert", po::value<std::string>()->value_name("FILE"),
      "serve TLS with this PEM certificate chain (stream servers; needs --tls-key)");
  add("tls-key", po::value<std::string>()->value_name("FILE"), "PEM private key of --tls-cert");
  add("tls-client-ca", po::value<std::string>()->value_name("FILE"),
      "mutual TLS: clients must present a certificate signed by these PEM authorities");
}

void add_client_tls_options(po::options_description& options) {
  auto add = options.add_options();
  add("tls", po::bool_switch(), "connect with TLS (implied by the other --tls-* options)");
  add("tls-ca", po::value<std::string>()->value_name("FILE"),
      "verify the server against these PEM authorities (default: the system's)");
  add("tls-cert", po::value<std::string>()->value_name("FILE"), "mutual TLS: this PEM client certificate chain");
  add("tls-key", po::value<std::string>()->value_name("FILE"), "PEM private key of --tls-cert");
}

std::shared_ptr<TLSContext> server_tls_context(const po::variables_map& values) {
  require_pair(values);
  if (!values.count("tls-cert")) {
    if (values.count("tls-client-ca")) throw UsageError("tls-client-ca", "needs --tls-cert and --tls-key");
    return nullptr;
  }
  TLSServerOptions options;
  options.certificate_chain = readable_file(values, "tls-cert");
  options.private_key = readable_file(values, "tls-key");
  options.client_ca = readable_file(values, "tls-client-ca");
  return loaded([&] { return TLSContext::server(options); });
}

std::shared_ptr<TLSContext> client_tls_context(const po::variables_map& values) {
  require_pair(values);
  bool wanted = values["tls"].as<bool>() || values.count("tls-ca") || values.count("tls-cert");
  if (!wanted) return nullptr;
  TLSClientOptions options;
  options.ca = readable_file(values, "tls-ca");
  options.certificate_chain = readable_file(values, "tls-cert");
  options.private_key = readable_file(values, "tls-key");
  return loaded([&] { return TLSContext::client(options); });
}

} // namespace socketserver::command_line_detail
