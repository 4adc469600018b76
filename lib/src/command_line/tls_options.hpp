// The TLS options of servers (--tls-cert, --tls-key, --tls-client-ca) and clients (--tls,
// --tls-ca, --tls-cert, --tls-key): declared once here, turned into a TLSContext.
#pragma once

#include <memory>

#include <boost/program_options.hpp>

#include "socketserver/tls_context.hpp"

namespace socketserver::command_line_detail {

/// Adds the server's TLS options to @p options.
void add_server_tls_options(boost::program_options::options_description& options);
/// Adds the client's TLS options to @p options.
void add_client_tls_options(boost::program_options::options_description& options);

/// The server context @p values ask for, loaded; null without --tls-cert. Throws
/// UsageError when only one of --tls-cert and --tls-key is given, or a file cannot be used.
std::shared_ptr<TLSContext> server_tls_context(const boost::program_options::variables_map& values);
/// The client context @p values ask for (--tls or any --tls-* option), loaded; null for a
/// plain connection. Throws like server_tls_context().
std::shared_ptr<TLSContext> client_tls_context(const boost::program_options::variables_map& values);

} // namespace socketserver::command_line_detail
